// IP address literals: family, canonical text (as inet_ntop prints it) and loopback. No names, no
// resolution: redsim's machines have addresses, not a DNS.

/** 4 for a dotted-quad IPv4 literal, 6 for an IPv6 literal, 0 for anything else. */
export function ipFamily(s: string): 4 | 6 | 0 {
  if (parseIpv4(s) !== null) return 4;
  if (parseIpv6(s) !== null) return 6;
  return 0;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseIpv4(s: string): number[] | null {
  const parts = s.split('.');
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return null;
  return parts.map(Number);
}

/** The eight 16-bit words of an IPv6 literal (`::` compression and an IPv4 tail allowed). */
function parseIpv6(s: string): number[] | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(s) || s.length > 45) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const words = (part: string, last: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (last && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const head = words(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? words(halves[1]!, true) : [];
  if (!head || !tail) return null;
  if (halves.length === 1) return head.length === 8 ? head : null;
  const fill = 8 - head.length - tail.length;
  return fill >= 1 ? [...head, ...new Array<number>(fill).fill(0), ...tail] : null;
}

/**
 * The address as the kernel prints it (glibc inet_ntop): IPv4 unchanged; IPv6 in lower case with
 * the longest run of two or more zero words shown as `::` (the first such run on a tie), and an
 * IPv4 tail for mapped (`::ffff:a.b.c.d`) and compatible (`::a.b.c.d`) addresses. Anything that
 * is not an IP literal is returned unchanged.
 */
export function canonicalIp(s: string): string {
  if (parseIpv4(s)) return s;
  const w = parseIpv6(s);
  if (!w) return s;
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) best = -1;
  const v4tail = best === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff));
  const hex = (ws: number[]) => ws.map((x) => x.toString(16));
  const end = v4tail ? 6 : 8;
  let out: string;
  if (best < 0) out = hex(w.slice(0, end)).join(':');
  else out = `${hex(w.slice(0, best)).join(':')}::${hex(w.slice(best + bestLen, end)).join(':')}`;
  if (v4tail) out += `${out.endsWith(':') ? '' : ':'}${w[6]! >> 8}.${w[6]! & 255}.${w[7]! >> 8}.${w[7]! & 255}`;
  return out;
}

/** Whether `ip` is a loopback address: 127.0.0.0/8 or ::1. */
export function isLoopback(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4) return v4[0] === 127;
  const w = parseIpv6(ip);
  return !!w && w.slice(0, 7).every((x) => x === 0) && w[7] === 1;
}

/** The wildcard address of a family: 0.0.0.0 (INADDR_ANY) or :: (in6addr_any). */
export function wildcardOf(family: 4 | 6): string {
  return family === 6 ? '::' : '0.0.0.0';
}
