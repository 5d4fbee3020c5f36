import { describe, expect, it } from 'vitest';
import {
  ByteQueue, Filler, type Segment, describeSegments, isFiller, joinSegments, segmentsLength, sliceSegment, toBuffer,
} from '../../src/base/bytes.ts';

const b = (s: string) => Buffer.from(s, 'latin1');

/** Shape of runs: strings for real bytes, `<n×c>` for filler. */
function shape(segs: readonly Segment[]): string[] {
  return segs.map((s) => (isFiller(s) ? `<${s.length}×${String.fromCharCode(s.byte)}>` : s.toString('latin1')));
}

/** A queue holding "abc" + 5×'x' + "de" + 4×'y' + "f" (15 bytes). */
function mixed(): ByteQueue {
  const q = new ByteQueue();
  q.push(b('abc'));
  q.push(new Filler(5));
  q.push(b('de'));
  q.push(new Filler(4, 0x79));
  q.push(b('f'));
  return q;
}
const MIXED = 'abcxxxxxdeyyyyf';

describe('segments', () => {
  it('a Filler counts its bytes and defaults to the byte x', () => {
    const f = new Filler(7);
    expect(f.length).toBe(7);
    expect(f.byte).toBe(0x78);
    expect(isFiller(f)).toBe(true);
    expect(isFiller(b('x'))).toBe(false);
  });

  it('segmentsLength adds real and filler lengths', () => {
    expect(segmentsLength([b('ab'), new Filler(10), b('')])).toBe(12);
    expect(segmentsLength([])).toBe(0);
  });

  it('sliceSegment of a Buffer shares its memory and of a Filler keeps the byte', () => {
    const buf = b('hello');
    const s = sliceSegment(buf, 1, 3) as Buffer;
    expect(s.toString()).toBe('el');
    buf[1] = 0x45; // 'E'
    expect(s.toString()).toBe('El');
    const f = sliceSegment(new Filler(10, 0x7a), 2, 9);
    expect(isFiller(f)).toBe(true);
    expect(f.length).toBe(7);
    expect((f as Filler).byte).toBe(0x7a);
  });

  it('joinSegments concatenates all-real runs into real bytes', () => {
    const j = joinSegments([b('ab'), b('cd'), b('e')]);
    expect(isFiller(j)).toBe(false);
    expect((j as Buffer).toString()).toBe('abcde');
  });

  it('joinSegments of a single run returns that very run', () => {
    const f = new Filler(3);
    expect(joinSegments([f])).toBe(f);
    const buf = b('z');
    expect(joinSegments([buf])).toBe(buf);
  });

  it('joinSegments with any filler gives a Filler of the total length with the first filler byte', () => {
    const j = joinSegments([b('ab'), new Filler(4, 0x71), new Filler(2, 0x72), b('c')]);
    expect(isFiller(j)).toBe(true);
    expect(j.length).toBe(9);
    expect((j as Filler).byte).toBe(0x71);
  });

  it('toBuffer expands filler and describeSegments summarises it', () => {
    const segs = [b('a'), new Filler(3), b('b')];
    expect(toBuffer(segs).toString()).toBe('axxxb');
    expect(describeSegments(segs)).toBe('a<3×"x">b');
  });
});

