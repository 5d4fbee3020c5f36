// MONITOR: what the feed shows, hides and redacts.
import { describe, expect, it } from 'vitest';
import { repliesOf, runYaml } from '../helpers/run-yaml.ts';

describe('MONITOR feed', () => {
  it('shows ordinary commands after they ran, hides admin ones, and redacts AUTH arguments', () => {
    const r = runYaml(`
server: {config: {requirepass: pw}}
clients:
  - {name: mon, script: [{call: [AUTH, pw]}, {call: MONITOR}, {wait: 50ms}]}
  - {name: c1, connect-at: 10ms, script: [{call: [AUTH, pw]}, {call: [SET, k, "v v"]}, {call: [CONFIG, GET, timeout]}, {call: [CLIENT, SETNAME, x]}]}
`);
    const feed = repliesOf(r, 'mon').slice(2);
    expect(feed).toHaveLength(3);
    expect(feed[0]).toMatch(/^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "AUTH" "\(redacted\)"$/);
    expect(feed[1]).toMatch(/"SET" "k" "v v"$/);
    expect(feed[2]).toMatch(/"CLIENT" "SETNAME" "x"$/);
  });
});
