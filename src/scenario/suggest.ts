// "Did you mean …?" for misspelt keys and names.

/** Optimal-string-alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = [];
  for (let i = 0; i <= m; i++) d.push([i, ...new Array<number>(n).fill(0)]);
  for (let j = 0; j <= n; j++) d[0]![j] = j;
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

const normalize = (s: string): string => s.toLowerCase().replace(/[-_ ]/g, '');

/**
 * The candidate closest to `word`, if any is plausibly what was meant: the same word up to case
 * and separators (`connectAt` → `connect-at`), or within a small edit distance.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = normalize(word);
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const n = normalize(c);
    if (n === w) return c;
    const d = editDistance(w, n);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  const limit = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  return bestD <= limit ? best : undefined;
}
