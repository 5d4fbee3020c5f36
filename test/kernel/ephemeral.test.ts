// Client addresses and ephemeral ports: unique `ip:port` pairs however many clients a run has.
import { describe, expect, it } from 'vitest';
import { clientIpFor, EPHEMERAL_PORTS } from '../../src/kernel/kernel.ts';
import { runScenario } from '../../src/scenario/run.ts';
import { DEFAULT_NETWORK, DEFAULT_SERVER } from '../../src/scenario/load.ts';
import type { Scenario } from '../../src/scenario/types.ts';
import { link, makeKernel } from './helpers.ts';

describe('client addresses', () => {
  it('127.0.0.1 for the first block of clients, then the next loopback addresses', () => {
    expect(EPHEMERAL_PORTS).toBe(60999 - 32768 + 1);
    expect(clientIpFor(0)).toBe('127.0.0.1');
    expect(clientIpFor(EPHEMERAL_PORTS - 1)).toBe('127.0.0.1');
    expect(clientIpFor(EPHEMERAL_PORTS)).toBe('127.0.0.2');
    expect(clientIpFor(255 * EPHEMERAL_PORTS)).toBe('127.0.1.0');
  });

  it('ports count per address from 40000, wrap from 60999 to 32768, and are unique per address', () => {
    const { kernel } = makeKernel();
    const a = kernel.createClientHost('a', '127.0.0.1', link());
    const b = kernel.createClientHost('b', '127.0.0.2', link());
    const portsA = Array.from({ length: EPHEMERAL_PORTS + 1 }, () => kernel.nextEphemeralPort(a.ip));
    expect(portsA[0]).toBe(40000);
    expect(portsA[60999 - 40000]).toBe(60999);
    expect(portsA[60999 - 40000 + 1]).toBe(32768);
    expect(new Set(portsA.slice(0, EPHEMERAL_PORTS)).size).toBe(EPHEMERAL_PORTS);
    expect(portsA[EPHEMERAL_PORTS]).toBe(40000); // a second round only after every port was used
    expect(kernel.nextEphemeralPort(b.ip)).toBe(40000); // another address has its own counter
  });

  it('more clients than one address has ports: every accepted address is distinct', () => {
    const n = EPHEMERAL_PORTS + 50;
    const sc: Scenario = {
      file: 'many.yaml', name: 'many', description: '', seed: 1, horizonUs: 60_000_000,
      server: { ...DEFAULT_SERVER, config: { maxclients: String(n), 'protected-mode': 'no', 'tcp-backlog': '4096' }, nofile: { soft: n + 32, hard: 1048576 } },
      network: DEFAULT_NETWORK,
      clients: Array.from({ length: n }, (_, i) => ({ name: `c${i + 1}`, connectAtUs: i * 20, network: DEFAULT_NETWORK, script: [], line: 0 })),
      faults: [], expect: [],
      locate: () => ({ file: 'many.yaml', line: 0, column: 0 }),
    };
    const r = runScenario(sc, { record: new Set(['accept']) });
    const addrs = r.events.map((e) => (e as { addr: string }).addr);
    expect(addrs.length).toBe(n);
    expect(new Set(addrs).size).toBe(n);
    expect(addrs[0]).toBe('127.0.0.1:40000');
    expect(new Set(r.events.map((e) => e.client)).size).toBe(n);
    expect(addrs.filter((a) => a.startsWith('127.0.0.2:')).length).toBe(50);
  });
});
