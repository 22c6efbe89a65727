import { CarlError, Random } from '@carl/core';
import { checkInteger } from './validate';

/**
 * Assigns each of `n` items to one of `k` folds, seeded. With `strata` (one key per item, e.g. its class),
 * every stratum is shuffled and dealt round-robin with one running counter, so each fold gets the same
 * class proportions (±1 item) and fold sizes differ by at most one.
 *
 * @example
 * ```ts
 * assignFolds(10, 5, { seed: 1 }); // e.g. [3, 0, 4, 1, 2, 2, 0, 3, 1, 4]
 * ```
 */
export function assignFolds(n: number, k: number, options: { seed?: number; strata?: readonly (string | number)[] } = {}): Int32Array {
  checkInteger(k, 2, Number.MAX_SAFE_INTEGER, 'folds');
  if (n < k) throw new CarlError('INVALID_ARGUMENT', `cannot make ${k} folds from ${n} items`, { field: 'folds' });
  const rng = new Random(options.seed ?? 0);
  const fold = new Int32Array(n);
  const groups = new Map<string | number, number[]>();
  if (options.strata !== undefined) {
    if (options.strata.length !== n) throw new CarlError('SHAPE_MISMATCH', `${options.strata.length} strata for ${n} items`, { field: 'strata' });
    options.strata.forEach((key, i) => {
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [i]);
      else group.push(i);
    });
  } else {
    groups.set(0, Array.from({ length: n }, (_, i) => i));
  }
  // Sorted keys keep the assignment independent of the order in which classes first appear.
  const keys = [...groups.keys()].sort((a, b) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
  let counter = rng.int(k);
  for (const key of keys) {
    const members = rng.shuffle([...(groups.get(key) as number[])]);
    for (const i of members) {
      fold[i] = counter % k;
      counter++;
    }
  }
  return fold;
}

/** Indices of the items in fold `f` (test) and of all the others (train). */
export function splitByFold(fold: Int32Array, f: number): { train: number[]; test: number[] } {
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < fold.length; i++) (fold[i] === f ? test : train).push(i);
  return { train, test };
}
