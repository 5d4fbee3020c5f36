// The client object (Redis's `client` struct): connection, query buffer and parser state, reply
// buffers, flags and per-connection state of the connection commands. Behaviour lives elsewhere:
// lifecycle.ts creates and frees, read.ts fills the query buffer, reply.ts drains the output.
import { ByteQueue, type Segment } from '../base/bytes.ts';
import type { ListNode } from '../base/list.ts';
import { RequestParser, type Arg } from '../protocol/request-parser.ts';
import type { CloseReason } from '../timeline/events.ts';

// Flags (a subset of server.h CLIENT_*), named as in Redis.
export const CLIENT_SLAVE = 1 << 0;
export const CLIENT_MASTER = 1 << 1;
export const CLIENT_MONITOR = 1 << 2;
export const CLIENT_MULTI = 1 << 3;
export const CLIENT_BLOCKED = 1 << 4;
export const CLIENT_DIRTY_CAS = 1 << 5;
export const CLIENT_CLOSE_AFTER_REPLY = 1 << 6;
export const CLIENT_UNBLOCKED = 1 << 7;
export const CLIENT_CLOSE_ASAP = 1 << 10;
export const CLIENT_DIRTY_EXEC = 1 << 12;
export const CLIENT_PUBSUB = 1 << 18;
export const CLIENT_PENDING_WRITE = 1 << 21;
export const CLIENT_REPLY_OFF = 1 << 22;
export const CLIENT_REPLY_SKIP_NEXT = 1 << 23;
export const CLIENT_REPLY_SKIP = 1 << 24;
export const CLIENT_PROTECTED = 1 << 28;
export const CLIENT_PENDING_COMMAND = 1 << 30;
export const CLIENT_PROTOCOL_ERROR = 2 ** 35;
export const CLIENT_NO_EVICT = 2 ** 43;
export const CLIENT_PUSHING = 2 ** 44;

const TWO_32 = 2 ** 32;

/** One reply-list node (clientReplyBlock): capacity counted in omem, bytes held as runs. */
export interface ReplyBlock {
  size: number;
  used: number;
  data: Segment[];
}

/** A command queued inside MULTI. */
export interface QueuedCommand {
  argv: Arg[];
  name: string;
}

export class Client {
  name = '';
  /** A tls-port client whose TLS handshake is not finished (CONN_STATE_ACCEPTING). */
  tlsAccepting = false;
  /** Seconds (server.unixtime) at creation and at the last read or write. */
  ctime: number;
  lastinteraction: number;
  /** Microsecond twin of lastinteraction, for the exact-timer policy. */
  lastinteractionUs = 0;
  /**
   * Flags as two 32-bit words (bits 0-31 and 32-63; Redis's flags are a uint64). Use the helpers.
   * Performance: this replaced a float bitset tested with division and modulo on every check.
   */
  private flagsLo = 0;
  private flagsHi = 0;

  // Query buffer.
  readonly querybuf = new ByteQueue();
  /** Modelled sds allocation of the query buffer (qbuf + qbuf-free). */
  qbAlloc = 0;
  querybufPeak = 0;
  readonly parser = new RequestParser();
  /**
   * parser.consumed when the current processInputBuffer pass began, or -1 outside one. Redis trims
   * parsed bytes only after the pass, so a client listing itself still counts its own command.
   */
  qbPosBase = -1;
  argv: Arg[] = [];
  /** Full name of the last command (`client|list`), or NULL before any. */
  lastCmd = 'NULL';

  // Replies: the static buffer, then the list of blocks.
  bufUsable = 16384;
  bufPos = 0;
  bufPeak = 16384;
  bufPeakLastReset = 0;
  buf: Segment[] = [];
  /** Bytes of buf (if the list is empty) or of the first block already written. */
  sentlen = 0;
  readonly reply: ReplyBlock[] = [];
  replyBytes = 0;
  /** Seconds when the soft output limit was first reached; 0 when not. */
  obufSoftLimitReachedTime = 0;
  /**
   * This client's node of server.clientsPendingWrite: linked while CLIENT_PENDING_WRITE is set,
   * kept unlinked otherwise so that it can be reused.
   */
  pendingWriteNode: ListNode<Client> | null = null;
  /**
   * Bytes and a preview of the replies queued during the current command, for the timeline's
   * `reply` event (made on first use; only while `reply` events are recorded).
   */
  replyTrace: { bytes: number; head: string } | null = null;

  // Lifecycle.
  node: ListNode<Client> | null = null;
  closeReason: CloseReason | null = null;
  closeDetail = '';

  // Connection-command state.
  authenticated = true;
  user = 'default';
  resp: 2 | 3 = 2;
  db = 0;
  // Pub/sub and WATCH state, made on first use. Memory: three empty Sets cost about 0.5 KB per
  // client, and most clients never subscribe or WATCH (a 100,000-connection run holds them all).
  private channelSet: Set<string> | null = null;
  private patternSet: Set<string> | null = null;
  private watchedSet: Set<string> | null = null;

  get channels(): Set<string> {
    return (this.channelSet ??= new Set());
  }

  get patterns(): Set<string> {
    return (this.patternSet ??= new Set());
  }
  mstate: QueuedCommand[] = [];
  /** Bytes of queued MULTI arguments (multi-mem). */
  multiMem = 0;
  get watchedKeys(): Set<string> {
    return (this.watchedSet ??= new Set());
  }
  /** Blocking-command state: keys, deadline (ms, 0 = forever) and the command to re-run. */
  bpop: { keys: string[]; deadlineMs: number; argv: Arg[]; name: string } | null = null;
  /** Exact-timer policy: the timer id of this client's idle deadline. */
  idleTimer: unknown = null;
  /** Pending command of a client postponed by CLIENT PAUSE. */
  pausedArgv: Arg[] | null = null;

  constructor(
    readonly id: number,
    public fd: number,
    readonly addr: string,
    readonly laddr: string,
    now: number,
  ) {
    this.ctime = now;
    this.lastinteraction = now;
  }

  /**
   * Whether the flag `flag` (a CLIENT_* constant) is set; several flags of the same word (all
   * below bit 32, or all above) OR-ed together ask whether any of them is.
   */
  has(flag: number): boolean {
    return flag < TWO_32 ? (this.flagsLo & flag) !== 0 : (this.flagsHi & (flag / TWO_32)) !== 0;
  }

  set(flag: number): void {
    if (flag < TWO_32) this.flagsLo |= flag;
    else this.flagsHi |= flag / TWO_32;
  }

  clear(flag: number): void {
    if (flag < TWO_32) this.flagsLo &= ~flag;
    else this.flagsHi &= ~(flag / TWO_32);
  }

  /** clientHasPendingReplies. */
  hasPendingReplies(): boolean {
    return this.bufPos > 0 || this.reply.length > 0;
  }

  get subscriptions(): number {
    return (this.channelSet?.size ?? 0) + (this.patternSet?.size ?? 0);
  }
}
