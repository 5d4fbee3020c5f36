// Runs for the report tests: bundled scenarios, and synthetic results of any size.
import { join, resolve } from 'node:path';
import { loadScenario } from '../../src/scenario/load.ts';
import { runScenario, type RunResult } from '../../src/scenario/run.ts';
import type { TimelineEvent } from '../../src/timeline/events.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

const cache = new Map<string, { r: RunResult; description: string }>();

/** Runs a bundled scenario (once per test file) and gives its result and description. */
export function bundled(name: string): { r: RunResult; description: string } {
  let got = cache.get(name);
  if (!got) {
    const sc = loadScenario(join(ROOT, 'scenarios', `${name}.yaml`));
    got = { r: runScenario(sc), description: sc.description };
    cache.set(name, got);
  }
  return got;
}

/** The same run with every occurrence of client `from` named `to`. */
export function renameClient(r: RunResult, from: string, to: string): RunResult {
  return {
    ...r,
    events: r.events.map((e) => (e.client === from ? { ...e, client: to } : e)),
    clients: r.clients.map((c) => (c.name === from ? { ...c, name: to } : c)),
  };
}

/**
 * A synthetic run of `n` events over `clients` clients: each connects, is accepted, then reads,
 * runs commands, gets replies and writes until the events run out; a few hit the hard limit.
 */
export function syntheticRun(n: number, clients: number): RunResult {
  const events: TimelineEvent[] = [];
  let seq = 0;
  let t = 0;
  const add = (body: Record<string, unknown>) => events.push({ t, seq: seq++, ...body } as TimelineEvent);
  for (let c = 0; c < clients; c++) {
    const client = `c${c}`;
    add({ client, kind: 'connect', addr: '127.0.0.1:6379', result: 'ok' });
    add({ client, kind: 'accept', id: c + 3, fd: c + 4, addr: `127.0.0.1:${40000 + c}` });
    t += 10;
  }
  let pending = 0;
  for (let i = 0; seq < n - clients; i++) {
    const c = i % clients;
    const client = `c${c}`;
    const id = c + 3;
    t += 7;
    add({ client, kind: 'read', id, bytes: 100, qbuf: (i * 37) % 5000 });
    add({ client, kind: 'command', id, name: 'get', args: 'k' });
    pending = (pending + 1000) % 300_000;
    add({ client, kind: 'reply', id, bytes: 1000, text: '$1000\\r\\n' });
    add({ client, kind: 'write', id, bytes: 500, pending });
    if (i % 5000 === 0) add({ kind: 'cron', hz: 10, visited: clients, clients });
  }
  for (let c = 0; c < clients; c++) {
    t += 1;
    add(c % 50 === 0
      ? { client: `c${c}`, kind: 'close', id: c + 3, reason: 'obuf-hard-limit', detail: `omem 35232153 >= hard limit 33554432 (normal)` }
      : { client: `c${c}`, kind: 'close', id: c + 3, reason: 'quit' });
  }
  return {
    scenario: 'synthetic',
    file: 'synthetic.yaml',
    seed: 1,
    passed: true,
    hash: '0'.repeat(64),
    ended: 'settled',
    endUs: t,
    unfinished: [],
    expectations: [],
    clients: [],
    events,
    serverExit: null,
  };
}
