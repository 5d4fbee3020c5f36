// Client-side incremental RESP2/RESP3 reply reader for simulated clients, and the one-line text
// rendering of replies used in reports and tests. Not request encoding, not server-side parsing.

import { ByteQueue, isFiller, joinSegments, toBuffer } from '../base/bytes.ts';
import type { Segment } from '../base/bytes.ts';

/** One decoded reply. Strings of status/error/bignum are byte strings (latin1, one char per byte). */
export type Reply =
  | { type: 'status'; value: string }
  /** `value` is the text after '-', including its code, e.g. `ERR unknown command ...`. */
  | { type: 'error'; value: string }
  /** `raw` is the exact decimal text (64-bit values beyond 2^53 lose precision in `value`). */
  | { type: 'integer'; value: number; raw: string }
  /** `value` stays a Filler when any byte of it was virtual. */
  | { type: 'bulk'; value: Segment }
  /** RESP2 null bulk `$-1`, RESP2 null array `*-1`, or RESP3 null `_`. */
  | { type: 'null'; of: 'bulk' | 'array' | 'resp3' }
  | { type: 'array'; items: Reply[] }
  | { type: 'set'; items: Reply[] }
  | { type: 'push'; items: Reply[] }
  | { type: 'map'; entries: Array<[Reply, Reply]> }
  /** `raw` is the text as sent (e.g. `inf`, `1.5`). */
  | { type: 'double'; value: number; raw: string }
  | { type: 'boolean'; value: boolean }
  /** `format` is the 3-letter type (e.g. `txt`); `value` is the content after `xxx:`. */
  | { type: 'verbatim'; format: string; value: Segment }
  | { type: 'bignum'; value: string };

const CR = 0x0d;
const LF = 0x0a;

type FrameKind = 'array' | 'set' | 'push' | 'map' | 'attribute';
interface Frame {
  kind: FrameKind;
  /** Elements still to read (2 per pair for map and attribute). */
  want: number;
  items: Reply[];
}

type BlobKind = 'bulk' | 'verbatim' | 'bloberror';

function malformed(what: string): never {
  throw new Error(`malformed RESP reply: ${what} (the simulated server should never send this)`);
}

/** Whether `text` is an optional '-' and one or more ASCII digits (/^-?\d+$/ without the regex). */
function isDecimal(text: string): boolean {
  const n = text.length;
  let i = n > 0 && text.charCodeAt(0) === 0x2d ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

function parseLength(text: string, type: string): number {
  if (!isDecimal(text)) {
    if (text === '?') malformed(`streamed ${type} (RESP3 '?' length) is not produced by Redis 7.0`);
    malformed(`bad ${type} length ${JSON.stringify(text)}`);
  }
  const n = Number(text);
  if (n < -1) malformed(`negative ${type} length ${n}`);
  return n;
}

/**
 * Incremental reply reader: push() bytes as they arrive in any split, next() returns each complete
 * top-level reply in order. RESP3 attributes (`|`) are read and dropped. Malformed input throws.
 */
export class ReplyReader {
  private readonly q = new ByteQueue();
  private readonly stack: Frame[] = [];
  /** A blob whose header was read and whose data (plus CRLF) is still awaited. */
  private blob: { kind: BlobKind; len: number } | null = null;

  /** Appends received bytes (kept virtual if they are a Filler). */
  push(seg: Segment): void {
    this.q.push(seg);
  }

  /** Bytes received and not yet consumed by the reader (partial replies included). */
  get buffered(): number {
    return this.q.length;
  }

  /** The next complete top-level reply, or undefined when more bytes are needed. */
  next(): Reply | undefined {
    for (;;) {
      const r = this.blob ? this.readBlob() : this.readElement();
      if (r === undefined) return undefined;
      if (r === null) continue; // an aggregate header was pushed on the stack
      const done = this.deliver(r);
      if (done) return done;
    }
  }

  /** Adds a finished element to the innermost open aggregate; returns a finished top-level reply. */
  private deliver(first: Reply): Reply | undefined {
    let r = first;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) return r;
      top.items.push(r);
      if (--top.want > 0) return undefined;
      this.stack.pop();
      if (top.kind === 'attribute') return undefined; // attributes only decorate the next reply
      r = buildAggregate(top.kind, top.items);
    }
  }

  /** A scalar reply, null after opening an aggregate, or undefined when the line is incomplete. */
  private readElement(): Reply | null | undefined {
    const q = this.q;
    if (q.length === 0) return undefined;
    const cr = q.indexOf(CR);
    if (cr === -1 || cr + 1 >= q.length) return undefined;
    if (q.byteAt(cr + 1) !== LF) malformed('CR not followed by LF');
    const type = String.fromCharCode(q.byteAt(0));
    const text = cr > 1 ? q.latin1(1, cr - 1) : '';
    q.skip(cr + 2);
    switch (type) {
      case '+':
        return { type: 'status', value: text };
      case '-':
        return { type: 'error', value: text };
      case ':':
        if (!isDecimal(text)) malformed(`bad integer ${JSON.stringify(text)}`);
        return { type: 'integer', value: Number(text), raw: text };
      case '$': {
        const n = parseLength(text, 'bulk');
        if (n === -1) return { type: 'null', of: 'bulk' };
        this.blob = { kind: 'bulk', len: n };
        return this.readBlob();
      }
      case '=':
      case '!': {
        const n = parseLength(text, type === '=' ? 'verbatim' : 'blob error');
        if (n < 0 || (type === '=' && n < 4)) malformed(`bad ${type} length ${n}`);
        this.blob = { kind: type === '=' ? 'verbatim' : 'bloberror', len: n };
        return this.readBlob();
      }
      case '*': {
        const n = parseLength(text, 'array');
        if (n === -1) return { type: 'null', of: 'array' };
        return this.open('array', n);
      }
      case '~':
      case '>':
      case '%':
      case '|': {
        const kind: FrameKind = type === '~' ? 'set' : type === '>' ? 'push' : type === '%' ? 'map' : 'attribute';
        const n = parseLength(text, kind);
        if (n < 0) malformed(`negative ${kind} length`);
        return this.open(kind, n);
      }
      case '_':
        if (text !== '') malformed('RESP3 null with content');
        return { type: 'null', of: 'resp3' };
      case ',':
        return { type: 'double', value: parseDouble(text), raw: text };
      case '#':
        if (text !== 't' && text !== 'f') malformed(`bad boolean ${JSON.stringify(text)}`);
        return { type: 'boolean', value: text === 't' };
      case '(':
        if (!/^-?\d+$/.test(text)) malformed(`bad big number ${JSON.stringify(text)}`);
        return { type: 'bignum', value: text };
      default:
        return malformed(`unknown type byte 0x${type.charCodeAt(0).toString(16).padStart(2, '0')}`);
    }
  }

  /** Opens an aggregate of n elements; an empty one is complete at once. */
  private open(kind: FrameKind, n: number): Reply | null {
    const want = kind === 'map' || kind === 'attribute' ? 2 * n : n;
    if (want === 0) {
      if (kind === 'attribute') return null; // nothing to decorate with: read the next element
      return buildAggregate(kind, []);
    }
    this.stack.push({ kind, want, items: [] });
    return null;
  }

  /** The pending blob once its data and CRLF are all here, else undefined. */
  private readBlob(): Reply | undefined {
    const b = this.blob!;
    const q = this.q;
    if (q.length < b.len + 2) return undefined;
    this.blob = null;
    let reply: Reply;
    if (b.kind === 'verbatim') {
      const format = toBuffer(q.take(3)).toString('latin1');
      q.skip(1); // ':'
      reply = { type: 'verbatim', format, value: takeData(q, b.len - 4) };
    } else if (b.kind === 'bloberror') {
      reply = { type: 'error', value: toBuffer(q.take(b.len)).toString('latin1') };
    } else {
      reply = { type: 'bulk', value: takeData(q, b.len) };
    }
    if (q.byteAt(0) !== CR || q.byteAt(1) !== LF) malformed('blob not followed by CRLF');
    q.skip(2);
    return reply;
  }
}

