// Output-buffer limits per client class (networking.c getClientType,
// getClientOutputBufferMemoryUsage, checkClientOutputBufferLimits,
// closeClientOnOutputBufferLimitReached). The query-buffer limit is checked on the read path.
import { REPLY_NODE_OVERHEAD } from './alloc.ts';
import { CLIENT_CLOSE_ASAP, CLIENT_MASTER, CLIENT_MONITOR, CLIENT_PUBSUB, CLIENT_SLAVE, type Client } from './client.ts';
import { catClientInfoString } from './client-info.ts';
import type { ObufClass } from './config.ts';
import { freeClient, freeClientAsync } from './lifecycle.ts';
import type { Server } from './server.ts';

export type ClientType = 'normal' | 'replica' | 'pubsub' | 'master';

/** getClientType, from current flags: MONITOR clients are normal; any subscription makes pubsub. */
export function getClientType(c: Client): ClientType {
  if (c.has(CLIENT_MASTER)) return 'master';
  if (c.has(CLIENT_SLAVE) && !c.has(CLIENT_MONITOR)) return 'replica';
  if (c.has(CLIENT_PUBSUB)) return 'pubsub';
  return 'normal';
}

/** omem: reply-block capacity plus 40 bytes per block; the static buffer is not counted. */
export function getClientOutputBufferMemoryUsage(c: Client): number {
  // Every block counts at least 16 KiB in replyBytes, so 0 means no blocks. Performance: the cron
  // asks this of every client it visits, and the answer then needs no look at the list.
  return c.replyBytes === 0 ? 0 : c.replyBytes + REPLY_NODE_OVERHEAD * c.reply.length;
}

/**
 * Debian's backport of CVE-2025-21605: an unauthenticated client whose output goes past this many
 * bytes is over its limit whatever its class. The exact figure in the backport is unverified; 1024
 * is upstream's, and any value below one reply block behaves the same (see the reference §0).
 */
export const UNAUTH_OBUF_LIMIT = 1024;

/**
 * checkClientOutputBufferLimits: whether `c` is over its hard limit, or over its soft limit for
 * longer than soft-seconds (strictly, in whole seconds of server.unixtime). Starts or resets the
 * soft-limit timer as a side effect, as Redis does.
 */
export function checkClientOutputBufferLimits(server: Server, c: Client): 'hard' | 'soft' | 'unauth' | null {
  const used = getClientOutputBufferMemoryUsage(c);
  if (server.config.profile === 'debian' && !c.authenticated && used > UNAUTH_OBUF_LIMIT) return 'unauth';
  let cls = getClientType(c);
  if (cls === 'master') cls = 'normal';
  const lim = server.config['client-output-buffer-limit'][cls as ObufClass];
  const hard = lim.hard !== 0 && used >= lim.hard;
  let soft = lim.soft !== 0 && used >= lim.soft;
  if (soft) {
    if (c.obufSoftLimitReachedTime === 0) {
      c.obufSoftLimitReachedTime = server.unixtime;
      soft = false; // the first time it is reached only starts the timer
    } else {
      const elapsed = server.unixtime - c.obufSoftLimitReachedTime;
      if (elapsed <= lim.softSeconds) soft = false;
    }
  } else {
    c.obufSoftLimitReachedTime = 0;
  }
  return hard ? 'hard' : soft ? 'soft' : null;
}

/**
 * closeClientOnOutputBufferLimitReached: closes `c` if over a limit — asynchronously from the reply
 * path, at once from the cron. No reply is sent; pending output is lost. Returns whether it closed.
 */
export function closeClientOnOutputBufferLimitReached(server: Server, c: Client, async: boolean): boolean {
  if (c.replyBytes === 0) {
    // 7.0.15 returns before checking, so a client that drained keeps a stale soft-limit start time
    // and is closed at once if it crosses the soft limit again later. `obuf-soft-timer fixed` resets it.
    if (server.config['obuf-soft-timer'] === 'fixed') c.obufSoftLimitReachedTime = 0;
    return false;
  }
  if (c.has(CLIENT_CLOSE_ASAP)) return false;
  const which = checkClientOutputBufferLimits(server, c);
  if (!which) return false;
  const reason = which === 'soft' ? 'obuf-soft-limit' : 'obuf-hard-limit';
  const cls = getClientType(c);
  const lim = server.config['client-output-buffer-limit'][cls === 'master' ? 'normal' : cls];
  const used = getClientOutputBufferMemoryUsage(c);
  const detail = which === 'unauth'
    ? `omem ${used} > ${UNAUTH_OBUF_LIMIT} while unauthenticated (Debian's CVE-2025-21605 backport)`
    : which === 'hard'
    ? `omem ${used} >= hard limit ${lim.hard} (${cls})`
    : `omem ${used} >= soft limit ${lim.soft} for more than ${lim.softSeconds} s (since ${c.obufSoftLimitReachedTime}) (${cls})`;
  const info = catClientInfoString(server, c);
  if (async) {
    server.log('warning', `Client ${info} scheduled to be closed ASAP for overcoming of output buffer limits.`, c.addr);
    freeClientAsync(server, c, reason, detail);
  } else {
    server.log('warning', `Client ${info} closed for overcoming of output buffer limits.`, c.addr);
    freeClient(server, c, reason, detail);
  }
  return true;
}
