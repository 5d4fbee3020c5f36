// SLOWLOG (slowlog.c, 7.0.15) through inline scenarios: what is logged (virtual execution time
// against slowlog-log-slower-than, DEBUG SLEEP being the way to make a command slow), entry shape
// and trimming, GET/LEN/RESET, redaction.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run.ts';
import { repliesOf, runYaml, runSolo } from '../helpers/run-yaml.ts';

function solo(steps: string[], config = '{enable-debug-command: yes}'): RunResult {
  return runSolo(steps, { server: `{config: ${config}}`, horizon: '10s' });
}

/** A SLOWLOG GET reply holding exactly one entry. */
const ONE_ENTRY = (id: number, us: string, args: string, name = '') =>
  new RegExp(`^\\[\\[:${id}, :\\d+, :${us}, \\[${args}\\], \\$127\\.0\\.0\\.1:40000, \\$${name}\\]\\]$`);

describe('SLOWLOG', () => {
  it('logs a command that took at least slowlog-log-slower-than µs of virtual time', () => {
    const r = solo(['{call: [DEBUG, SLEEP, "0.02"]}', '{call: PING}', '{call: [SLOWLOG, GET]}']);
    expect(repliesOf(r, 'c1')[2]).toMatch(/^\[\[:0, :\d+, :2\d\d\d\d, \[\$DEBUG, \$SLEEP, \$0\.02\], \$127\.0\.0\.1:40000, \$\]\]$/);
  });

  it('the threshold is inclusive: with 2µs per command (the default cost), 2 logs a PING and 3 does not', () => {
    const at = (n: string) => repliesOf(solo([`{call: [CONFIG, SET, slowlog-log-slower-than, "${n}"]}`, '{call: PING}', '{call: [SLOWLOG, LEN]}']), 'c1')[2];
    expect(at('2')).toBe(':2'); // CONFIG SET and PING
    expect(at('3')).toBe(':0');
  });

  it('a negative threshold disables the log; 0 logs everything', () => {
    const off = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "-1"]}', '{call: [DEBUG, SLEEP, "0.02"]}', '{call: [SLOWLOG, LEN]}']);
    expect(repliesOf(off, 'c1')[2]).toBe(':0');
    expect(repliesOf(solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "-2"]}']), 'c1')).toEqual([
      "-ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive",
    ]);
  });

  it('an entry is id, unix time, duration, arguments, client address and client name; newest first', () => {
    const r = solo([
      '{call: [CLIENT, SETNAME, worker]}',
      '{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}',
      '{call: [ECHO, hi]}',
      '{call: [SLOWLOG, GET, "2"]}',
    ]);
    const out = repliesOf(r, 'c1')[3]!;
    expect(out.startsWith('[[:1, ')).toBe(true);
    expect(out).toContain(':1767225600, '); // the virtual epoch's unix seconds
    expect(out).toContain('[$ECHO, $hi], $127.0.0.1:40000, $worker], [:0, ');
    expect(out).toContain('[$CONFIG, $SET, $slowlog-log-slower-than, $0], $127.0.0.1:40000, $worker]]');
  });

  it('keeps at most slowlog-max-len entries, dropping the oldest; ids keep counting', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0", slowlog-max-len, "2"]}', '{call: [ECHO, a]}', '{call: [ECHO, b]}', '{call: [ECHO, c]}', '{call: [SLOWLOG, LEN]}', '{call: [SLOWLOG, GET]}']);
    const [, , , , len, get] = repliesOf(r, 'c1');
    expect(len).toBe(':2');
    expect(get).toMatch(/^\[\[:4, :\d+, :\d+, \[\$SLOWLOG, \$LEN\], .*\], \[:3, :\d+, :\d+, \[\$ECHO, \$c\], .*\]\]$/);
  });

  it('slowlog-max-len 0 keeps nothing', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0", slowlog-max-len, "0"]}', '{call: PING}', '{call: [SLOWLOG, LEN]}']);
    expect(repliesOf(r, 'c1')[2]).toBe(':0');
  });

  it('GET defaults to 10 entries, takes a count, and -1 means all', () => {
    const steps = ['{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}'];
    for (let i = 0; i < 12; i++) steps.push('{call: PING}');
    steps.push('{call: [SLOWLOG, GET]}', '{call: [SLOWLOG, GET, "1"]}', '{call: [SLOWLOG, GET, "0"]}', '{call: [SLOWLOG, GET, "-1"]}', '{call: [SLOWLOG, GET, "100"]}');
    const out = repliesOf(solo(steps), 'c1').slice(13);
    const count = (s: string) => (s.match(/\[:\d+, :\d+, :\d+, \[/g) ?? []).length;
    expect(out.map(count)).toEqual([10, 1, 0, 16, 17]); // each SLOWLOG GET is itself logged
    expect(out[2]).toBe('[]');
  });

  it('GET with a count below -1 or not an integer is refused', () => {
    const r = solo(['{call: [SLOWLOG, GET, "-2"]}', '{call: [SLOWLOG, GET, x]}', '{call: [SLOWLOG, GET, "1", "2"]}']);
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR count should be greater than or equal to -1',
      '-ERR count should be greater than or equal to -1',
      "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
    ]);
  });

  it('RESET empties the log but ids continue', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}', '{call: [SLOWLOG, RESET]}', '{call: [SLOWLOG, LEN]}', '{call: [SLOWLOG, GET]}']);
    const [, ok, len, get] = repliesOf(r, 'c1');
    expect(ok).toBe('+OK');
    expect(len).toBe(':1'); // SLOWLOG RESET itself was logged after it ran
    expect(get!.startsWith('[[:2, ')).toBe(true);
  });

  it('at most 32 arguments are kept, the last saying how many more there were', () => {
    // CLIENT LIST ID with 38 ids: 41 arguments in all.
    const ids = Array.from({ length: 38 }, (_, i) => `"${1000 + i}"`).join(', ');
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}', `{call: [CLIENT, LIST, ID, ${ids}]}`, '{call: [SLOWLOG, GET, "1"]}']);
    const out = repliesOf(r, 'c1')[2]!;
    expect(out).toContain('[$CLIENT, $LIST, $ID, $1000, ');
    expect(out).toContain('$1026, $1027, $... (10 more arguments)]');
    expect(out.match(/\$/g)!.length).toBe(32 + 2); // 32 arguments, address, name
  });

  it('arguments longer than 128 bytes are cut with the number of bytes left out', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}', '{call: [ECHO, {fill: 200}]}', '{call: [ECHO, {fill: 128}]}', '{call: [SLOWLOG, GET, "2"]}']);
    const out = repliesOf(r, 'c1')[3]!;
    expect(out).toContain(`[$ECHO, $${'x'.repeat(128)}... (72 more bytes)]`);
    expect(out).toContain('[$ECHO, $<128×"x">]');
  });

  it('EXEC itself is never logged, but the commands it runs are', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0"]}', '{call: [SLOWLOG, RESET]}', '{call: MULTI}', '{call: [ECHO, inside]}', '{call: EXEC}', '{call: [SLOWLOG, GET]}']);
    const out = repliesOf(r, 'c1')[5]!;
    expect(out).toContain('[$ECHO, $inside]');
    expect(out).toContain('[$MULTI]');
    expect(out).not.toContain('$EXEC');
  });

  it('the value of CONFIG SET requirepass is redacted', () => {
    const r = solo(['{call: [CONFIG, SET, slowlog-log-slower-than, "0", requirepass, s3cret]}', '{call: [SLOWLOG, GET, "1"]}']);
    expect(repliesOf(r, 'c1')[1]).toMatch(ONE_ENTRY(0, '\\d+', '\\$CONFIG, \\$SET, \\$slowlog-log-slower-than, \\$0, \\$requirepass, \\$\\(redacted\\)'));
  });

  it('HELP lists GET, LEN and RESET', () => {
    const out = repliesOf(solo(['{call: [SLOWLOG, HELP]}']), 'c1')[0]!;
    expect(out).toBe('[+SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, +GET [<count>], +    Return top <count> entries from the slowlog (default: 10, -1 mean all)., +    Entries are made of:, +    id, timestamp, time in microseconds, arguments array, client IP and port,, +    client name, +LEN, +    Return the length of the slowlog., +RESET, +    Reset the slowlog., +HELP, +    Prints this help.]');
  });
});
