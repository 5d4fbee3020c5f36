// Redis's glob matcher (stringmatchlen in util.c), byte for byte, shared by Pub/Sub patterns
// (case-sensitive) and CONFIG GET (case-insensitive). Arguments may be virtual (Filler).
import { isFiller } from '../base/bytes.ts';
import type { Arg } from '../protocol/request-parser.ts';

// stringmatchlen (util.c), byte for byte, including its quirks: an unterminated `[` class runs to
// the end of the pattern (a lone `[` matches nothing), `\` escapes inside and outside brackets,
// reversed ranges are swapped, range bounds compare as signed chars (bytes >= 0x80 sort below
// 0x00), and `*` never matches an empty string on its own (the loop needs a byte to start).

interface ByteView {
  length: number;
  /** The byte at i, or -1 past either end (where C would read the terminating NUL). */
  at(i: number): number;
}

function viewOf(a: Arg): ByteView {
  if (isFiller(a)) return { length: a.length, at: (i) => (i >= 0 && i < a.length ? a.byte : -1) };
  return { length: a.length, at: (i) => (i >= 0 && i < a.length ? a[i]! : -1) };
}

const signedChar = (b: number): number => (b >= 128 ? b - 256 : b);

/** tolower() of one byte, ASCII only (the C locale). */
const lower = (ch: number): number => (ch >= 0x41 && ch <= 0x5a ? ch + 32 : ch);

/** Redis's glob match of `string` against `pattern`; Pub/Sub is case-sensitive, CONFIG GET is not. */
export function stringmatchlen(pattern: Arg, string: Arg, nocase = false): boolean {
  return matchImpl(viewOf(pattern), 0, pattern.length, viewOf(string), 0, string.length, nocase, { skipLongerMatches: false });
}

function matchImpl(p: ByteView, pi: number, plen: number, s: ByteView, si: number, slen: number, nocase: boolean, st: { skipLongerMatches: boolean }): boolean {
  const eq = (x: number, y: number): boolean => (nocase ? lower(x) === lower(y) : x === y);
  while (plen && slen) {
    switch (p.at(pi)) {
      case 0x2a: /* '*' */ {
        while (plen && p.at(pi + 1) === 0x2a) {
          pi++;
          plen--;
        }
        if (plen === 1) return true;
        while (slen) {
          if (matchImpl(p, pi + 1, plen - 1, s, si, slen, nocase, st)) return true;
          if (st.skipLongerMatches) return false;
          si++;
          slen--;
        }
        // No match for the rest of the pattern from anywhere in the string: earlier stars cannot
        // help by matching longer, so every caller can give up too.
        st.skipLongerMatches = true;
        return false;
      }
      case 0x3f: /* '?' */
        si++;
        slen--;
        break;
      case 0x5b: /* '[' */ {
        pi++;
        plen--;
        const not = p.at(pi) === 0x5e; /* '^' */
        if (not) {
          pi++;
          plen--;
        }
        let match = false;
        for (;;) {
          if (p.at(pi) === 0x5c && plen >= 2) {
            pi++;
            plen--;
            if (p.at(pi) === s.at(si)) match = true;
          } else if (p.at(pi) === 0x5d /* ']' */) {
            break;
          } else if (plen === 0) {
            // Unterminated class: step back so the outer loop's increment lands on the end.
            pi--;
            plen++;
            break;
          } else if (plen >= 3 && p.at(pi + 1) === 0x2d /* '-' */) {
            let start = signedChar(p.at(pi));
            let end = signedChar(p.at(pi + 2));
            const ch = signedChar(s.at(si));
            let c = ch;
            if (start > end) [start, end] = [end, start];
            if (nocase) {
              start = lower(start);
              end = lower(end);
              c = lower(c);
            }
            pi += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (eq(p.at(pi), s.at(si))) {
            match = true;
          }
          pi++;
          plen--;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        slen--;
        break;
      }
      case 0x5c: /* '\\' */
        if (plen >= 2) {
          pi++;
          plen--;
        }
        if (!eq(p.at(pi), s.at(si))) return false;
        si++;
        slen--;
        break;
      default:
        if (!eq(p.at(pi), s.at(si))) return false;
        si++;
        slen--;
        break;
    }
    pi++;
    plen--;
    if (slen === 0) {
      while (p.at(pi) === 0x2a) {
        pi++;
        plen--;
      }
      break;
    }
  }
  return plen === 0 && slen === 0;
}
