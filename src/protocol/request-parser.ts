// Incremental RESP request parsing as Redis 7.0.15 does it (processInlineBuffer /
// processMultibulkBuffer / sdssplitargs / string2ll). Owns byte-level parsing and the protocol-error
// texts; not command lookup, replies, reading sizes or the close that follows a protocol error.

import { ByteQueue, Filler, isFiller, joinSegments } from '../base/bytes.ts';
import type { Segment } from '../base/bytes.ts';

/** One argument: real bytes, or a Filler when any of its bytes were virtual. */
export type Arg = Segment;

export interface ParseLimits {
  /** `proto-max-bulk-len` (default 536870912). */
  protoMaxBulkLen: number;
  /** False while the client still needs AUTH (authRequired): enables the unauthenticated caps. */
  authenticated: boolean;
}

export type ParseResult =
  /** A complete command; its bytes have been removed from the queue. */
  | { kind: 'command'; argv: Arg[] }
  /** argc 0 (empty inline line, `*0`, `*-1`, `*<n<=0>`): Redis silently resets; bytes removed. */
  | { kind: 'empty' }
  /** More bytes needed; the partial state is kept in the parser. */
  | { kind: 'incomplete' }
  /**
   * Protocol error. `message` is the reply text without '-' and CRLF; `logReason` is the
   * setProtocolError reason. The queue still starts where Redis's qb_pos was (for the log dump).
   */
  | { kind: 'error'; message: string; logReason: string };

// SRC server.h
const PROTO_INLINE_MAX_SIZE = 65536;
const PROTO_MBULK_BIG_ARG = 32768;
const INT_MAX = 2147483647;
// SRC server.c processMultibulkBuffer: the unauthenticated caps are literals there.
const UNAUTH_MAX_MULTIBULK = 10;
const UNAUTH_MAX_BULK = 16384;

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;
const STAR = 0x2a;
const DOLLAR = 0x24;

/** Arguments of a multibulk allocated up front (Redis: min(multibulklen, 1024)). */
const ARGV_PREALLOC = 1024;

const REQ_NONE = 0;
const REQ_INLINE = 1;
const REQ_MULTIBULK = 2;

const EMPTY: ParseResult = { kind: 'empty' };
const INCOMPLETE: ParseResult = { kind: 'incomplete' };

function protocolError(text: string, logReason: string): ParseResult {
  // addReplyError("Protocol error: ...") gets the generic "ERR " code prefixed (addReplyErrorLength).
  return { kind: 'error', message: `ERR Protocol error: ${text}`, logReason };
}

/**
 * Position of the first `byte` in the queue as C strchr on Redis's NUL-terminated query buffer
 * sees it: an embedded NUL byte before it ends the search, so the result is then "not found" (-1).
 */
function strchr(q: ByteQueue, byte: number): number {
  return q.indexOfBeforeNul(byte);
}

/**
 * Redis string2ll on bytes [from, to) of the queue: optional '-', no '+', no leading zeros (except
 * "0" itself), no spaces, at most 20 characters, within the signed 64-bit range. Returns null when
 * Redis would reject it. Values beyond 2^53 come back rounded, which keeps every comparison the
 * callers make (against INT_MAX, 0 and proto-max-bulk-len) correct.
 */
function string2llAt(q: ByteQueue, from: number, to: number): number | null {
  const n = to - from;
  // LONG_STR_SIZE is 21: longer strings are rejected without looking at them (so no big peeks).
  if (n <= 0 || n >= 21) return null;
  // Performance: read in place when the digits lie in the first run; else copied into one scratch
  // array (never a new Buffer per length field).
  const head = q.headRun(from, n);
  if (head) return string2llN(head.run, head.start, n);
  q.peekInto(from, n, DIGITS);
  return string2llN(DIGITS, 0, n);
}

const DIGITS = new Uint8Array(21);

/** Redis string2ll (SRC util.c) on a short buffer; null when it is not a valid long long. */
export function string2ll(b: Uint8Array): number | null {
  return string2llN(b, 0, b.length);
}

