// Named, seeded random streams. Every decision that needs chance draws from its own stream, so
// adding a client or a fault does not reshuffle any other stream's sequence.
import seedrandom from 'seedrandom';

/** One deterministic stream of pseudo-random numbers. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number;
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[];
}

function wrap(prng: () => number): Rng {
  return {
    next: prng,
    int: (lo, hi) => lo + Math.floor(prng() * (hi - lo + 1)),
    shuffle<T>(xs: T[]): T[] {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = Math.floor(prng() * (i + 1));
        const t = xs[i]!; xs[i] = xs[j]!; xs[j] = t;
      }
      return xs;
    },
  };
}

/** Factory of named streams derived from one scenario seed. */
export class RandomStreams {
  private readonly streams = new Map<string, Rng>();
  constructor(readonly seed: number) {}

  /** The stream called `name` (created on first use; same seed and name give the same sequence). */
  get(name: string): Rng {
    let s = this.streams.get(name);
    if (!s) {
      s = wrap(seedrandom(`redsim:${this.seed}:${name}`));
      this.streams.set(name, s);
    }
    return s;
  }
}
