import { CarlError } from '@carl/core';
import { checkFinite, checkMinLength, checkSameLength } from './validate';

/**
 * Pearson's correlation coefficient r of two equally long series.
 * Returns `NaN` when either series is constant (r is undefined there, as in scipy), so a collapsed
 * model shows up as "n/a" in a report instead of a made-up 0.
 *
 * @example
 * ```ts
 * pearson([1, 2, 3], [2, 4, 7]); // 0.9933
 * ```
 */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y, 'pearson');
  checkMinLength(x, 2, 'pearson');
  checkFinite(x, 'x');
  checkFinite(y, 'y');
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  // Two-pass (centred) sums: one-pass formulas lose most digits when the mean is large against the spread.
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * Ranks of `values` starting at 1, ties sharing the average of the ranks they span
 * (so `[10, 20, 20, 30]` → `[1, 2.5, 2.5, 4]`).
 *
 * @example
 * ```ts
 * averageRanks([3, 1, 3]); // [2.5, 1, 2.5]
 * ```
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  checkFinite(values, 'values');
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const ranks = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start;
    while (end + 1 < n && values[order[end + 1] as number] === values[order[start] as number]) end++;
    const rank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) ranks[order[k] as number] = rank;
    start = end + 1;
  }
  return ranks;
}

/**
 * Spearman's rank correlation: Pearson's r of the average ranks (ties handled as scipy does).
 * `NaN` when either series is constant.
 *
 * @example
 * ```ts
 * spearman([1, 2, 3, 4], [1, 4, 9, 16]); // 1
 * ```
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength(x, y, 'spearman');
  checkMinLength(x, 2, 'spearman');
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * Root mean squared error between targets and predictions.
 *
 * @example
 * ```ts
 * rmse([0, 0], [3, 4]); // Math.sqrt(12.5)
 * ```
 */
export function rmse(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  return Math.sqrt(meanOf(truth, predicted, 'rmse', (d) => d * d));
}

/**
 * Mean absolute error between targets and predictions.
 *
 * @example
 * ```ts
 * mae([0, 0], [3, -4]); // 3.5
 * ```
 */
export function mae(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  return meanOf(truth, predicted, 'mae', Math.abs);
}

function meanOf(truth: ArrayLike<number>, predicted: ArrayLike<number>, name: string, f: (d: number) => number): number {
  checkSameLength(truth, predicted, name);
  checkMinLength(truth, 1, name);
  checkFinite(truth, 'truth');
  checkFinite(predicted, 'predicted');
  let sum = 0;
  for (let i = 0; i < truth.length; i++) sum += f((predicted[i] as number) - (truth[i] as number));
  return sum / truth.length;
}

/** A class label: a category name or an integer id. */
export type ClassLabel = string | number;

/**
 * Share of predictions equal to the truth.
 *
 * @example
 * ```ts
 * accuracy(['joy', 'fear', 'joy'], ['joy', 'joy', 'joy']); // 2 / 3
 * ```
 */
export function accuracy<L extends ClassLabel>(truth: readonly L[], predicted: readonly L[]): number {
  checkSameLength(truth, predicted, 'accuracy');
  checkMinLength(truth, 1, 'accuracy');
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) hits++;
  return hits / truth.length;
}

/** A confusion matrix: `matrix[t][p]` counts items of true class `labels[t]` predicted as `labels[p]`. */
export interface ConfusionMatrix<L extends ClassLabel = ClassLabel> {
  readonly labels: readonly L[];
  readonly matrix: readonly (readonly number[])[];
}

/**
 * Counts of (true class, predicted class) pairs. Rows are true classes, columns predicted ones,
 * both in the order of `labels` (default: every label seen in either array, sorted).
 * Throws when an item's label is not in an explicit `labels` list, rather than dropping it.
 *
 * @example
 * ```ts
 * confusionMatrix(['a', 'b', 'b'], ['a', 'a', 'b']).matrix; // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix<L extends ClassLabel>(truth: readonly L[], predicted: readonly L[], labels?: readonly L[]): ConfusionMatrix<L> {
  checkSameLength(truth, predicted, 'confusionMatrix');
  const order = labels ?? defaultLabels(truth, predicted);
  const index = new Map<L, number>();
  order.forEach((label, i) => {
    if (index.has(label)) throw new CarlError('INVALID_ARGUMENT', `label "${String(label)}" is listed twice`, { field: 'labels' });
    index.set(label, i);
  });
  const matrix = order.map(() => new Array<number>(order.length).fill(0));
  for (let i = 0; i < truth.length; i++) {
    const t = index.get(truth[i] as L);
    const p = index.get(predicted[i] as L);
    if (t === undefined) throw new CarlError('INVALID_ARGUMENT', `label "${String(truth[i])}" is not in labels`, { field: `truth[${i}]` });
    if (p === undefined) throw new CarlError('INVALID_ARGUMENT', `label "${String(predicted[i])}" is not in labels`, { field: `predicted[${i}]` });
    (matrix[t] as number[])[p] = ((matrix[t] as number[])[p] as number) + 1;
  }
  return { labels: order, matrix };
}

/** Per-class precision, recall, F1 and support, as in a classification report. */
export interface ClassScores<L extends ClassLabel = ClassLabel> {
  readonly label: L;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Number of items whose true class is `label`. */
  readonly support: number;
}

