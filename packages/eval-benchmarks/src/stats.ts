import { CarlError, Random } from '@carl/core';
import { checkFinite, checkInteger, checkMinLength, checkSameLength } from './validate';

/** Mean and sample standard deviation of repeated measurements (e.g. one metric over seeds). */
export interface MeanStd {
  readonly mean: number;
  /** Sample standard deviation (n − 1 denominator); 0 for a single value. */
  readonly std: number;
  readonly n: number;
}

/**
 * Mean ± sample standard deviation, skipping `NaN`s (a run whose metric is undefined, e.g. a
 * collapsed model's correlation) but counting only the values used in `n`.
 *
 * @example
 * ```ts
 * meanStd([0.61, 0.65, 0.63]); // { mean: 0.63, std: 0.02, n: 3 }
 * ```
 */
export function meanStd(values: ArrayLike<number>): MeanStd {
  const used: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v)) throw new CarlError('INVALID_ARGUMENT', `expected a finite number, got ${v}`, { field: `values[${i}]` });
    used.push(v);
  }
  const n = used.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n: 0 };
  const mean = used.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, std: 0, n };
  const ss = used.reduce((a, v) => a + (v - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** Which paired test {@link pairedTest} runs. */
export type PairedTestMethod = 't' | 'permutation';

/** Options of {@link pairedTest}. */
export interface PairedTestOptions {
  /** `t` (Student's paired t-test, default) or `permutation` (sign-flip test on the differences). */
  readonly method?: PairedTestMethod;
  /** Monte-Carlo sign flips when n > 20 (below that every flip is enumerated). Default 10,000. */
  readonly permutations?: number;
  /** Seed of the Monte-Carlo flips. Default 0. */
  readonly seed?: number;
}

/** Outcome of a paired two-sided test of "a and b have the same mean". */
export interface PairedTestResult {
  readonly method: PairedTestMethod;
  readonly n: number;
  /** mean(a − b). */
  readonly meanDifference: number;
  /** t for the t-test; |mean difference| for the permutation test. */
  readonly statistic: number;
  /** Degrees of freedom of the t-test (n − 1); absent for the permutation test. */
  readonly df?: number;
  /** Two-sided p-value. */
  readonly p: number;
  /** Whether every sign flip was enumerated (permutation test only). */
  readonly exact?: boolean;
}

/**
 * Paired two-sided test of a against b (e.g. CARL's and the best baseline's score for each seed).
 *
 * - `t`: Student's paired t-test, p from the t distribution with n − 1 degrees of freedom. Assumes
 *   roughly normal differences. If every difference is equal and non-zero, t = ±∞ and p = 0.
 * - `permutation`: sign-flip test of the mean difference, exact for n ≤ 20. It assumes only symmetry,
 *   but note its floor: with n seeds the smallest possible p is 2 / 2ⁿ (0.25 for 3 seeds), so it can
 *   never reach 0.05 with fewer than 6 pairs.
 *
 * @example
 * ```ts
 * pairedTest([0.64, 0.66, 0.65], [0.60, 0.63, 0.61]).p; // 0.0082 (t = 11, df = 2)
 * ```
 */
export function pairedTest(a: ArrayLike<number>, b: ArrayLike<number>, options: PairedTestOptions = {}): PairedTestResult {
  checkSameLength(a, b, 'pairedTest');
  checkMinLength(a, 2, 'pairedTest');
  checkFinite(a, 'a');
  checkFinite(b, 'b');
  const d = Array.from({ length: a.length }, (_, i) => (a[i] as number) - (b[i] as number));
  const method = options.method ?? 't';
  if (method === 't') return pairedT(d);
  if (method === 'permutation') return signFlip(d, options.permutations ?? 10_000, options.seed ?? 0);
  throw new CarlError('INVALID_ARGUMENT', `unknown method "${String(method)}"; expected t or permutation`, { field: 'method' });
}

function pairedT(d: number[]): PairedTestResult {
  const n = d.length;
  const { mean, std } = meanStd(d);
  const df = n - 1;
  if (std === 0) {
    return mean === 0
      ? { method: 't', n, meanDifference: 0, statistic: 0, df, p: 1 }
      : { method: 't', n, meanDifference: mean, statistic: mean > 0 ? Infinity : -Infinity, df, p: 0 };
  }
  const t = mean / (std / Math.sqrt(n));
  return { method: 't', n, meanDifference: mean, statistic: t, df, p: studentTwoSidedP(t, df) };
}

function signFlip(d: number[], permutations: number, seed: number): PairedTestResult {
  const n = d.length;
  const observed = Math.abs(d.reduce((s, v) => s + v, 0));
  // Sums are compared, not means, and with a small relative tolerance so ties with the observed value
  // (common: |flipped sum| = observed for the all-flipped case) are not lost to rounding.
  const tolerance = 1e-12 * d.reduce((s, v) => s + Math.abs(v), 0);
  const meanDifference = d.reduce((s, v) => s + v, 0) / n;
  if (n <= 20) {
    let atLeast = 0;
    const total = 2 ** n;
    for (let mask = 0; mask < total; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -(d[i] as number) : (d[i] as number);
      if (Math.abs(s) >= observed - tolerance) atLeast++;
    }
    return { method: 'permutation', n, meanDifference, statistic: Math.abs(meanDifference), p: atLeast / total, exact: true };
  }
  checkInteger(permutations, 1, Number.MAX_SAFE_INTEGER, 'permutations');
  const rng = new Random(seed);
  let atLeast = 0;
  for (let r = 0; r < permutations; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += rng.uint32() & 1 ? -(d[i] as number) : (d[i] as number);
    if (Math.abs(s) >= observed - tolerance) atLeast++;
  }
  // (count + 1) / (B + 1): the observed labelling is one of the permutations, so p is never exactly 0.
  return { method: 'permutation', n, meanDifference, statistic: Math.abs(meanDifference), p: (atLeast + 1) / (permutations + 1), exact: false };
}

/** Options of {@link pairedBootstrap}. */
export interface PairedBootstrapOptions<T, P> {
  /** Gold labels of the shared test items. */
  readonly truth: readonly T[];
  /** Predictions of system A on the same items, in the same order. */
  readonly a: readonly P[];
  /** Predictions of system B. */
  readonly b: readonly P[];
  /** The score to compare, higher or lower better (e.g. `pearson`, `accuracy`, `macroF1`). */
  readonly metric: (truth: readonly T[], predicted: readonly P[]) => number;
  /** Bootstrap resamples. Default 1,000. */
  readonly resamples?: number;
  /** Confidence level of the interval. Default 0.95. */
  readonly confidence?: number;
  /** Seed of the resampling. Default 0. */
  readonly seed?: number;
}

/** Outcome of {@link pairedBootstrap}. */
export interface PairedBootstrapResult {
  /** metric(truth, a) − metric(truth, b) on the full test set. */
  readonly difference: number;
  /** Percentile interval of the difference at the requested confidence. */
  readonly interval: readonly [number, number];
  /** Two-sided p: twice the share of resamples on the other side of 0 from the observed difference (capped at 1). */
  readonly p: number;
  /** Resamples used (those where the metric was undefined, e.g. a constant resample for Pearson, are dropped). */
  readonly resamples: number;
}

/**
 * Paired bootstrap over test items (Koehn 2004; Efron & Tibshirani): resample items with replacement,
 * score both systems on the same resample, and read the spread of the difference. Far more powerful
 * than comparing 3 seeds, because it uses every test sentence, but it only covers test-set noise
 * (not seed-to-seed training noise); report both.
 *
 * @example
 * ```ts
 * const r = pairedBootstrap({ truth, a: carlPred, b: simcsePred, metric: pearson, seed: 1 });
 * r.difference; r.interval; r.p;
 * ```
 */
export function pairedBootstrap<T, P>(options: PairedBootstrapOptions<T, P>): PairedBootstrapResult {
  const { truth, a, b, metric } = options;
  checkSameLength(truth, a, 'pairedBootstrap', 'a');
  checkSameLength(truth, b, 'pairedBootstrap', 'b');
  checkMinLength(truth, 2, 'truth');
  const resamples = options.resamples ?? 1000;
  checkInteger(resamples, 1, Number.MAX_SAFE_INTEGER, 'resamples');
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new CarlError('INVALID_ARGUMENT', `must lie in (0, 1), got ${confidence}`, { field: 'confidence' });
  const difference = metric(truth, a) - metric(truth, b);
  const rng = new Random(options.seed ?? 0);
  const n = truth.length;
  const diffs: number[] = [];
  const t: T[] = new Array<T>(n);
  const pa: P[] = new Array<P>(n);
  const pb: P[] = new Array<P>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      t[i] = truth[k] as T;
      pa[i] = a[k] as P;
      pb[i] = b[k] as P;
    }
    const delta = metric(t, pa) - metric(t, pb);
    if (!Number.isNaN(delta)) diffs.push(delta);
  }
  if (diffs.length === 0) throw new CarlError('NUMERIC_INSTABILITY', 'the metric was undefined (NaN) on every resample', { field: 'metric' });
  diffs.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  const interval: [number, number] = [quantileSorted(diffs, tail), quantileSorted(diffs, 1 - tail)];
  const below = diffs.filter((v) => v <= 0).length / diffs.length;
  const above = diffs.filter((v) => v >= 0).length / diffs.length;
  const p = Math.min(1, 2 * (difference >= 0 ? below : above));
  return { difference, interval, p, resamples: diffs.length };
}

