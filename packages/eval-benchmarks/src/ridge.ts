import { CarlError } from '@carl/core';
import { assignFolds, splitByFold } from './folds';
import { accumulateGram, choleskyInPlace, choleskySolve, symmetrize } from './linalg';
import { checkInteger, checkMatrix, type NumericRow } from './validate';

/** The default ridge penalties: one per decade from 10⁻² to 10⁶ (penalty on the sum of squared errors, as in scikit-learn). */
export const DEFAULT_RIDGE_ALPHAS: readonly number[] = [1e-2, 1e-1, 1, 10, 100, 1e3, 1e4, 1e5, 1e6];

/** Options of {@link fitRidge}. */
export interface RidgeOptions {
  /** Candidate penalties α (all > 0). One value skips the cross-validation. Default {@link DEFAULT_RIDGE_ALPHAS}. */
  readonly alphas?: readonly number[];
  /** Folds of the cross-validation that picks α, on the training rows only. Default 5. */
  readonly folds?: number;
  /** Seed of the fold assignment. Default 0. */
  readonly seed?: number;
  /** Pick α separately for each target (valence and arousal often want different penalties). Default true. */
  readonly alphaPerTarget?: boolean;
}

/** A fitted ridge regression, in the units of the original features. */
export interface RidgeProbe {
  /** The chosen α of each target. */
  readonly alpha: readonly number[];
  /** The grid that was searched. */
  readonly alphas: readonly number[];
  /** Cross-validated mean squared error, `cvError[alphaIndex][target]` (empty when only one α was given). */
  readonly cvError: readonly (readonly number[])[];
  /** True for a target whose chosen α is the smallest or largest of the grid: widen the grid. */
  readonly alphaAtEdge: readonly boolean[];
  /** `weights[feature][target]`, for the raw (unstandardised) features. */
  readonly weights: readonly (readonly number[])[];
  readonly intercept: readonly number[];
  /** Predictions, one row of targets per input row. */
  predict(rows: readonly NumericRow[]): number[][];
}

/**
 * Ridge regression from frozen features to one or more continuous targets (e.g. valence and arousal).
 * Features are standardised (mean 0, variance 1, from the training rows) and the intercept is not
 * penalised; the penalty α is chosen from a grid by k-fold cross-validation on the training rows only,
 * then the model is refitted on all of them. Closed form: (ZᵀZ + αI)w = Zᵀ(y − ȳ), solved by Cholesky
 * in float64, with every fold's Gram matrix taken from per-fold sums so the data is read once.
 *
 * @example
 * ```ts
 * const probe = fitRidge(trainEmbeddings, trainVA.map((v) => [v.valence, v.arousal]));
 * const [[valence, arousal]] = probe.predict([testEmbedding]);
 * ```
 */