/** string2ll on the `n` bytes of `buf` from `off`. */
function string2llN(b: Uint8Array, off: number, n: number): number | null {
  if (n === 0 || n >= 21) return null;
  const last = off + n;
  if (n === 1 && b[off] === 0x30) return 0;
  let i = off;
  let negative = false;
  if (b[off] === 0x2d) {
    negative = true;
    i = off + 1;
    if (n === 1) return null;
  }
  if (b[i]! < 0x31 || b[i]! > 0x39) return null; // first digit 1-9, so no leading zeros or "-0"
  for (let j = i + 1; j < last; j++) if (b[j]! < 0x30 || b[j]! > 0x39) return null;
  if (last - i <= 15) {
    let v = 0;
    for (let j = i; j < last; j++) v = v * 10 + (b[j]! - 0x30);
    return negative ? -v : v;
  }
  // Long enough to overflow: check the exact range with BigInt.
  const big = BigInt(Buffer.from(b.subarray(off, last)).toString('latin1'));
  if (big > 9223372036854775807n || big < -9223372036854775808n) return null;
  return Number(big);
}

/** Incremental request parser for one client: Redis's reqtype / multibulklen / bulklen / argv. */
export class RequestParser {
  private reqtype = REQ_NONE;
  private multibulklen = 0;
  private bulklen = -1;
  private argv: Arg[] = [];
  /**
   * Arguments filled in `argv`. Performance: argv is made at its final length (up to 1024, as
   * Redis preallocates c->argv) and filled in place, instead of grown by push.
   */
  private argvCount = 0;
  private argvLenSum = 0;
  /** The last result ended a command (command/empty): the next parse() starts afresh. */
  private finished = false;
  private failure: ParseResult | null = null;
  private consumedTotal = 0;

  /**
   * Sum of the lengths of the arguments parsed so far for the command in progress (Redis
   * argv_len_sum, CLIENT LIST `argv-mem`). After a 'command' result it describes that command until
   * the next parse() or reset(), as Redis keeps c->argv while the command executes.
   */
  get argvBytes(): number {
    return this.argvLenSum;
  }

  /** Arguments parsed so far for the command in progress (same lifetime as argvBytes). */
  /**
   * Whether a command is partly parsed (Redis keeps its arguments in c->argv). False between
   * commands, including right after a 'command' result, once the command has run.
   */
  get inProgress(): boolean {
    return !this.finished && this.argc > 0;
  }

  get argc(): number {
    return this.argvCount;
  }

  /** Redis c->bulklen: length of the bulk being read, or -1 when no bulk header is pending. */
  get currentBulkLength(): number {
    return this.bulklen;
  }

  /** Total bytes this parser has removed from queues since creation (monotonic). */
  get consumed(): number {
    return this.consumedTotal;
  }

  /** Forgets any partial or finished command (Redis resetClient's parsing part). */
  reset(): void {
    this.reqtype = REQ_NONE;
    this.multibulklen = 0;
    this.bulklen = -1;
    this.argv = [];
    this.argvCount = 0;
    this.argvLenSum = 0;
    this.finished = false;
    this.failure = null;
  }

  /**
   * For Redis's big-argument read sizing (readQueryFromClient): when mid-multibulk with a known
   * current bulk length >= 32768 (PROTO_MBULK_BIG_ARG), the bytes still missing for that bulk
   * including its CRLF (bulklen + 2 - q.length); otherwise 0. Also 0 when nothing is missing.
   */
  bigArgMissing(q: ByteQueue): number {
    if (this.finished || this.failure) return 0;
    if (this.reqtype !== REQ_MULTIBULK || this.multibulklen === 0 || this.bulklen < PROTO_MBULK_BIG_ARG) return 0;
    return Math.max(0, this.bulklen + 2 - q.length);
  }