/**
 * Precision, recall and F1 of each class. A ratio with a zero denominator counts as 0 (scikit-learn's
 * `zero_division=0`): a class never predicted has precision 0, which is what macro-F1 should punish.
 *
 * @example
 * ```ts
 * perClassScores(['a', 'b'], ['a', 'a']); // [{ label: 'a', precision: 0.5, recall: 1, f1: 0.667, support: 1 }, { label: 'b', … f1: 0 }]
 * ```
 */
export function perClassScores<L extends ClassLabel>(truth: readonly L[], predicted: readonly L[], labels?: readonly L[]): ClassScores<L>[] {
  const { labels: order, matrix } = confusionMatrix(truth, predicted, labels);
  return order.map((label, c) => {
    const tp = (matrix[c] as number[])[c] as number;
    const support = (matrix[c] as number[]).reduce((a, b) => a + b, 0);
    const predictedCount = matrix.reduce((sum, row) => sum + (row[c] as number), 0);
    const precision = predictedCount === 0 ? 0 : tp / predictedCount;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label, precision, recall, f1, support };
  });
}

/**
 * Unweighted mean of the per-class F1 scores over `labels` (default: every label seen in truth or
 * predictions, as scikit-learn does), so rare emotions weigh as much as frequent ones.
 *
 * @example
 * ```ts
 * macroF1(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b']); // (0.667 + 0.8) / 2
 * ```
 */
export function macroF1<L extends ClassLabel>(truth: readonly L[], predicted: readonly L[], labels?: readonly L[]): number {
  checkMinLength(truth, 1, 'macroF1');
  const scores = perClassScores(truth, predicted, labels);
  return scores.reduce((sum, s) => sum + s.f1, 0) / scores.length;
}

function defaultLabels<L extends ClassLabel>(truth: readonly L[], predicted: readonly L[]): L[] {
  const seen = [...new Set<L>([...truth, ...predicted])];
  return seen.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

/**
 * Alignment of positive pairs (Wang & Isola 2020): mean of ‖f(x) − f(x⁺)‖^α over the pairs, with every
 * vector L2-normalised first (α = 2 by default). Lower is better.
 *
 * @example
 * ```ts
 * alignment([[1, 0]], [[0, 1]]); // 2 (orthogonal unit vectors)
 * ```
 */
export function alignment(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[], alpha = 2): number {
  checkSameLength(a, b, 'alignment', 'pairs');
  checkMinLength(a, 1, 'alignment pairs');
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.pow(Math.sqrt(squaredDistanceUnit(a[i] as ArrayLike<number>, b[i] as ArrayLike<number>, i)), alpha);
  return sum / a.length;
}

/**
 * Uniformity (Wang & Isola 2020): log of the mean Gaussian potential exp(−t‖f(x) − f(y)‖²) over all
 * distinct pairs of L2-normalised vectors (t = 2 by default). Lower is better; −4 is the minimum for
 * vectors spread evenly on a high-dimensional sphere (log e^{−2·2}).
 *
 * @example
 * ```ts
 * uniformity([[1, 0], [-1, 0]]); // −8 (antipodal: distance² = 4, t = 2)
 * ```
 */
export function uniformity(x: readonly ArrayLike<number>[], t = 2): number {
  checkMinLength(x, 2, 'uniformity');
  const units = x.map((row, i) => unit(row, i));
  // log-mean-exp with the largest exponent factored out, so many far-apart pairs never underflow to log(0).
  // log-mean-exp with a running maximum, so that far-apart pairs (large t) never underflow to log(0).
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < units.length; i++) {
    for (let j = i + 1; j < units.length; j++) {
      const e = -t * squaredDistance(units[i] as Float64Array, units[j] as Float64Array);
      if (e > max) {
        sum = sum * Math.exp(max - e) + 1;
        max = e;
      } else {
        sum += Math.exp(e - max);
      }
      count++;
    }
  }
  return max + Math.log(sum / count);
}

function unit(row: ArrayLike<number>, index: number): Float64Array {
  checkFinite(row, `vectors[${index}]`);
  let norm = 0;
  for (let j = 0; j < row.length; j++) norm += (row[j] as number) ** 2;
  norm = Math.sqrt(norm);
  if (norm === 0) throw new CarlError('INVALID_ARGUMENT', 'a zero vector cannot be L2-normalised', { field: `vectors[${index}]` });
  const out = new Float64Array(row.length);
  for (let j = 0; j < row.length; j++) out[j] = (row[j] as number) / norm;
  return out;
}

function squaredDistance(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) throw new CarlError('SHAPE_MISMATCH', `vectors of width ${a.length} and ${b.length}`);
  let s = 0;
  for (let j = 0; j < a.length; j++) s += ((a[j] as number) - (b[j] as number)) ** 2;
  return s;
}

function squaredDistanceUnit(a: ArrayLike<number>, b: ArrayLike<number>, index: number): number {
  return squaredDistance(unit(a, index), unit(b, index));
}
