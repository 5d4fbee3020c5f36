// Replies and output-buffer limits: write-behind, the 64 KiB fairness cap per write event, the
// hard limit at >=, the soft limit after soft-seconds (strict, whole seconds), catching up, the
// stale soft-limit timer of 7.0.15 and its fixed switch, and the unauthenticated cap (Debian).
import { describe, expect, it } from 'vitest';
import { closeOf, logLines, repliesOf, runYaml } from '../helpers/run-yaml.ts';

/** A client that stops reading and asks for `n` replies of `size` bytes each. */
const slow = (config: string, n: number, size: string, after = '      - wait: 5s', horizon = '10s', network = '') => runYaml(`
horizon: ${horizon}
server: {config: {${config}}}
${network}
clients:
  - name: slow
    script:
      - stop-reading: true
      - pipeline: {commands: [[ECHO, {fill: ${size}}]], repeat: ${n}}
${after}
`);

describe('writing replies', () => {
  it('replies go out before the loop sleeps, with no writable event when the socket takes them', () => {
    const r = runYaml(`clients: [{name: c1, script: [{call: PING}]}]`);
    const cmd = r.events.find((e) => e.kind === 'command')!;
    const write = r.events.find((e) => e.kind === 'write')!;
    expect(write.t - cmd.t).toBeLessThanOrEqual(1); // the loop iteration's own cost
    expect(r.events.some((e) => e.kind === 'log' && /events=rw/.test(e.line))).toBe(false);
    expect(write).toMatchObject({ bytes: 7, pending: 0 });
  });

  it('one write event sends at most 64 KiB plus one gathered block, then yields to other clients', () => {
    const r = slow('', 1000, '10kb', '      - wait: 100ms\n      - resume-reading: true\n      - wait-replies: 1000', '10s', 'network: {sndbuf: 4mb, rcvbuf: 4mb}');
    expect(repliesOf(r, 'slow')).toHaveLength(1000);
    const writes = r.events.flatMap((e) => (e.kind === 'write' ? [e.bytes] : []));
    expect(writes.length).toBeGreaterThan(10);
    expect(Math.max(...writes)).toBeLessThanOrEqual(65536 + 20464 + 16384);
    expect(Math.max(...writes)).toBeGreaterThan(65536);
  });
});

describe('hard limit', () => {
  it('a normal client at or over a hard limit is closed asynchronously, without a reply, with Redis log line', () => {
    const r = slow('client-output-buffer-limit: "normal 1mb 0 0"', 100, '64kb');
    expect(closeOf(r, 'slow')).toMatchObject({ kind: 'close', reason: 'obuf-hard-limit' });
    expect(logLines(r).some((l) => /^Client id=3 addr=\S+ .* omem=\d+ .* scheduled to be closed ASAP for overcoming of output buffer limits\.$/.test(l))).toBe(true);
  });

  it('normal 0 0 0 never closes a normal client for its output', () => {
    const r = slow('', 100, '64kb');
    expect(closeOf(r, 'slow')).toBeUndefined();
  });

  it('the check is at or over: a hard limit equal to the usage closes, one byte more does not', () => {
    // One ECHO of 40000 bytes after a full static buffer: one block of capacity 40944 (+40 = 40984 omem).
    const usage = 40984;
    const at = slow(`client-output-buffer-limit: "normal ${usage} 0 0"`, 1, '56000');
    const above = slow(`client-output-buffer-limit: "normal ${usage + 1} 0 0"`, 1, '56000');
    expect(closeOf(at, 'slow')).toMatchObject({ reason: 'obuf-hard-limit' });
    expect(closeOf(above, 'slow')).toBeUndefined();
  });
});