export function fitRidge(x: readonly NumericRow[], y: readonly NumericRow[], options: RidgeOptions = {}): RidgeProbe {
  const d = checkMatrix(x, 'x');
  const m = checkMatrix(y, 'y');
  if (y.length !== x.length) throw new CarlError('SHAPE_MISMATCH', `${x.length} feature rows but ${y.length} target rows`, { field: 'y' });
  const n = x.length;
  if (n < 2) throw new CarlError('INVALID_ARGUMENT', `needs at least 2 training rows, got ${n}`, { field: 'x' });
  const alphas = [...(options.alphas ?? DEFAULT_RIDGE_ALPHAS)].sort((a, b) => a - b);
  if (alphas.length === 0) throw new CarlError('INVALID_ARGUMENT', 'the alpha grid is empty', { field: 'alphas' });
  alphas.forEach((a, i) => {
    if (!(Number.isFinite(a) && a > 0)) throw new CarlError('INVALID_ARGUMENT', `alpha must be a positive number, got ${a}`, { field: `alphas[${i}]` });
  });
  const perTarget = options.alphaPerTarget ?? true;

  let chosen: number[];
  let cvError: number[][] = [];
  if (alphas.length === 1) {
    chosen = new Array<number>(m).fill(alphas[0] as number);
  } else {
    const k = Math.min(options.folds ?? 5, n);
    checkInteger(k, 2, Number.MAX_SAFE_INTEGER, 'folds');
    cvError = crossValidate(x, y, d, m, alphas, assignFolds(n, k, { seed: options.seed ?? 0 }), k);
    chosen = pickAlphas(alphas, cvError, m, perTarget);
  }

  const all = Array.from({ length: n }, (_, i) => i);
  const stats = sufficientStats(x, y, all, d, m);
  const solved = solveForAlphas(stats, d, m, chosen);
  const weights = Array.from({ length: d }, (_, j) => Array.from({ length: m }, (_, c) => solved.w[j * m + c] as number));
  const intercept = [...solved.b];
  const alphaAtEdge = chosen.map((a) => alphas.length > 1 && (a === alphas[0] || a === alphas[alphas.length - 1]));
  return {
    alpha: chosen,
    alphas,
    cvError,
    alphaAtEdge,
    weights,
    intercept,
    predict(rows: readonly NumericRow[]): number[][] {
      if (rows.length === 0) return [];
      const width = checkMatrix(rows, 'rows');
      if (width !== d) throw new CarlError('SHAPE_MISMATCH', `rows have ${width} features, the probe was fitted on ${d}`, { field: 'rows' });
      return rows.map((row) => {
        const out = [...intercept];
        for (let j = 0; j < d; j++) {
          const xj = row[j] as number;
          for (let c = 0; c < m; c++) out[c] = (out[c] as number) + xj * (solved.w[j * m + c] as number);
        }
        return out;
      });
    },
  };
}

interface Stats {
  n: number;
  /** Σ x xᵀ, full symmetric d × d. */
  gram: Float64Array;
  /** Σ x. */
  sx: Float64Array;
  /** Σ x yᵀ, d × m. */
  sxy: Float64Array;
  /** Σ y. */
  sy: Float64Array;
}

function sufficientStats(x: readonly NumericRow[], y: readonly NumericRow[], indices: readonly number[], d: number, m: number): Stats {
  const gram = new Float64Array(d * d);
  const sx = new Float64Array(d);
  accumulateGram(x, indices, d, gram, sx);
  symmetrize(gram, d);
  const sxy = new Float64Array(d * m);
  const sy = new Float64Array(m);
  for (const i of indices) {
    const row = x[i] as NumericRow;
    const target = y[i] as NumericRow;
    for (let c = 0; c < m; c++) sy[c] = (sy[c] as number) + (target[c] as number);
    for (let j = 0; j < d; j++) {
      const xj = row[j] as number;
      for (let c = 0; c < m; c++) sxy[j * m + c] = (sxy[j * m + c] as number) + xj * (target[c] as number);
    }
  }
  return { n: indices.length, gram, sx, sxy, sy };
}

function subtractStats(total: Stats, part: Stats): Stats {
  const minus = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v - (b[i] as number));
  return { n: total.n - part.n, gram: minus(total.gram, part.gram), sx: minus(total.sx, part.sx), sxy: minus(total.sxy, part.sxy), sy: minus(total.sy, part.sy) };
}

/**
 * Solves the standardised ridge problem from sufficient statistics for each target's α and maps the
 * solution back to raw features: w_raw = w_z / σ, b = ȳ − μ·w_raw.
 */
