import { CarlError, Random, type LabeledText } from '@carl/core';

/**
 * What to keep balanced across folds: `true` (default) = the first label for categorical rows, else
 * the valence–arousal quadrant; `false` = plain shuffling; or your own key function.
 */
export type Stratify = boolean | ((row: LabeledText) => string);

export interface SplitOptions {
  /** Seed of the shuffle; the same seed and rows give the same split on every machine. Default 0. */
  readonly seed?: number;
  readonly stratify?: Stratify;
}

/** One fold: the held-out rows and the rest. */
export interface Fold {
  readonly index: number;
  readonly train: LabeledText[];
  readonly test: LabeledText[];
}

function stratumOf(stratify: Stratify): (row: LabeledText) => string {
  if (typeof stratify === 'function') return stratify;
  if (stratify === false) return () => '';
  return (row) => {
    const label = row.labels?.[0];
    if (label !== undefined) return `label:${label}`;
    if (row.va !== undefined) return `quadrant:${row.va.valence >= 0 ? 'H' : 'L'}V${row.va.arousal >= 0 ? 'H' : 'L'}A`;
    return '';
  };
}

/**
 * Rows in "dealing order": each stratum shuffled with the seeded RNG, strata concatenated in sorted
 * key order. Taking every k-th row of this order spreads every stratum evenly (within one row) over
 * the folds — the same idea as scikit-learn's StratifiedKFold.
 */
function dealingOrder(rows: readonly LabeledText[], options: SplitOptions): LabeledText[] {
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed)) throw new CarlError('INVALID_ARGUMENT', `seed must be an integer, got ${seed}`, { field: 'seed' });
  const key = stratumOf(options.stratify ?? true);
  const strata = new Map<string, LabeledText[]>();
  for (const row of rows) {
    const k = key(row);
    const list = strata.get(k);
    if (list === undefined) strata.set(k, [row]);
    else list.push(row);
  }
  const rng = new Random(seed);
  const order: LabeledText[] = [];
  // Sorted keys make the order independent of the input order of strata; dealing continues across
  // stratum boundaries, so the remainder rows of the strata do not all pile up in fold 0.
  // Rows are sorted by id before shuffling, so the split depends on the seed and the ids only, not on
  // the order the rows arrived in (a loader or file reordering does not move rows between folds).
  const byId = (a: LabeledText, b: LabeledText): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  for (const k of [...strata.keys()].sort()) order.push(...rng.shuffle([...(strata.get(k) as LabeledText[])].sort(byId)));
  return order;
}

/**
 * Seeded, stratified k-fold cross-validation (for corpora without an official split: Facebook posts,
 * ISEAR, MR, CR, SUBJ, MPQA). Every row is in exactly one test fold; fold sizes differ by at most one,
 * and so does each stratum's count per fold. The folds depend only on the seed and the row ids, not on
 * the order of `rows`.
 *
 * @example
 * ```ts
 * for (const { train, test } of kFold(rows, 10, { seed: 42 })) { … }
 * ```
 */
export function kFold(rows: readonly LabeledText[], k: number, options: SplitOptions = {}): Fold[] {
  if (!Number.isInteger(k) || k < 2) throw new CarlError('INVALID_ARGUMENT', `k must be an integer ≥ 2, got ${k}`, { field: 'k' });
  if (rows.length < k) throw new CarlError('INVALID_ARGUMENT', `cannot make ${k} folds from ${rows.length} rows`, { field: 'k' });
  const order = dealingOrder(rows, options);
  const foldOf = new Map<LabeledText, number>();
  order.forEach((row, i) => foldOf.set(row, i % k));
  return Array.from({ length: k }, (_, index) => ({
    index,
    // Keep the caller's row order inside each part (stable, easier to diff).
    train: rows.filter((row) => foldOf.get(row) !== index),
    test: rows.filter((row) => foldOf.get(row) === index),
  }));
}

export interface TrainTestOptions extends SplitOptions {
  /** A fraction in (0, 1) of the rows, or a whole number of rows, for the test part. */
  readonly testSize: number;
}

/**
 * A seeded, stratified train/test split (e.g. a dev set carved out of `train`). The test part has
 * exactly `round(n · testSize)` rows (or `testSize` rows), spread over the strata in proportion.
 *
 * @example
 * ```ts
 * const { train, test } = trainTestSplit(isear.splits.train, { testSize: 0.2, seed: 1 });
 * ```
 */
export function trainTestSplit(rows: readonly LabeledText[], options: TrainTestOptions): { train: LabeledText[]; test: LabeledText[] } {
  const n = rows.length;
  const size = options.testSize;
  const count = Number.isInteger(size) && size >= 1 ? size : size > 0 && size < 1 ? Math.round(n * size) : NaN;
  if (!Number.isFinite(count) || count > n) {
    throw new CarlError('INVALID_ARGUMENT', `testSize must be a fraction in (0, 1) or a whole number of rows ≤ ${n}, got ${size}`, { field: 'testSize' });
  }
  const order = dealingOrder(rows, options);
  // Systematic sampling over the dealing order: row i is a test row when ⌊(i+1)·c/n⌋ > ⌊i·c/n⌋,
  // which picks exactly c rows, evenly spaced, so each stratum gets its proportional share.
  const test = new Set<LabeledText>();
  order.forEach((row, i) => {
    if (Math.floor(((i + 1) * count) / n) > Math.floor((i * count) / n)) test.add(row);
  });
  return { train: rows.filter((row) => !test.has(row)), test: rows.filter((row) => test.has(row)) };
}
