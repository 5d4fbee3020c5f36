// Errno values the virtual kernel returns and the core understands; names and numbers as on Linux.
// Simulated failures are values of this type, never exceptions.

export const EPERM = 1, EINTR = 4, EBADF = 9, EAGAIN = 11, EINVAL = 22, EMFILE = 24, EPIPE = 32,
  EADDRINUSE = 98, EADDRNOTAVAIL = 99, ECONNRESET = 104, ENOTCONN = 107, ETIMEDOUT = 110, ECONNREFUSED = 111,
  EINPROGRESS = 115;
/** Failures of the TLS layer (EPROTO) and of a backend without TLS (EOPNOTSUPP). */
export const EPROTO = 71, EOPNOTSUPP = 95;

/** A negative errno, as raw syscalls return it: `-EAGAIN` etc. */
export type Errno = number;

const NAMES: Record<number, [string, string]> = {
  [EPROTO]: ['EPROTO', 'Protocol error'],
  [EOPNOTSUPP]: ['EOPNOTSUPP', 'Operation not supported'],
  [EPERM]: ['EPERM', 'Operation not permitted'],
  [EINTR]: ['EINTR', 'Interrupted system call'],
  [EBADF]: ['EBADF', 'Bad file descriptor'],
  [EAGAIN]: ['EAGAIN', 'Resource temporarily unavailable'],
  [EINVAL]: ['EINVAL', 'Invalid argument'],
  [EMFILE]: ['EMFILE', 'Too many open files'],
  [EPIPE]: ['EPIPE', 'Broken pipe'],
  [EADDRINUSE]: ['EADDRINUSE', 'Address already in use'],
  [EADDRNOTAVAIL]: ['EADDRNOTAVAIL', 'Cannot assign requested address'],
  [ECONNRESET]: ['ECONNRESET', 'Connection reset by peer'],
  [ENOTCONN]: ['ENOTCONN', 'Transport endpoint is not connected'],
  [ETIMEDOUT]: ['ETIMEDOUT', 'Connection timed out'],
  [ECONNREFUSED]: ['ECONNREFUSED', 'Connection refused'],
  [EINPROGRESS]: ['EINPROGRESS', 'Operation now in progress'],
};

/** Symbolic name of an errno (accepts positive or negative), e.g. `ECONNRESET`. */
export function errnoName(e: number): string {
  return NAMES[Math.abs(e)]?.[0] ?? `E${Math.abs(e)}`;
}

/** strerror(3) text, e.g. `Connection reset by peer`, used in Redis log lines. */
export function strerror(e: number): string {
  return NAMES[Math.abs(e)]?.[1] ?? `Unknown error ${Math.abs(e)}`;
}
