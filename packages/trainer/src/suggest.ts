// "Did you mean …?" for unknown names.

/**
 * The closest of `candidates` to `name` by edit distance, when it is close enough to be a typo
 * (the "did you mean" of unknown flags, commands and config keys).
 *
 * @example
 * ```ts
 * suggest('lerning-rate', ['learning-rate', 'seed']); // 'learning-rate'
 * ```
 */
export function suggest(name: string, candidates: readonly string[], options: { readonly ignoreCase?: boolean } = {}): string | undefined {
  const fold = (s: string): string => (options.ignoreCase === true ? s.toLowerCase() : s);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(fold(name), fold(candidate));
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j] as number;
      row[j] = Math.min(up + 1, (row[j - 1] as number) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = up;
    }
  }
  return row[b.length] as number;
}