/** Linear-interpolation quantile (numpy's default) of an ascending array. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const w = pos - lo;
  return (sorted[lo] as number) * (1 - w) + (sorted[hi] as number) * w;
}

/** Two-sided p-value of Student's t with `df` degrees of freedom: P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2). */
export function studentTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  if (!(df > 0)) throw new CarlError('INVALID_ARGUMENT', `degrees of freedom must be positive, got ${df}`, { field: 'df' });
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** log Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x); // reflection
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const z = x - 1;
  let sum = c[0] as number;
  for (let i = 1; i < 9; i++) sum += (c[i] as number) / (z + i);
  const tt = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(tt) - tt + Math.log(sum);
}

/** Regularised incomplete beta I_x(a, b), by the continued fraction (Numerical Recipes §6.4, modified Lentz). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  // The continued fraction converges fast only for x < (a+1)/(a+b+2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) return h;
  }
  throw new CarlError('NUMERIC_INSTABILITY', `incomplete beta did not converge (x=${x}, a=${a}, b=${b})`);
}

/**
 * Holm's step-down adjustment of a family of p-values (controls the family-wise error rate without
 * assuming independence). Sorted ascending, p₍ᵢ₎ becomes max over j ≤ i of min(1, (m − j + 1)·p₍ⱼ₎); the
 * result is in the input's order. `NaN`s (tests that could not run) stay `NaN` and do not count in m.
 *
 * @example
 * ```ts
 * holm([0.01, 0.04, 0.03, 0.005]); // [0.03, 0.06, 0.06, 0.02]
 * ```
 */
