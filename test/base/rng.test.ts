import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/base/rng.ts';

const draw = (s: RandomStreams, name: string, n: number) => Array.from({ length: n }, () => s.get(name).next());

describe('RandomStreams', () => {
  it('the same seed and name give the same sequence', () => {
    expect(draw(new RandomStreams(42), 'net:c1', 20)).toEqual(draw(new RandomStreams(42), 'net:c1', 20));
  });

  it('different seeds or names give different sequences', () => {
    const a = draw(new RandomStreams(1), 'x', 10);
    expect(draw(new RandomStreams(2), 'x', 10)).not.toEqual(a);
    expect(draw(new RandomStreams(1), 'y', 10)).not.toEqual(a);
  });

  it('get returns the same stream object for a name, continuing its sequence', () => {
    const s = new RandomStreams(3);
    expect(s.get('a')).toBe(s.get('a'));
    const first = s.get('a').next();
    const fresh = new RandomStreams(3).get('a');
    expect(fresh.next()).toBe(first);
    expect(s.get('a').next()).toBe(fresh.next());
  });

  it('drawing from one stream does not shift another stream', () => {
    const s1 = new RandomStreams(9);
    const s2 = new RandomStreams(9);
    for (let i = 0; i < 100; i++) s1.get('noise').next();
    expect(draw(s1, 'b', 10)).toEqual(draw(s2, 'b', 10));
  });

  it('next is in [0, 1) and int stays within inclusive bounds, hitting both ends', () => {
    const r = new RandomStreams(5).get('ints');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const f = r.next();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const v = r.int(3, 7);
      expect(Number.isInteger(v)).toBe(true);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(7);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(r.int(4, 4)).toBe(4);
  });

  it('shuffle permutes in place, deterministically per seed', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const a = new RandomStreams(11).get('s').shuffle(xs.slice());
    const b = new RandomStreams(11).get('s').shuffle(xs.slice());
    expect(a).toEqual(b);
    expect(a.slice().sort((p, q) => p - q)).toEqual(xs);
    expect(a).not.toEqual(xs);
    const arr = [1, 2, 3];
    expect(new RandomStreams(1).get('s').shuffle(arr)).toBe(arr);
  });
});
