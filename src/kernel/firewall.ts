// Firewall rules of the virtual network: which rules are installed, and the verdict for one packet
// (client address, server port, direction). The network asks for verdicts (network.ts); the
// kernel installs and removes timed rules (kernel.ts). Address parsing lives here so the scenario
// schema and the matcher agree on what a CIDR means.
import type { FirewallRuleSpec } from './types.ts';

/** A parsed address block: its family, its prefix bits as a number (IPv4) or bigint (IPv6). */
export interface Cidr {
  family: 4 | 6;
  /** Network bits, left-aligned in 32 (IPv4) or 128 (IPv6) bits. */
  bits: bigint;
  prefix: number;
}

function parseV4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    // Decimal only, no leading zeros (inet_pton's rules: "010" is not 10 or 8).
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | null {
  let tail: bigint | null = null;
  let text = s;
  // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    tail = parseV4(s.slice(lastColon + 1));
    if (tail === null) return null;
    text = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return tail === null ? v : (v & ~0xffffffffn) | tail;
}

/** An address as {family, value}, or null when it is not an IPv4 or IPv6 address. */
export function parseAddress(s: string): { family: 4 | 6; value: bigint } | null {
  if (s.includes(':')) {
    const v = parseV6(s);
    return v === null ? null : { family: 6, value: v };
  }
  const v = parseV4(s);
  return v === null ? null : { family: 4, value: v };
}

/**
 * Parses `addr` or `addr/prefix` (IPv4 or IPv6). A bare address is a /32 or /128. Returns a
 * message instead when it is not one; host bits set below the prefix are an error (10.0.0.1/8 is
 * almost always a typo for 10.0.0.0/8 or 10.0.0.1/32).
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const a = parseAddress(addrText);
  if (!a) return `'${addrText}' is not an IPv4 or IPv6 address`;
  const width = a.family === 4 ? 32 : 128;
  let prefix = width;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > width) return `the prefix length '/${p}' must be an integer from 0 to ${width} for an IPv${a.family} address`;
    prefix = Number(p);
  }
  const hostMask = (1n << BigInt(width - prefix)) - 1n;
  if ((a.value & hostMask) !== 0n) {
    const net = formatBits(a.value & ~hostMask, a.family);
    return `${text} has bits set after the first ${prefix}; the network is ${net}/${prefix} (or write ${addrText} alone for that one address)`;
  }
  return { family: a.family, bits: a.value, prefix };
}

function formatBits(v: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((v >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** Whether `addr` (an address, not a block) lies in `c`. Different families never match. */
export function cidrContains(c: Cidr, addr: { family: 4 | 6; value: bigint }): boolean {
  if (c.family !== addr.family) return false;
  const width = c.family === 4 ? 32 : 128;
  const shift = BigInt(width - c.prefix);
  return addr.value >> shift === c.bits >> shift;
}

/** `in`: a packet from the client to the server; `out`: from the server to the client. */
export type PacketDirection = 'in' | 'out';

/** The rule that decided a packet's fate (allow verdicts are not reported). */
export interface Verdict {
  action: 'drop' | 'reject';
  /** Index of the rule in the scenario's `firewall` list. */
  rule: number;
}

interface Installed {
  index: number;
  spec: FirewallRuleSpec;
  from: Cidr | null;
}

/** The installed rules, in list order; the first that matches a packet decides it. */
export class Firewall {
  private rules: Installed[] = [];
  /** Parsed client addresses (few machines, many packets: each is parsed once). */
  private readonly addrCache = new Map<string, { family: 4 | 6; value: bigint } | null>();

  /** Installs rule `index` of the list (throws on a bad `from`: the loader has checked it). */
  install(index: number, spec: FirewallRuleSpec): void {
    if (this.rules.some((r) => r.index === index)) return;
    let from: Cidr | null = null;
    if (spec.from !== undefined) {
      const c = parseCidr(spec.from);
      if (typeof c === 'string') throw new Error(`firewall[${index}].from: ${c}`);
      from = c;
    }
    this.rules.push({ index, spec, from });
    this.rules.sort((a, b) => a.index - b.index);
  }

  /** Removes rule `index`; true when it was installed. */
  remove(index: number): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.index !== index);
    return this.rules.length !== n;
  }

  /** Indexes of the installed rules, in order. */
  installed(): number[] {
    return this.rules.map((r) => r.index);
  }

  /**
   * The verdict on a packet of a connection between client address `clientIp` and server port
   * `port` travelling in `dir`: the first installed rule that matches decides; null = allowed
   * (no rule matched, or the first match is an allow rule).
   */
  verdict(clientIp: string, port: number, dir: PacketDirection): Verdict | null {
    if (this.rules.length === 0) return null;
    let addr = this.addrCache.get(clientIp);
    if (addr === undefined) this.addrCache.set(clientIp, (addr = parseAddress(clientIp)));
    for (const r of this.rules) {
      const s = r.spec;
      if (s.direction !== 'both' && s.direction !== dir) continue;
      if (s.port !== undefined && s.port !== port) continue;
      if (r.from && (!addr || !cidrContains(r.from, addr))) continue;
      return s.action === 'allow' ? null : { action: s.action, rule: r.index };
    }
    return null;
  }
}

/** One line describing a rule, for timeline details: `drop in from 10.0.0.0/8 port 6379`. */
export function describeRule(s: FirewallRuleSpec): string {
  return `${s.action} ${s.direction}${s.from !== undefined ? ` from ${s.from}` : ''}${s.port !== undefined ? ` port ${s.port}` : ''}`;
}
