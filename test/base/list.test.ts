import { describe, expect, it } from 'vitest';
import { List } from '../../src/base/list.ts';

function listOf(...xs: number[]): List<number> {
  const l = new List<number>();
  for (const x of xs) l.push(x);
  return l;
}

/** Walks the list backwards from the tail, checking prev links agree with next links. */
function backwards<T>(l: List<T>): T[] {
  const out: T[] = [];
  for (let n = l.tail; n; n = n.prev) out.unshift(n.value);
  return out;
}

describe('List', () => {
  it('push appends at the tail and unshift prepends at the head', () => {
    const l = listOf(2, 3);
    l.unshift(1);
    l.push(4);
    expect(l.toArray()).toEqual([1, 2, 3, 4]);
    expect(backwards(l)).toEqual([1, 2, 3, 4]);
    expect(l.length).toBe(4);
    expect(l.head!.value).toBe(1);
    expect(l.tail!.value).toBe(4);
  });

  it('remove unlinks a middle node in O(1) through its handle', () => {
    const l = new List<string>();
    l.push('a');
    const b = l.push('b');
    l.push('c');
    l.remove(b);
    expect(l.toArray()).toEqual(['a', 'c']);
    expect(backwards(l)).toEqual(['a', 'c']);
    expect(l.length).toBe(2);
    expect(b.prev).toBeNull();
    expect(b.next).toBeNull();
  });

  it('removing the head or the tail updates the ends', () => {
    const l = new List<number>();
    const h = l.push(1);
    l.push(2);
    const t = l.push(3);
    l.remove(h);
    expect(l.head!.value).toBe(2);
    l.remove(t);
    expect(l.tail!.value).toBe(2);
    expect(l.head).toBe(l.tail);
    l.remove(l.head!);
    expect(l.head).toBeNull();
    expect(l.tail).toBeNull();
    expect(l.length).toBe(0);
    expect(l.toArray()).toEqual([]);
  });

  it('rotateTailToHead moves the last node to the front', () => {
    const l = listOf(1, 2, 3, 4);
    l.rotateTailToHead();
    expect(l.toArray()).toEqual([4, 1, 2, 3]);
    expect(backwards(l)).toEqual([4, 1, 2, 3]);
    l.rotateTailToHead();
    expect(l.toArray()).toEqual([3, 4, 1, 2]);
    expect(l.length).toBe(4);
  });

  it('rotating a list of two swaps it and of one or none changes nothing', () => {
    const two = listOf(1, 2);
    two.rotateTailToHead();
    expect(two.toArray()).toEqual([2, 1]);
    expect(backwards(two)).toEqual([2, 1]);
    const one = listOf(7);
    one.rotateTailToHead();
    expect(one.toArray()).toEqual([7]);
    const none = new List<number>();
    none.rotateTailToHead();
    expect(none.head).toBeNull();
  });

  it('node handles stay valid across rotations', () => {
    const l = new List<number>();
    const nodes = [1, 2, 3].map((x) => l.push(x));
    l.rotateTailToHead(); // 3 1 2
    l.remove(nodes[0]!);
    expect(l.toArray()).toEqual([3, 2]);
    expect(backwards(l)).toEqual([3, 2]);
  });
});