  /**
   * Parses at most one command from the front of `q`, removing the bytes it has parsed (header
   * lines and completed bulks, as Redis advances qb_pos), so `q` afterwards holds Redis's unparsed
   * query buffer. Call repeatedly while it returns 'command' or 'empty'. After an 'error' the
   * parser is stuck (it returns the same error again), as Redis closes the client.
   */
  parse(q: ByteQueue, limits: ParseLimits): ParseResult {
    if (this.failure) return this.failure;
    if (this.finished) this.reset();
    // processInputBuffer only runs the parsers while unparsed bytes remain.
    if (q.length === 0) return INCOMPLETE;
    if (this.reqtype === REQ_NONE) this.reqtype = q.byteAt(0) === STAR ? REQ_MULTIBULK : REQ_INLINE;
    const r = this.reqtype === REQ_INLINE ? this.parseInline(q) : this.parseMultibulk(q, limits);
    if (r.kind === 'error') this.failure = r;
    else if (r.kind !== 'incomplete') this.finished = true;
    return r;
  }

  private consume(q: ByteQueue, n: number): void {
    q.skip(n);
    this.consumedTotal += n;
  }

  /** processInlineBuffer. */
  private parseInline(q: ByteQueue): ParseResult {
    let newline = strchr(q, LF);
    if (newline === -1) {
      // The size check only happens while no newline is present.
      if (q.length > PROTO_INLINE_MAX_SIZE) return protocolError('too big inline request', 'too big inline request');
      return INCOMPLETE;
    }
    let linefeedChars = 1;
    if (newline > 0 && q.byteAt(newline - 1) === CR) {
      newline--;
      linefeedChars++;
    }
    const args = splitArgs(lineRuns(q, newline));
    if (args === null) return protocolError('unbalanced quotes in request', 'unbalanced quotes in inline request');
    this.consume(q, newline + linefeedChars);
    if (args.length === 0) return EMPTY;
    this.argv = args;
    this.argvCount = args.length;
    for (const a of args) this.argvLenSum += a.length;
    return { kind: 'command', argv: args };
  }

  /** processMultibulkBuffer. */
  private parseMultibulk(q: ByteQueue, limits: ParseLimits): ParseResult {
    if (this.multibulklen === 0) {
      const newline = strchr(q, CR);
      if (newline === -1) {
        if (q.length > PROTO_INLINE_MAX_SIZE) return protocolError('too big mbulk count string', 'too big mbulk count string');
        return INCOMPLETE;
      }
      // Needs one byte after '\r'; that byte is skipped without checking it is '\n'.
      if (newline > q.length - 2) return INCOMPLETE;
      const ll = string2llAt(q, 1, newline);
      if (ll === null || ll > INT_MAX) return protocolError('invalid multibulk length', 'invalid mbulk count');
      if (ll > UNAUTH_MAX_MULTIBULK && !limits.authenticated) {
        return protocolError('unauthenticated multibulk length', 'unauth mbulk count');
      }
      this.consume(q, newline + 2);
      if (ll <= 0) return EMPTY;
      this.multibulklen = ll;
      this.argv = ll <= ARGV_PREALLOC ? new Array<Arg>(ll) : [];
      this.argvCount = 0;
      this.argvLenSum = 0;
    }

    while (this.multibulklen > 0) {
      if (this.bulklen === -1) {
        const newline = strchr(q, CR);
        if (newline === -1) {
          if (q.length > PROTO_INLINE_MAX_SIZE) return protocolError('too big bulk count string', 'too big bulk count string');
          return INCOMPLETE;
        }
        if (newline > q.length - 2) return INCOMPLETE;
        const first = q.byteAt(0);
        if (first !== DOLLAR) {
          // addReplyErrorFormat maps CR and LF inside the text to spaces.
          const shown = first === CR || first === LF ? ' ' : String.fromCharCode(first);
          return {
            kind: 'error',
            message: `ERR Protocol error: expected '$', got '${shown}'`,
            logReason: 'expected $ but got something else',
          };
        }
        const ll = string2llAt(q, 1, newline);
        if (ll === null || ll < 0 || ll > limits.protoMaxBulkLen) {
          return protocolError('invalid bulk length', 'invalid bulk length');
        }
        if (ll > UNAUTH_MAX_BULK && !limits.authenticated) {
          return protocolError('unauthenticated bulk length', 'unauth bulk length');
        }
        this.consume(q, newline + 2);
        this.bulklen = ll;
      }
      // Not enough data yet (+2 for the trailing CRLF).
      if (q.length < this.bulklen + 2) return INCOMPLETE;
      const data = this.bulklen === 0 ? Buffer.alloc(0) : q.takeJoined(this.bulklen);
      this.consumedTotal += this.bulklen;
      // The two bytes after the data are skipped without checking they are CRLF.
      this.consume(q, 2);
      if (this.argvCount < this.argv.length) this.argv[this.argvCount++] = data;
      else this.argvCount = this.argv.push(data);
      this.argvLenSum += this.bulklen;
      this.bulklen = -1;
      this.multibulklen--;
    }
    return { kind: 'command', argv: this.argv };
  }
}