describe('ByteQueue', () => {
  it('counts real and filler bytes and ignores empty runs', () => {
    const q = mixed();
    expect(q.length).toBe(15);
    q.push(b(''));
    q.push(new Filler(0));
    expect(q.length).toBe(15);
    expect(q.segments()).toHaveLength(5);
  });

  it('take splits a real run at the exact position and leaves the rest', () => {
    const q = mixed();
    expect(shape(q.take(2))).toEqual(['ab']);
    expect(q.length).toBe(13);
    expect(shape(q.take(1))).toEqual(['c']);
    expect(toBuffer(q.segments()).toString()).toBe(MIXED.slice(3));
  });

  it('take across a real/filler boundary returns the real tail and a filler of the exact remainder', () => {
    const q = mixed();
    q.take(2);
    expect(shape(q.take(3))).toEqual(['c', '<2×x>']);
    expect(shape(q.take(4))).toEqual(['<3×x>', 'd']);
    expect(shape(q.take(6))).toEqual(['e', '<4×y>', 'f']);
    expect(q.length).toBe(0);
  });

  it('take of exactly the remaining bytes of the front run ends at the boundary', () => {
    const q = mixed();
    expect(shape(q.take(3))).toEqual(['abc']);
    expect(shape(q.take(5))).toEqual(['<5×x>']);
    expect(q.byteAt(0)).toBe(0x64); // 'd'
  });

  it('take of whole runs returns the same objects without copying', () => {
    const q = new ByteQueue();
    const r1 = b('abc');
    const f = new Filler(4);
    q.push(r1);
    q.push(f);
    const out = q.take(7);
    expect(out[0]).toBe(r1);
    expect(out[1]).toBe(f);
  });

  it('take(0) returns nothing and changes nothing', () => {
    const q = mixed();
    expect(q.take(0)).toEqual([]);
    expect(q.length).toBe(15);
  });

  it('take and skip beyond the length throw a RangeError and leave the queue intact', () => {
    const q = mixed();
    expect(() => q.take(16)).toThrow(RangeError);
    expect(() => q.skip(16)).toThrow(RangeError);
    expect(q.length).toBe(15);
    expect(toBuffer(q.segments()).toString()).toBe(MIXED);
  });

  it('skip discards exactly n bytes, in the middle of a filler run too', () => {
    const q = mixed();
    q.skip(5);
    expect(q.length).toBe(10);
    expect(shape(q.segments())).toEqual(['<3×x>', 'de', '<4×y>', 'f']);
    q.skip(4);
    expect(shape(q.segments())).toEqual(['e', '<4×y>', 'f']);
    q.skip(6);
    expect(q.length).toBe(0);
    expect(q.segments()).toEqual([]);
  });

  it('byteAt reads real bytes and filler bytes relative to the current front', () => {
    const q = mixed();
    for (let i = 0; i < MIXED.length; i++) expect(String.fromCharCode(q.byteAt(i))).toBe(MIXED[i]);
    q.skip(4);
    expect(String.fromCharCode(q.byteAt(0))).toBe('x');
    expect(String.fromCharCode(q.byteAt(4))).toBe('d');
    expect(String.fromCharCode(q.byteAt(10))).toBe('f');
  });

  it('byteAt at or beyond the length throws a RangeError', () => {
    const q = mixed();
    expect(() => q.byteAt(15)).toThrow(RangeError);
    expect(() => new ByteQueue().byteAt(0)).toThrow(RangeError);
  });

  it('indexOf finds a byte in real runs and the first position of a matching filler run', () => {
    const q = mixed();
    expect(q.indexOf(0x63)).toBe(2); // 'c'
    expect(q.indexOf(0x78)).toBe(3); // first 'x'
    expect(q.indexOf(0x78, 5)).toBe(5); // inside the filler run
    expect(q.indexOf(0x79)).toBe(10);
    expect(q.indexOf(0x66)).toBe(14); // last byte
    expect(q.indexOf(0x7a)).toBe(-1);
  });

  it('indexOf respects from and limit exactly, limit being exclusive', () => {
    const q = mixed();
    expect(q.indexOf(0x64, 0, 8)).toBe(-1); // 'd' is at 8
    expect(q.indexOf(0x64, 0, 9)).toBe(8);
    expect(q.indexOf(0x61, 1)).toBe(-1); // 'a' only at 0
    expect(q.indexOf(0x78, 8)).toBe(-1); // filler ends at 7
    expect(q.indexOf(0x78, 7)).toBe(7);
    expect(q.indexOf(0x79, 0, 10)).toBe(-1); // 'y' filler begins at 10
    expect(q.indexOf(0x66, 15)).toBe(-1);
    expect(q.indexOf(0x61, 5, 3)).toBe(-1);
  });

  it('indexOf positions stay relative to the front after partial consumption', () => {
    const q = mixed();
    q.take(1);
    expect(q.indexOf(0x62)).toBe(0); // 'b'
    expect(q.indexOf(0x61)).toBe(-1); // consumed
    expect(q.indexOf(0x64)).toBe(7);
    q.skip(4); // now at the 3rd 'x'
    expect(q.indexOf(0x78)).toBe(0);
    expect(q.indexOf(0x78, 3)).toBe(-1);
  });

  it('indexOf does not report a real byte found past the limit within the same run', () => {
    const q = new ByteQueue();
    q.push(b('aaaa\r\n'));
    expect(q.indexOf(0x0d, 0, 4)).toBe(-1);
    expect(q.indexOf(0x0d, 0, 5)).toBe(4);
  });

  it('peek copies bytes across real and filler runs without consuming them', () => {
    const q = mixed();
    expect(q.peek(0, 15).toString()).toBe(MIXED);
    expect(q.peek(2, 5).toString()).toBe('cxxxx');
    expect(q.peek(7, 4).toString()).toBe('xdey');
    expect(q.peek(14, 1).toString()).toBe('f');
    expect(q.peek(15, 0).length).toBe(0);
    expect(q.length).toBe(15);
    q.skip(6);
    expect(q.peek(0, 4).toString()).toBe('xxde');
  });

  it('peek beyond the length throws a RangeError', () => {
    const q = mixed();
    expect(() => q.peek(10, 6)).toThrow(RangeError);
    expect(() => q.peek(0, 16)).toThrow(RangeError);
  });

  it('segments lists live runs with the partly consumed front run sliced', () => {
    const q = mixed();
    q.take(1);
    expect(shape(q.segments())).toEqual(['bc', '<5×x>', 'de', '<4×y>', 'f']);
    q.take(4);
    expect(shape(q.segments())).toEqual(['<3×x>', 'de', '<4×y>', 'f']);
  });

  it('clear empties the queue and it can be reused', () => {
    const q = mixed();
    q.take(4);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.segments()).toEqual([]);
    q.push(b('hi'));
    expect(q.peek(0, 2).toString()).toBe('hi');
  });

  it('stays correct after many pushes and takes (front compaction)', () => {
    const q = new ByteQueue();
    let expected = '';
    for (let i = 0; i < 500; i++) {
      const s = String.fromCharCode(0x61 + (i % 26)).repeat((i % 5) + 1);
      if (i % 3 === 0) q.push(new Filler(s.length, s.charCodeAt(0)));
      else q.push(b(s));
      expected += s;
      if (i % 2 === 1) {
        const n = (i % 7) + 1;
        expect(toBuffer(q.take(n)).toString()).toBe(expected.slice(0, n));
        expected = expected.slice(n);
      }
      expect(q.length).toBe(expected.length);
    }
    expect(q.peek(0, q.length).toString()).toBe(expected);
    expect(q.indexOf(expected.charCodeAt(10), 0)).toBe(expected.indexOf(expected[10]!));
  });
});
