// Shared helpers for the protocol tests: feeding byte chunks to a RequestParser and describing the
// outcome as plain strings. Not a test file itself.

import { ByteQueue, describeSegments } from '../../src/base/bytes.ts';
import type { Segment } from '../../src/base/bytes.ts';
import { RequestParser } from '../../src/protocol/request-parser.ts';
import type { ParseLimits, ParseResult } from '../../src/protocol/request-parser.ts';

export const AUTHED: ParseLimits = { protoMaxBulkLen: 536870912, authenticated: true };
export const UNAUTHED: ParseLimits = { protoMaxBulkLen: 536870912, authenticated: false };

/** A result as a short string: `cmd ["PING"]`, `empty`, `error <message> (<logReason>)`. */
export function show(r: ParseResult): string {
  switch (r.kind) {
    case 'command':
      return `cmd ${JSON.stringify(r.argv.map((a) => describeSegments([a])))}`;
    case 'empty':
      return 'empty';
    case 'incomplete':
      return 'incomplete';
    case 'error':
      return `error ${r.message} (${r.logReason})`;
  }
}

export interface FeedOutcome {
  /** Every command/empty/error result, in order (incomplete results are not listed). */
  events: string[];
  /** Bytes left unparsed in the queue. */
  rest: number;
  queue: ByteQueue;
  parser: RequestParser;
  /** The last command/empty/error result, or 'incomplete' when there was none. */
  last: ParseResult;
}

type Piece = string | Segment;

/**
 * Pushes each chunk (one read; an array is one read made of several runs) and parses as Redis
 * would after each read, stopping at the first error.
 */
export function feed(chunks: Array<Piece | Piece[]>, limits: ParseLimits = AUTHED): FeedOutcome {
  const queue = new ByteQueue();
  const parser = new RequestParser();
  const events: string[] = [];
  let last: ParseResult = { kind: 'incomplete' };
  outer: for (const c of chunks) {
    for (const piece of Array.isArray(c) ? c : [c]) queue.push(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
    for (;;) {
      const r = parser.parse(queue, limits);
      if (r.kind === 'incomplete') break;
      last = r;
      events.push(show(r));
      if (last.kind === 'error') break outer;
    }
  }
  return { events, rest: queue.length, queue, parser, last };
}

/** The bytes of `s` split at the given positions. */
export function splitAt(s: Buffer, positions: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of positions) {
    out.push(s.subarray(prev, p));
    prev = p;
  }
  out.push(s.subarray(prev));
  return out;
}