/** The first `n` bytes of the queue as runs, without copying or expanding anything. */
function lineRuns(q: ByteQueue, n: number): Segment[] {
  const out: Segment[] = [];
  let left = n;
  for (const s of q.segments()) {
    if (left === 0) break;
    if (s.length <= left) {
      out.push(s);
      left -= s.length;
    } else {
      out.push(isFiller(s) ? new Filler(left, s.byte) : s.subarray(0, left));
      left = 0;
    }
  }
  return out;
}

/** C isspace in the C locale. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function hexValue(c: number): number {
  if (c <= 0x39) return c - 0x30;
  if (c >= 0x61) return c - 0x61 + 10;
  return c - 0x41 + 10;
}

/** Reads a line given as runs with lookahead; -1 stands for the terminating NUL at the end. */
class LineCursor {
  private ri = 0;
  private off = 0;

  constructor(private readonly runs: readonly Segment[]) {}

  /** Byte at the cursor + k, or -1 past the end. */
  at(k: number): number {
    let ri = this.ri;
    let pos = this.off + k;
    while (ri < this.runs.length) {
      const s = this.runs[ri]!;
      if (pos < s.length) return isFiller(s) ? s.byte : s[pos]!;
      pos -= s.length;
      ri++;
    }
    return -1;
  }

  advance(n: number): void {
    let left = n;
    while (left > 0 && this.ri < this.runs.length) {
      const avail = this.runs[this.ri]!.length - this.off;
      if (avail <= left) {
        left -= avail;
        this.ri++;
        this.off = 0;
      } else {
        this.off += left;
        left = 0;
      }
    }
  }

  /** Bytes left in the current run when it is a Filler (so they can be handled in O(1)), else 0. */
  fillerLeft(): number {
    const s = this.runs[this.ri];
    return s !== undefined && isFiller(s) ? s.length - this.off : 0;
  }
}

/** Accumulates one token from single bytes and virtual runs. */
class TokenBuilder {
  private parts: Segment[] = [];
  private bytes: number[] = [];

  pushByte(b: number): void {
    this.bytes.push(b);
  }

  pushRun(byte: number, n: number): void {
    this.flush();
    this.parts.push(new Filler(n, byte));
  }

  finish(): Arg {
    this.flush();
    if (this.parts.length === 0) return Buffer.alloc(0);
    return joinSegments(this.parts);
  }

  private flush(): void {
    if (this.bytes.length > 0) {
      this.parts.push(Buffer.from(this.bytes));
      this.bytes = [];
    }
  }
}

const BSL = 0x5c; // backslash
const DQ = 0x22;
const SQ = 0x27;

function unescape(c: number): number {
  switch (c) {
    case 0x6e: return 0x0a; // n
    case 0x72: return 0x0d; // r
    case 0x74: return 0x09; // t
    case 0x62: return 0x08; // b
    case 0x61: return 0x07; // a
    default: return c;
  }
}

