// `redsim serve`: the simulator's client-handling core on real node:net sockets and real timers, so
// redis-cli, redis-benchmark or any client can talk to it. Options follow redis-server's
// (`--port`, `--maxclients`, any directive as `--name value`, a redis.conf with `--config`).
// Not here: the adapter itself (src/real/).
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import chalk, { Chalk } from 'chalk';
import type { Argv, CommandModule } from 'yargs';
import { makeThrowawayCerts, type ThrowawayCerts } from '../real/certs.ts';
import { addDirective, parseRedisConf, type ParsedConf } from '../real/redis-conf.ts';
import { RealServerConfigError, startRealServer, type RealServer } from '../real/real-server.ts';
import { describeEvent } from '../report/text.ts';
import { CONFIGS } from '../server/config.ts';
import type { EventKind, TimelineEvent } from '../timeline/events.ts';
import { canonicalEvent } from '../timeline/recorder.ts';

/** redis-server options accepted and ignored: the core has no persistence and does not daemonise. */
const IGNORED_OPTIONS = ['save', 'appendonly', 'daemonize', 'dir', 'logfile', 'dbfilename', 'pidfile', 'databases', 'supervised', 'always-show-logo'];
/** Help text for directives whose meaning under serve needs a word. */
const DESCRIBE: Record<string, string> = {
  'tls-port': 'serve TLS (node:tls) on this port too; without tls-cert-file, tls-key-file and tls-ca-cert-file, throwaway self-signed certificates are made with openssl and their paths printed',
};
const LEVELS = ['debug', 'verbose', 'notice', 'warning'] as const;
const LEVEL_CHAR: Record<string, string> = { debug: '.', verbose: '-', notice: '*', warning: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Redis's log line prefix: `pid:M 21 Nov 2026 23:59:43.744 *`. */
function logPrefix(level: string): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${process.pid}:M ${p(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)} ${LEVEL_CHAR[level] ?? '*'}`;
}

export interface ServeArgs {
  port: number;
  bind: string;
  config?: string;
  timeline?: string;
  trace: boolean;
  quiet: boolean;
  color: boolean;
  /** Directive options given on the command line (`--maxclients 10`), by directive name. */
  directives: Record<string, string>;
  ignored: string[];
}

/** Runs the server until SIGINT/SIGTERM (or `signal` aborts). Returns the exit code. */
export async function runServe(a: ServeArgs, signal?: AbortSignal): Promise<number> {
  const c = a.color && !process.env.NO_COLOR ? chalk : new Chalk({ level: 0 });
  let conf: ParsedConf = { directives: {}, ignored: [], errors: [] };
  if (a.config) {
    let text: string;
    try {
      text = readFileSync(a.config, 'utf8');
    } catch (e) {
      console.error(c.red(`cannot read config file ${a.config}: ${(e as Error).message}`));
      return 2;
    }
    conf = parseRedisConf(text);
    for (const e of conf.errors) console.error(c.red(`${a.config}:${e.line}: ${e.message}`));
    if (conf.errors.length) return 2;
  }
  const directives = { ...conf.directives };
  for (const [k, v] of Object.entries(a.directives)) addDirective(directives, conf.ignored, k, v);
  for (const i of conf.ignored) if (!a.quiet) console.error(c.dim(`note: directive '${i.name}'${i.line ? ` (${a.config}:${i.line})` : ''} is not modelled by the core; ignored`));
  for (const o of a.ignored) if (!a.quiet) console.error(c.dim(`note: --${o} ignored (the core has no persistence and does not daemonise)`));

  // A tls-port without any certificate files: throwaway ones, deleted when the server stops.
  let certs: ThrowawayCerts | null = null;
  const tlsFiles = ['tls-cert-file', 'tls-key-file', 'tls-ca-cert-file'];
  if (Number(directives['tls-port'] ?? 0) > 0 && tlsFiles.every((f) => !directives[f])) {
    try {
      certs = makeThrowawayCerts();
    } catch (e) {
      console.error(c.red(`redsim serve: ${(e as Error).message}`));
      return 2;
    }
    directives['tls-cert-file'] = certs.server.cert;
    directives['tls-key-file'] = certs.server.key;
    directives['tls-ca-cert-file'] = certs.ca.cert;
  }
  try {
    return await serveWith(a, directives, certs, c, signal);
  } finally {
    certs?.remove();
  }
}

async function serveWith(a: ServeArgs, directives: Record<string, string>, certs: ThrowawayCerts | null, c: typeof chalk, signal?: AbortSignal): Promise<number> {
  let timeline: WriteStream | null = null;
  if (a.timeline) timeline = createWriteStream(a.timeline);
  let srv: RealServer | null = null;
  const onEvent = (e: TimelineEvent): void => {
    timeline?.write(canonicalEvent(e) + '\n');
    if (a.quiet) return;
    if (e.kind === 'log') {
      const min = LEVELS.indexOf(srv?.server.config.loglevel ?? (directives.loglevel as (typeof LEVELS)[number]) ?? 'notice');
      if (LEVELS.indexOf(e.level) >= Math.max(0, min)) console.log(`${logPrefix(e.level)} ${e.line}`);
    } else if (a.trace && e.kind !== 'cron') {
      console.log(c.dim(`${(e.t / 1e6).toFixed(6)}s ${e.client ?? ''} ${describeEvent(e)}`));
    }
  };
  try {
    srv = await startRealServer({
      directives,
      host: a.bind,
      port: a.port,
      onEvent,
      retain: false,
      record: a.trace || a.timeline ? undefined : new Set<EventKind>(['log']),
      onCrash: (e) => console.error(c.red(`redsim serve: internal error in the core: ${(e as Error).stack ?? e}`)),
    });
  } catch (e) {
    if (e instanceof RealServerConfigError) {
      for (const i of e.issues) console.error(c.red(`*** FATAL CONFIG FILE ERROR (redsim) ***\n>>> '${i.name} ${directives[i.name] ?? ''}'\n${i.message}`));
      return 2;
    }
    throw e;
  }
  if (srv.exitCode !== null) {
    timeline?.end();
    return srv.exitCode;
  }
  if (!a.quiet) {
    console.log(c.bold(`redsim serve: the Redis 7.0.15 client-handling core on node:net, listening on ${a.bind}:${srv.port}${srv.tlsPort ? ` and TLS on ${a.bind}:${srv.tlsPort}` : ''} (pid ${process.pid})`));
    if (certs) {
      console.log(`throwaway self-signed TLS certificates in ${certs.dir} (deleted on exit):`);
      console.log(`  CA ${certs.ca.cert}\n  server ${certs.server.cert} ${certs.server.key}\n  client ${certs.client.cert} ${certs.client.key}`);
      console.log(c.dim(`  try: redis-cli --tls --cacert ${certs.ca.cert} --cert ${certs.client.cert} --key ${certs.client.key} -p ${srv.tlsPort} ping`));
    }
    if (srv.config['tcp-keepalive'] > 0) console.log(c.dim(`note: keepalive idle time ${srv.config['tcp-keepalive']} s is set; TCP_KEEPINTVL and TCP_KEEPCNT cannot be set from Node, so the kernel's defaults apply`));
  }
  const running = srv;
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    signal?.addEventListener('abort', done, { once: true });
    const poll = setInterval(() => {
      if (running.crash) done();
    }, 200);
    poll.unref();
  });
  await running.stop();
  if (timeline) await new Promise<void>((r) => timeline!.end(() => r()));
  if (!a.quiet) console.log(c.dim('redsim serve: stopped'));
  return running.crash ? 3 : 0;
}