export function holm(pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (!Number.isNaN(p) && !(p >= 0 && p <= 1)) throw new CarlError('INVALID_ARGUMENT', `a p-value must lie in [0, 1], got ${p}`, { field: `pValues[${i}]` });
  });
  const order = pValues.map((p, i) => [p, i] as const).filter(([p]) => !Number.isNaN(p)).sort((a, b) => a[0] - b[0]);
  const m = order.length;
  const out = pValues.map(() => Number.NaN);
  let running = 0;
  order.forEach(([p, i], rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}

/** Options of {@link bootstrapMean}. */
export interface BootstrapMeanOptions {
  /** Resamples. Default 10,000. */
  readonly resamples?: number;
  /** Confidence level of the percentile interval. Default 0.95. */
  readonly confidence?: number;
  /** Seed of the resampling. Default 0. */
  readonly seed?: number;
}

/** Outcome of {@link bootstrapMean}. */
export interface BootstrapMeanResult {
  readonly mean: number;
  readonly n: number;
  /** Percentile interval of the resampled means. */
  readonly interval: readonly [number, number];
}

/**
 * Percentile bootstrap interval of a mean, e.g. of per-seed paired differences (method − baseline,
 * one value per seed): resample the values with replacement, take each resample's mean, read the
 * quantiles. With very few values (5 seeds) the interval is too narrow on average (it can never be wider
 * than the values' range) — see the reproduction report's note on what n = 5 supports.
 *
 * @example
 * ```ts
 * bootstrapMean([0.012, -0.004, 0.020, 0.007, 0.001], { seed: 1 }); // { mean: 0.0072, n: 5, interval: [≈0.000, ≈0.014] }
 * ```
 */
export function bootstrapMean(values: readonly number[], options: BootstrapMeanOptions = {}): BootstrapMeanResult {
  checkFinite(values, 'values');
  checkMinLength(values, 1, 'values');
  const resamples = options.resamples ?? 10_000;
  checkInteger(resamples, 1, Number.MAX_SAFE_INTEGER, 'resamples');
  const confidence = options.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new CarlError('INVALID_ARGUMENT', `must lie in (0, 1), got ${confidence}`, { field: 'confidence' });
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const rng = new Random(options.seed ?? 0);
  const means = new Array<number>(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(n)] as number;
    means[r] = s / n;
  }
  means.sort((x, y) => x - y);
  const tail = (1 - confidence) / 2;
  return { mean, n, interval: [quantileSorted(means, tail), quantileSorted(means, 1 - tail)] };
}