function solveForAlphas(s: Stats, d: number, m: number, alphaOfTarget: readonly number[]): { w: Float64Array; b: number[] } {
  const mean = Array.from(s.sx, (v) => v / s.n);
  const ybar = Array.from(s.sy, (v) => v / s.n);
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    const centred = (s.gram[j * d + j] as number) - s.n * (mean[j] as number) ** 2;
    // A (numerically) constant feature carries no information: leave it unscaled so it gets weight ≈ 0
    // instead of being blown up by a variance that is only rounding error.
    const raw = (s.gram[j * d + j] as number) / s.n;
    scale[j] = centred > 1e-12 * Math.max(raw, 1e-300) && centred > 0 ? Math.sqrt(centred / s.n) : 1;
  }
  const zz = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      zz[j * d + k] = ((s.gram[j * d + k] as number) - s.n * (mean[j] as number) * (mean[k] as number)) / ((scale[j] as number) * (scale[k] as number));
    }
  }
  const zy = new Float64Array(d * m);
  for (let j = 0; j < d; j++) {
    for (let c = 0; c < m; c++) zy[j * m + c] = ((s.sxy[j * m + c] as number) - s.n * (mean[j] as number) * (ybar[c] as number)) / (scale[j] as number);
  }
  const w = new Float64Array(d * m);
  for (const alpha of new Set(alphaOfTarget)) {
    const targets = alphaOfTarget.flatMap((a, c) => (a === alpha ? [c] : []));
    const a = Float64Array.from(zz);
    for (let j = 0; j < d; j++) a[j * d + j] = (a[j * d + j] as number) + alpha;
    choleskyInPlace(a, d);
    const rhs = new Float64Array(d * targets.length);
    for (let j = 0; j < d; j++) targets.forEach((c, t) => (rhs[j * targets.length + t] = zy[j * m + c] as number));
    const sol = choleskySolve(a, d, rhs, targets.length);
    for (let j = 0; j < d; j++) targets.forEach((c, t) => (w[j * m + c] = (sol[j * targets.length + t] as number) / (scale[j] as number)));
  }
  const b = ybar.map((yc, c) => {
    let dot = 0;
    for (let j = 0; j < d; j++) dot += (mean[j] as number) * (w[j * m + c] as number);
    return yc - dot;
  });
  return { w, b };
}

/** Pooled held-out mean squared error of every α and target: `[alphaIndex][target]`. */
function crossValidate(x: readonly NumericRow[], y: readonly NumericRow[], d: number, m: number, alphas: readonly number[], fold: Int32Array, k: number): number[][] {
  const parts = Array.from({ length: k }, (_, f) => splitByFold(fold, f));
  const partStats = parts.map((p) => sufficientStats(x, y, p.test, d, m));
  const total = partStats.reduce((acc, s) => ({
    n: acc.n + s.n,
    gram: acc.gram.map((v, i) => v + (s.gram[i] as number)),
    sx: acc.sx.map((v, i) => v + (s.sx[i] as number)),
    sxy: acc.sxy.map((v, i) => v + (s.sxy[i] as number)),
    sy: acc.sy.map((v, i) => v + (s.sy[i] as number)),
  }));
  const sse = alphas.map(() => new Array<number>(m).fill(0));
  for (let f = 0; f < k; f++) {
    const train = subtractStats(total, partStats[f] as Stats);
    alphas.forEach((alpha, ai) => {
      const { w, b } = solveForAlphas(train, d, m, new Array<number>(m).fill(alpha));
      for (const i of (parts[f] as { test: number[] }).test) {
        const row = x[i] as NumericRow;
        const target = y[i] as NumericRow;
        for (let c = 0; c < m; c++) {
          let pred = b[c] as number;
          for (let j = 0; j < d; j++) pred += (row[j] as number) * (w[j * m + c] as number);
          (sse[ai] as number[])[c] = ((sse[ai] as number[])[c] as number) + (pred - (target[c] as number)) ** 2;
        }
      }
    });
  }
  return sse.map((row) => row.map((v) => v / x.length));
}

function pickAlphas(alphas: readonly number[], cvError: readonly (readonly number[])[], m: number, perTarget: boolean): number[] {
  // Ties go to the larger α (iterating upwards with ≤): the simpler model when the data cannot tell them apart.
  const best = (score: (ai: number) => number): number => {
    let bestIndex = 0;
    for (let ai = 1; ai < alphas.length; ai++) if (score(ai) <= score(bestIndex)) bestIndex = ai;
    return alphas[bestIndex] as number;
  };
  if (perTarget) return Array.from({ length: m }, (_, c) => best((ai) => (cvError[ai] as number[])[c] as number));
  const shared = best((ai) => (cvError[ai] as number[]).reduce((a, b) => a + b, 0));
  return new Array<number>(m).fill(shared);
}