/**
 * Redis sdssplitargs (SRC sds.c) over a line given as runs; null for unbalanced quotes (an
 * unterminated quote, or a closing quote followed by something other than whitespace). Runs of
 * virtual bytes inside a token are appended in O(1) so the token stays virtual.
 */
function splitArgs(runs: readonly Segment[]): Arg[] | null {
  const cur = new LineCursor(runs);
  const args: Arg[] = [];
  for (;;) {
    // Skip blanks (isspace, which unlike the token terminators includes \v and \f).
    for (;;) {
      const c = cur.at(0);
      if (c < 0 || !isSpace(c)) break;
      cur.advance(Math.max(1, cur.fillerLeft()));
    }
    if (cur.at(0) < 0) return args;

    const tok = new TokenBuilder();
    let inq = false;
    let insq = false;
    let done = false;
    while (!done) {
      const c = cur.at(0);
      if (inq) {
        if (c === BSL && cur.at(1) === 0x78 /* x */ && isHex(cur.at(2)) && isHex(cur.at(3))) {
          tok.pushByte(hexValue(cur.at(2)) * 16 + hexValue(cur.at(3)));
          cur.advance(3);
        } else if (c === BSL && cur.at(1) >= 0) {
          cur.advance(1);
          tok.pushByte(unescape(cur.at(0)));
        } else if (c === DQ) {
          const next = cur.at(1);
          if (next >= 0 && !isSpace(next)) return null;
          done = true;
        } else if (c < 0) {
          return null; // unterminated quotes
        } else if (appendedFillerRun(cur, tok, c)) {
          continue;
        } else {
          tok.pushByte(c);
        }
      } else if (insq) {
        if (c === BSL && cur.at(1) === SQ) {
          cur.advance(1);
          tok.pushByte(SQ);
        } else if (c === SQ) {
          const next = cur.at(1);
          if (next >= 0 && !isSpace(next)) return null;
          done = true;
        } else if (c < 0) {
          return null; // unterminated quotes
        } else if (appendedFillerRun(cur, tok, c)) {
          continue;
        } else {
          tok.pushByte(c);
        }
      } else {
        switch (c) {
          case 0x20:
          case LF:
          case CR:
          case 0x09:
          case -1:
            done = true;
            break;
          case DQ:
            inq = true;
            break;
          case SQ:
            insq = true;
            break;
          default:
            if (appendedFillerRun(cur, tok, c)) continue;
            tok.pushByte(c);
        }
      }
      // sdssplitargs: `if (*p) p++;`
      if (cur.at(0) >= 0) cur.advance(1);
    }
    args.push(tok.finish());
  }
}

/**
 * Inside a Filler run of an ordinary byte, appends all but the run's last byte at once (each of them
 * would be appended one by one, since the next byte is the same ordinary byte); the last byte is left
 * for the normal path because its lookahead reaches the next run. True when it appended something.
 */
function appendedFillerRun(cur: LineCursor, tok: TokenBuilder, c: number): boolean {
  const left = cur.fillerLeft();
  if (left <= 1) return false;
  tok.pushRun(c, left - 1);
  cur.advance(left - 1);
  return true;
}

/**
 * The unparsed buffer as Redis prints it in "Query buffer during protocol error: '<dump>'"
 * (setProtocolError): the whole buffer below 128 bytes, else the first 64 bytes, then
 * `' (... more N bytes ...) '`, then the last 64, so that the quotes Redis puts around both parts
 * come out right once the caller wraps the result in '...'. Like the C `%s`/`%.*s` it stops each
 * part at a NUL byte; non-printable bytes become '.', Filler bytes appear as their byte.
 */
export function protocolErrorDump(q: ByteQueue): string {
  const len = q.length;
  if (len < 128) return dumpPart(q.peek(0, len));
  return `${dumpPart(q.peek(0, 64))}' (... more ${len - 128} bytes ...) '${dumpPart(q.peek(len - 64, 64))}`;
}

function dumpPart(b: Buffer): string {
  let s = '';
  for (const c of b) {
    if (c === NUL) break;
    s += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : '.';
  }
  return s;
}