/** The yargs command; `setCode` receives the exit code. */
export function serveCommand(setCode: (code: number) => void): CommandModule {
  return {
    command: 'serve',
    describe: 'Run the client-handling core on real sockets (redis-cli and redis-benchmark can connect)',
    builder: (y: Argv) => {
      let b = y
        .option('port', { type: 'number', default: 6390, describe: 'TCP port (0 = any free port)' })
        .option('bind', { type: 'string', default: '127.0.0.1', describe: 'address to listen on' })
        .option('config', { type: 'string', describe: 'a redis.conf-style file (directives the core does not model are ignored, with a note)' })
        .option('timeline', { type: 'string', describe: 'write every timeline event to FILE as NDJSON (wall-clock µs since start)' })
        .option('trace', { type: 'boolean', default: false, describe: 'print every timeline event (accepts, reads, replies, closes…)' })
        .option('quiet', { type: 'boolean', default: false, describe: 'print nothing but errors' });
      for (const d of CONFIGS) {
        if (d.name === 'port' || d.name === 'bind') continue;
        b = b.option(d.name, { type: 'string', group: 'Directives (as in redis.conf):', describe: DESCRIBE[d.name] ?? (d.alias ? `alias ${d.alias}` : '') });
      }
      for (const o of IGNORED_OPTIONS) b = b.option(o, { type: 'string', hidden: true });
      return b
        .example('$0 serve --port 6390 --maxclients 100 --timeout 5', 'then: redis-cli -p 6390 ping')
        .example('$0 serve --config redis.conf --loglevel verbose', 'load directives from a file')
        .example('$0 serve --tls-port 6391', 'TLS too; with no --tls-cert-file/--tls-key-file/--tls-ca-cert-file it makes throwaway self-signed certificates with openssl and prints their paths');
    },
    handler: async (argv) => {
      const directives: Record<string, string> = {};
      for (const d of CONFIGS) {
        if (d.name === 'port' || d.name === 'bind') continue;
        const v = argv[d.name];
        if (v !== undefined) directives[d.name] = String(v);
      }
      const ignored = IGNORED_OPTIONS.filter((o) => argv[o] !== undefined);
      setCode(await runServe({
        port: argv.port as number,
        bind: argv.bind as string,
        config: argv.config as string | undefined,
        timeline: argv.timeline as string | undefined,
        trace: argv.trace as boolean,
        quiet: argv.quiet as boolean,
        color: argv.color as boolean,
        directives,
        ignored,
      }));
    },
  };
}