describe('soft limit', () => {
  const soft = (after: string, extra = '') => slow(`client-output-buffer-limit: "normal 0 256kb 2"${extra}`, 10, '64kb', after, '20s');

  it('a client over the soft limit is closed by the cron once it has been over for more than soft-seconds', () => {
    const r = soft('      - wait: 10s');
    const c = closeOf(r, 'slow')!;
    expect(c).toMatchObject({ reason: 'obuf-soft-limit' });
    // Reached at t≈0 (second 0): closed at the first cron visit in second 3 (elapsed 3 > 2).
    expect(c.t).toBeGreaterThanOrEqual(3_000_000);
    expect(c.t).toBeLessThan(3_200_000);
    expect(logLines(r).some((l) => l.endsWith('closed for overcoming of output buffer limits.'))).toBe(true);
  });

  it('a client that catches up before soft-seconds is not closed', () => {
    const r = soft('      - wait: 1500ms\n      - resume-reading: true\n      - wait-replies: 10\n      - wait: 5s');
    expect(closeOf(r, 'slow')).toBeUndefined();
    expect(repliesOf(r, 'slow')).toHaveLength(10);
  });

  it('7.0.15 keeps a stale soft-limit start after the client drains: crossing again later closes at once', () => {
    // The drain (about 1.2 ms) falls between two cron ticks (…401 ms, …501 ms), so no check sees
    // the buffer between 0 and the soft limit: the start time stays. Five seconds later one 300 KB
    // reply crosses the soft limit in a single block, and its check finds 5 s > 2 s.
    const script = `      - wait: 450ms
      - resume-reading: true
      - wait-replies: 10
      - wait: 5s
      - call: [ECHO, {fill: 300kb}]
      - wait: 500ms`;
    const stale = soft(script);
    const c = closeOf(stale, 'slow');
    expect(c).toMatchObject({ reason: 'obuf-soft-limit' });
    expect(c!.t).toBeGreaterThan(5_450_000);
    expect(c!.t).toBeLessThan(5_460_000);
    expect(repliesOf(stale, 'slow')).toHaveLength(10);
    const fixed = soft(script, ', obuf-soft-timer: fixed');
    expect(closeOf(fixed, 'slow')).toBeUndefined();
    expect(repliesOf(fixed, 'slow')).toHaveLength(11);
  });
});

describe('unauthenticated clients (Debian backport of CVE-2025-21605)', () => {
  it('an unauthenticated client whose output spills out of the static buffer is closed', () => {
    const r = runYaml(`
horizon: 5s
server: {config: {requirepass: secret}}
clients:
  - name: c1
    script:
      - stop-reading: true
      - pipeline: {commands: [[PING]], repeat: 3000}
      - wait: 1s
`);
    expect(closeOf(r, 'c1')).toMatchObject({ reason: 'obuf-hard-limit' });
  });

  it('stock 7.0.15 (profile upstream) keeps it', () => {
    const r = runYaml(`
horizon: 5s
server: {config: {requirepass: secret, profile: upstream}}
clients:
  - name: c1
    script:
      - stop-reading: true
      - pipeline: {commands: [[PING]], repeat: 3000}
      - wait: 1s
`);
    expect(closeOf(r, 'c1')).toBeUndefined();
  });
});

describe('output buffer accounting', () => {
  it('omem counts reply blocks (20464 usable + 40 overhead) and not the 16 KB static buffer', () => {
    const r = runYaml(`
horizon: 2s
clients:
  - name: slow
    script:
      - stop-reading: true
      - pipeline: {commands: [[ECHO, {fill: 10000}]], repeat: 20}
      - wait: 1s
  - name: viewer
    connect-at: 100ms
    script: [{call: [CLIENT, LIST, ID, "3"]}]
`);
    const line = repliesOf(r, 'viewer')[0]!;
    const omem = Number(/ omem=(\d+) /.exec(line)![1]);
    const oll = Number(/ oll=(\d+) /.exec(line)![1]);
    expect(oll).toBeGreaterThan(0);
    expect(omem).toBe(oll * (20464 + 40));
  });
});
