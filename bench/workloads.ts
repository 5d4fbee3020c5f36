// The benchmark's workloads, built as typed `Scenario` objects (no YAML: W1's scripts have 8000
// steps per client). Each builder takes its size so that `--quick` can shrink it. Nothing here
// measures anything; bench/run.ts does.
import { DEFAULT_NETWORK, DEFAULT_SERVER } from '../src/scenario/load.ts';
import type { ArgSpec, ClientSpec, LinkSpec, Scenario, Step } from '../src/scenario/types.ts';

const S = 1_000_000;

interface Build {
  name: string;
  horizonUs: number;
  config?: Record<string, string>;
  nofile?: { soft: number; hard: number };
  network?: Partial<LinkSpec>;
  clients: ClientSpec[];
  seed?: number;
}

/** A typed scenario with the loader's defaults for everything not given. */
export function scenario(b: Build): Scenario {
  const network: LinkSpec = { ...DEFAULT_NETWORK, ...b.network };
  return {
    file: `bench/${b.name}`,
    name: b.name,
    description: '',
    seed: b.seed ?? 1,
    horizonUs: b.horizonUs,
    server: {
      ...DEFAULT_SERVER,
      config: b.config ?? {},
      nofile: b.nofile ?? DEFAULT_SERVER.nofile,
    },
    network,
    clients: b.clients.map((c) => ({ ...c, network: { ...network, ...c.network } })),
    faults: [],
    expect: [],
    locate: () => ({ file: `bench/${b.name}`, line: 0, column: 0 }),
  };
}

function client(name: string, script: Step[], connectAtUs = 0): ClientSpec {
  return { name, connectAtUs, network: { ...DEFAULT_NETWORK }, script, line: 0 };
}

// redis-benchmark's SET and GET tests: key `key:__rand_int__` (no -r), 3-byte value `xxx` (-d 3).
const SET: ArgSpec[] = ['SET', 'key:__rand_int__', 'xxx'];
const GET: ArgSpec[] = ['GET', 'key:__rand_int__'];

/**
 * W1/W2: the shape of `redis-benchmark -c <clients> -n <requests> -t set,get [-P <pipeline>]`:
 * each client does its share of the SETs, then its share of the GETs. With pipeline 1 every
 * request is a `call` (request-response); otherwise `pipeline` batches of P commands, each
 * followed by a wait for its replies, as redis-benchmark keeps P requests in flight per client.
 */
export function setGet(clients: number, requests: number, pipeline = 1): Scenario {
  const per = Math.floor(requests / clients);
  const list: ClientSpec[] = [];
  for (let i = 1; i <= clients; i++) {
    const script: Step[] = [];
    let replies = 0;
    for (const cmd of [SET, GET]) {
      if (pipeline === 1) {
        for (let k = 0; k < per; k++) script.push({ op: 'call', args: cmd });
        replies += per;
      } else {
        for (let done = 0; done < per; done += pipeline) {
          const n = Math.min(pipeline, per - done);
          script.push({ op: 'pipeline', commands: [cmd], repeat: n });
          replies += n;
          script.push({ op: 'wait-replies', count: replies });
        }
      }
    }
    list.push(client(`bench-${i}`, script));
  }
  return scenario({ name: `set-get-c${clients}-n${requests}-P${pipeline}`, horizonUs: 3600 * S, config: {}, clients: list });
}

/** Commands a setGet scenario runs: SETs plus GETs. */
export function setGetCommands(clients: number, requests: number): number {
  return 2 * clients * Math.floor(requests / clients);
}

/**
 * W3: `clients` idle clients (connecting over the first 10 s, then silent) under `timeout 300` and
 * hz 10, for `hours` of virtual time. clientsCron visits clients/hz of them per tick and closes them
 * lazily once idle for more than 300 s; one pub/sub subscriber (exempt from the timeout) stays, so
 * the run lasts until the horizon.
 */
export function idle(clients: number, horizonUs: number): Scenario {
  const list: ClientSpec[] = [];
  const spread = Math.floor((10 * S) / Math.max(1, clients));
  for (let i = 1; i <= clients; i++) list.push(client(`idle-${i}`, [{ op: 'wait-closed' }], i * spread));
  list.push(client('keeper', [{ op: 'call', args: ['SUBSCRIBE', 'keep'] }, { op: 'wait-closed' }]));
  return scenario({
    name: `idle-${clients}`,
    horizonUs,
    config: { timeout: '300', hz: '10', maxclients: String(clients + 100), 'tcp-backlog': '4096' },
    nofile: { soft: clients + 1000, hard: 1048576 },
    clients: list,
  });
}

/**
 * W4: `n` connections that stay open and idle, connecting `everyUs` apart (as `connect-every`),
 * against maxclients = n with RLIMIT_NOFILE raised to match (maxclients + 32 reserved fds).
 * Clients past the 28,232 ephemeral ports of one address get the next loopback address (run.ts).
 */
export function connections(n: number, everyUs = 10): Scenario {
  const list: ClientSpec[] = [];
  for (let i = 1; i <= n; i++) list.push(client(`conn-${i}`, [], (i - 1) * everyUs));
  return scenario({
    name: `connections-${n}`,
    horizonUs: 3600 * S,
    // A real redis-server would refuse 127.0.0.2… under protected mode (it compares the address
    // with "127.0.0.1"), so the directive is set as such a benchmark would need it.
    config: { maxclients: String(n), 'tcp-backlog': '65535', 'protected-mode': 'no' },
    nofile: { soft: n + 32, hard: Math.max(n + 32, 1048576) },
    clients: list,
  });
}

/**
 * W5: virtual bytes. "giant" sends SET with a 1 GiB value (proto-max-bulk-len raised so the length
 * is accepted; the query buffer grows toward client-query-buffer-limit); "slow" subscribes and
 * stops reading while "publisher" publishes 1 MiB messages until `queuedMb` MiB are queued for it
 * (pub/sub output limits disabled). "observer" runs CLIENT LIST at 250 s to show what the server
 * holds.
 */
export function virtualBytes(giantBytes: number, queuedMb: number): Scenario {
  const pubs: Step[] = [];
  for (let k = 0; k < queuedMb; k++) pubs.push({ op: 'call', args: ['PUBLISH', 'news', { fill: 1 << 20 }] });
  return scenario({
    name: 'virtual-bytes',
    horizonUs: 600 * S,
    config: { 'proto-max-bulk-len': '4gb', 'client-output-buffer-limit': 'pubsub 0 0 0' },
    network: { bandwidth: 10_000_000_000 },
    clients: [
      client('giant', [{ op: 'send', args: ['SET', 'big', { fill: giantBytes }] }, { op: 'wait-replies', count: 1 }]),
      client('slow', [{ op: 'call', args: ['SUBSCRIBE', 'news'] }, { op: 'stop-reading' }, { op: 'wait', us: 300 * S }]),
      client('publisher', pubs, 10_000),
      // Reads the server's own accounting at the end: omem of "slow", qbuf of "giant" if still open.
      client('observer', [{ op: 'call', args: ['CLIENT', 'LIST'] }], 250 * S),
    ],
  });
}