function takeData(q: ByteQueue, n: number): Segment {
  return n === 0 ? Buffer.alloc(0) : q.takeJoined(n);
}

function parseDouble(text: string): number {
  if (text === 'inf') return Infinity;
  if (text === '-inf') return -Infinity;
  if (text === 'nan' || text === '-nan') return NaN;
  const v = Number(text);
  if (text === '' || Number.isNaN(v)) malformed(`bad double ${JSON.stringify(text)}`);
  return v;
}

function buildAggregate(kind: Exclude<FrameKind, 'attribute'>, items: Reply[]): Reply {
  if (kind !== 'map') return { type: kind, items };
  const entries: Array<[Reply, Reply]> = [];
  for (let i = 0; i < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
  return { type: 'map', entries };
}

/**
 * One-line text of a reply: `+PONG`, `-ERR message`, `:5`, `$content` (CR, LF, tab, backslash and
 * non-printable bytes escaped as \r \n \t \\ \xHH; virtual content as `<N×"x">`), `$-1`, `*-1`,
 * `_`, `[a, b]`, `{k: v}`, `>[...]`, `~[...]`, `,1.5`, `#t`/`#f`, `=txt:content`, `(123`.
 */
export function renderReply(r: Reply): string {
  switch (r.type) {
    case 'status':
      return `+${r.value}`;
    case 'error':
      return `-${r.value}`;
    case 'integer':
      return `:${r.raw}`;
    case 'bulk':
      return `$${renderContent(r.value)}`;
    case 'null':
      return r.of === 'bulk' ? '$-1' : r.of === 'array' ? '*-1' : '_';
    case 'array':
      return `[${r.items.map(renderReply).join(', ')}]`;
    case 'set':
      return `~[${r.items.map(renderReply).join(', ')}]`;
    case 'push':
      return `>[${r.items.map(renderReply).join(', ')}]`;
    case 'map':
      return `{${r.entries.map(([k, v]) => `${renderReply(k)}: ${renderReply(v)}`).join(', ')}}`;
    case 'double':
      return `,${r.raw}`;
    case 'boolean':
      return r.value ? '#t' : '#f';
    case 'verbatim':
      return `=${r.format}:${renderContent(r.value)}`;
    case 'bignum':
      return `(${r.value}`;
  }
}

/** Escaped bulk content; a Filler as `<N×"x">` (the same notation as describeSegments). */
function renderContent(seg: Segment): string {
  if (isFiller(seg)) return `<${seg.length}×${JSON.stringify(String.fromCharCode(seg.byte))}>`;
  let s = '';
  for (const c of seg) {
    if (c === 0x0d) s += '\\r';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c <= 0x7e) s += String.fromCharCode(c);
    else s += `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return s;
}
