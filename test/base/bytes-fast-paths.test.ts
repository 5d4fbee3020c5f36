// The ByteQueue fast paths added for speed, checked against the plain operations they replace on
// random mixes of real and filler runs.
import { describe, expect, it } from 'vitest';
import { ByteQueue, Filler, isFiller, joinSegments, toBuffer, type Segment } from '../../src/base/bytes.ts';
import { RandomStreams } from '../../src/base/rng.ts';

const rng = new RandomStreams(7).get('bytes-fast-paths');

function randomRuns(): Segment[] {
  const runs: Segment[] = [];
  const count = rng.int(1, 6);
  for (let i = 0; i < count; i++) {
    if (rng.int(0, 4) === 0) runs.push(new Filler(rng.int(1, 400), [0x78, 0x0d, 0x00, 0x0a][rng.int(0, 3)]));
    else {
      const len = rng.int(1, rng.int(0, 3) === 0 ? 700 : 30);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = [0x61, 0x0d, 0x0a, 0x00, 0x62, 0x63, 0x64][rng.int(0, 6)]!;
      runs.push(b);
    }
  }
  return runs;
}

function queueOf(runs: Segment[]): { q: ByteQueue; flat: Buffer } {
  const q = new ByteQueue();
  q.pushAll(runs);
  const skip = rng.int(0, Math.min(5, q.length));
  q.skip(skip);
  return { q, flat: toBuffer(runs).subarray(skip) };
}

describe('ByteQueue fast paths', () => {
  it('indexOfBeforeNul is strchr: the byte, unless a NUL comes first', () => {
    for (let i = 0; i < 400; i++) {
      const { q, flat } = queueOf(randomRuns());
      for (const byte of [0x0d, 0x0a]) {
        const at = flat.indexOf(byte);
        const nul = flat.indexOf(0);
        const want = at === -1 || (nul !== -1 && nul < at) ? -1 : at;
        expect(q.indexOfBeforeNul(byte)).toBe(want);
      }
    }
  });

  it('indexOf honours from and limit across runs', () => {
    for (let i = 0; i < 300; i++) {
      const { q, flat } = queueOf(randomRuns());
      const from = rng.int(0, flat.length);
      const limit = rng.int(from, flat.length);
      const at = flat.subarray(0, limit).indexOf(0x0d, from);
      expect(q.indexOf(0x0d, from, limit)).toBe(at);
    }
  });

  it('takeJoined, take, transfer and skip remove the same bytes', () => {
    for (let i = 0; i < 300; i++) {
      const runs = randomRuns();
      const a = queueOf(runs);
      const n = rng.int(1, a.q.length);
      const joined = a.q.takeJoined(n);
      const want = a.flat.subarray(0, n);
      if (isFiller(joined)) expect(joined.length).toBe(n);
      else expect(Buffer.compare(joined, want)).toBe(0);
      expect(a.q.length).toBe(a.flat.length - n);
      if (a.q.length) expect(toBuffer(a.q.segments()).equals(a.flat.subarray(n))).toBe(true);

      const b = new ByteQueue();
      b.pushAll(runs);
      const to = new ByteQueue();
      to.push(Buffer.from('pre'));
      const all = toBuffer(runs);
      const m = rng.int(0, b.length);
      b.transfer(m, to);
      expect(toBuffer(to.segments()).equals(Buffer.concat([Buffer.from('pre'), all.subarray(0, m)]))).toBe(true);
      expect(b.length).toBe(all.length - m);
      const rest = b.take(b.length);
      expect(toBuffer(rest).equals(all.subarray(m))).toBe(true);
      expect(joinSegments([Buffer.from('x')])).toEqual(Buffer.from('x'));
    }
  });

  it('latin1, peekInto and headRun read what peek reads', () => {
    for (let i = 0; i < 300; i++) {
      const { q, flat } = queueOf(randomRuns());
      if (flat.length === 0) continue;
      const from = rng.int(0, flat.length - 1);
      const n = rng.int(1, Math.min(20, flat.length - from));
      expect(q.latin1(from, n)).toBe(flat.subarray(from, from + n).toString('latin1'));
      const out = new Uint8Array(21);
      q.peekInto(from, n, out);
      expect(Buffer.from(out.subarray(0, n)).equals(flat.subarray(from, from + n))).toBe(true);
      const h = q.headRun(from, n);
      if (h) expect(Buffer.from(h.run.subarray(h.start, h.start + n)).equals(flat.subarray(from, from + n))).toBe(true);
    }
  });

  it('a queue that empties reuses its slots, and clear() leaves it usable', () => {
    const q = new ByteQueue();
    for (let i = 0; i < 1000; i++) {
      q.push(Buffer.from(`m${i}`));
      q.push(new Filler(3));
      expect(toBuffer(q.take(q.length)).toString()).toBe(`m${i}xxx`);
    }
    q.push(Buffer.from('a'));
    q.clear();
    expect(q.length).toBe(0);
    q.push(Buffer.from('b'));
    expect(toBuffer(q.segments()).toString()).toBe('b');
  });
});
