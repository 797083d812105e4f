/** "Did you mean": the known names nearest to a mistyped one, for a tired person at a terminal. */

/** Levenshtein distance, with a swap of two neighbours counted as one edit ("reqeust"). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known names within a small distance of `typed` (a third of its length, at least 1, at most
 * 3), nearest first; a name that starts with what was typed counts as near too ("exp" for "export").
 */
export function nearest(typed: string, known: readonly string[], limit = 3): string[] {
  if (typed === '' || typed.length > 64) return [];
  const allowed = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  return known
    .map((name) => ({ name, d: name.startsWith(typed) && typed.length >= 2 ? 0.5 : editDistance(typed, name) }))
    .filter((c) => c.d <= allowed)
    .sort((x, y) => x.d - y.d || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map((c) => c.name);
}

/** `; did you mean "a" or "b"?`, or nothing when no name is near. */
export function didYouMean(typed: string, known: readonly string[], quote = (s: string) => `"${s}"`): string {
  const near = [...new Set(nearest(typed, known))];
  if (near.length === 0) return '';
  const listed = near.map(quote);
  return `; did you mean ${listed.length === 1 ? listed[0]! : `${listed.slice(0, -1).join(', ')} or ${listed[listed.length - 1]!}`}?`;
}

/** `base`, the hint if any, then where to look: "…; did you mean "list"? see …" or "…; see …". */
export const withHint = (base: string, hint: string, tail: string): string => (hint ? `${base}${hint} ${tail}` : `${base}; ${tail}`);
