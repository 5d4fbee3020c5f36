// DEBUG (debug.c, 7.0.15) through inline scenarios: the enable-debug-command guard, DEBUG SLEEP
// spending virtual time while the whole server waits, and the not-modelled subcommands.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/scenario/run.ts';
import { repliesOf, runYaml, runSolo, replyTimes } from '../helpers/run-yaml.ts';

function solo(steps: string[], config = '{enable-debug-command: yes}'): RunResult {
  return runSolo(steps, { server: `{config: ${config}}`, horizon: '10s' });
}

/** Times (µs) at which client `name` received each reply. */

describe('DEBUG', () => {
  it('is refused by default (enable-debug-command no), after the arity check', () => {
    const r = solo(['{call: [DEBUG, SLEEP, "0"]}', '{call: [DEBUG]}'], '{}');
    expect(repliesOf(r, 'c1')).toEqual([
      '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.',
      "-ERR wrong number of arguments for 'debug' command",
    ]);
  });

  it('enable-debug-command local allows it from 127.0.0.1', () => {
    expect(repliesOf(solo(['{call: [DEBUG, SLEEP, "0"]}'], '{enable-debug-command: local}'), 'c1')).toEqual(['+OK']);
  });

  it('the protected check comes before authentication', () => {
    const r = solo(['{call: [DEBUG, SLEEP, "0"]}'], '{requirepass: pw}');
    expect(repliesOf(r, 'c1')[0]).toMatch(/^-ERR DEBUG command not allowed\./);
  });

  it('SLEEP keeps the whole server busy for that long, then replies +OK', () => {
    const r = runYaml(`
horizon: 5s
server: {config: {enable-debug-command: yes}}
clients:
  - name: sleeper
    script: [{call: [DEBUG, SLEEP, "0.5"]}]
  - name: other
    connect-at: 100ms
    script: [{call: PING}]
`);
    expect(repliesOf(r, 'sleeper')).toEqual(['+OK']);
    expect(replyTimes(r, 'sleeper')[0]!).toBeGreaterThanOrEqual(500_000);
    // The other client's PING waits for the sleep to end.
    expect(replyTimes(r, 'other')[0]!).toBeGreaterThanOrEqual(500_000);
  });

  it('SLEEP parses like strtod: a bad number sleeps 0, a negative one too', () => {
    const r = solo(['{call: [DEBUG, SLEEP, abc]}', '{call: [DEBUG, SLEEP, "-1"]}', '{call: [DEBUG, SLEEP, "0.2xyz"]}']);
    expect(repliesOf(r, 'c1')).toEqual(['+OK', '+OK', '+OK']);
    const t = replyTimes(r, 'c1');
    expect(t[1]!).toBeLessThan(50_000);
    expect(t[2]! - t[1]!).toBeGreaterThanOrEqual(200_000);
  });

  it('SLEEP with a wrong number of arguments is a subcommand syntax error', () => {
    expect(repliesOf(solo(['{call: [DEBUG, sleep]}']), 'c1')).toEqual([
      "-ERR unknown subcommand or wrong number of arguments for 'sleep'. Try DEBUG HELP.",
    ]);
  });

  it('other subcommands answer a named not-modelled error', () => {
    expect(repliesOf(solo(['{call: [DEBUG, object, k]}', '{call: [DEBUG, HELP]}']), 'c1')).toEqual([
      '-ERR redsim does not model DEBUG OBJECT',
      '-ERR redsim does not model DEBUG HELP',
    ]);
  });
});
