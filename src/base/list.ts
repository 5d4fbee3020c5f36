// A doubly linked list with stable node handles (Redis's adlist): O(1) unlink and rotation, which
// the clients list needs (clientsCron moves the tail to the head on every visit).

export interface ListNode<T> {
  value: T;
  prev: ListNode<T> | null;
  next: ListNode<T> | null;
}

export class List<T> {
  head: ListNode<T> | null = null;
  tail: ListNode<T> | null = null;
  length = 0;

  /** Appends at the tail (listAddNodeTail) and returns the node handle. */
  push(value: T): ListNode<T> {
    const n: ListNode<T> = { value, prev: this.tail, next: null };
    if (this.tail) this.tail.next = n;
    else this.head = n;
    this.tail = n;
    this.length++;
    return n;
  }

  /** Prepends at the head (listAddNodeHead). */
  unshift(value: T): ListNode<T> {
    const n: ListNode<T> = { value, prev: null, next: this.head };
    if (this.head) this.head.prev = n;
    else this.tail = n;
    this.head = n;
    this.length++;
    return n;
  }

  /** Prepends a node unlinked earlier from this list, reusing it (no allocation). */
  unshiftNode(n: ListNode<T>): ListNode<T> {
    n.prev = null;
    n.next = this.head;
    if (this.head) this.head.prev = n;
    else this.tail = n;
    this.head = n;
    this.length++;
    return n;
  }

  /** Unlinks a node (listDelNode). */
  remove(n: ListNode<T>): void {
    if (n.prev) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else this.tail = n.prev;
    n.prev = n.next = null;
    this.length--;
  }

  /** Moves the tail node to the head (listRotateTailToHead). */
  rotateTailToHead(): void {
    if (this.length <= 1) return;
    const t = this.tail!;
    this.tail = t.prev;
    this.tail!.next = null;
    t.prev = null;
    t.next = this.head;
    this.head!.prev = t;
    this.head = t;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let n = this.head; n; n = n.next) yield n.value;
  }

  toArray(): T[] {
    return [...this];
  }
}
