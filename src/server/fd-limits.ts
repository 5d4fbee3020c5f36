// maxclients versus the process's fd limit (adjustOpenFilesLimit in server.c): at start-up and on
// CONFIG SET maxclients, raise RLIMIT_NOFILE to maxclients + 32, stepping down by 16 when refused,
// and lower maxclients to what the limit allows, logging exactly what Redis logs.
import { strerror } from '../base/errno.ts';
import type { Server } from './server.ts';
import { CONFIG_MIN_RESERVED_FDS } from './server.ts';

/** Step by which Redis lowers its fd-limit request after a refusal. */
const DECR_STEP = 16;

/**
 * adjustOpenFilesLimit. Returns false when Redis would exit (limit too low to start). With the
 * redsim switch `client-limit-policy 2.4` the fd limit is not consulted (Redis 2.4's fixed limit).
 */
export function adjustOpenFilesLimit(server: Server): boolean {
  const cfg = server.config;
  if (cfg['client-limit-policy'] === '2.4') return true;
  const maxfiles = cfg.maxclients + CONFIG_MIN_RESERVED_FDS;
  const { soft: oldlimit } = server.backend.getrlimit();
  if (oldlimit >= maxfiles) return true;

  let bestlimit = maxfiles;
  let setrlimitError = 0;
  while (bestlimit > oldlimit) {
    const r = server.backend.setrlimit(bestlimit, bestlimit);
    if (r === 0) break;
    setrlimitError = -r;
    if (bestlimit < DECR_STEP) {
      bestlimit = oldlimit;
      break;
    }
    bestlimit -= DECR_STEP;
  }
  if (bestlimit < oldlimit) bestlimit = oldlimit;

  if (bestlimit < maxfiles) {
    const oldMaxclients = cfg.maxclients;
    cfg.maxclients = bestlimit - CONFIG_MIN_RESERVED_FDS;
    if (bestlimit <= CONFIG_MIN_RESERVED_FDS) {
      server.log('warning', `Your current 'ulimit -n' of ${oldlimit} is not enough for the server to start. Please increase your open file limit to at least ${maxfiles}. Exiting.`);
      server.exitCode = 1;
      return false;
    }
    {
      server.log('warning', `You requested maxclients of ${oldMaxclients} requiring at least ${maxfiles} max file descriptors.`);
      server.log('warning', `Server can't set maximum open files to ${maxfiles} because of OS error: ${strerror(setrlimitError)}.`);
      server.log('warning', `Current maximum open files is ${bestlimit}. maxclients has been reduced to ${cfg.maxclients} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`);
    }
  } else {
    server.log('notice', `Increased maximum number of open files to ${maxfiles} (it was originally set to ${oldlimit}).`);
  }
  return true;
}
