// Bugs throw with a sentence; simulated failures never come through here.

/** Throws when `cond` is false: a broken internal assumption, never a simulated failure. */
export function invariant(cond: unknown, message: string | (() => string)): asserts cond {
  if (!cond) throw new Error(`invariant violated: ${typeof message === 'function' ? message() : message}`);
}

/** An unmodelled feature: a named error rather than a quiet approximation. */
export class NotModelledError extends Error {
  constructor(what: string) {
    super(`not modelled by redsim: ${what}`);
    this.name = 'NotModelledError';
  }
}
