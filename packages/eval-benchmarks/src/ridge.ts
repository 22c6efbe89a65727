import { CarlError } from '@carl/core';
import { assignFolds, splitByFold } from './folds';
import { accumulateGram, choleskyInPlace, choleskySolve, symmetrize } from './linalg';
import { checkSparse, isSparse, rowCount, sparseRows, type Features, type SparseMatrix } from './sparse';
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
  /** Predictions, one row of targets per input row (dense rows, or a sparse matrix for a sparse fit). */
  predict(rows: Features): number[][];
}

/**
 * Ridge regression from frozen features to one or more continuous targets (e.g. valence and arousal).
 * Features are standardised (mean 0, variance 1, from the training rows) and the intercept is not
 * penalised; the penalty α is chosen from a grid by k-fold cross-validation on the training rows only,
 * then the model is refitted on all of them. Closed form: (ZᵀZ + αI)w = Zᵀ(y − ȳ), solved by Cholesky
 * in float64, with every fold's Gram matrix taken from per-fold sums so the data is read once.
 * A sparse matrix (TF-IDF) is centred implicitly but not scaled, and solved by conjugate gradients
 * warm-started along the α path (its Gram matrix would be vocabulary × vocabulary).
 *
 * @example
 * ```ts
 * const probe = fitRidge(trainEmbeddings, trainVA.map((v) => [v.valence, v.arousal]));
 * const [[valence, arousal]] = probe.predict([testEmbedding]);
 * ```
 */
export function fitRidge(x: Features, y: readonly NumericRow[], options: RidgeOptions = {}): RidgeProbe {
  if (isSparse(x)) return fitSparseRidge(x, y, options);
  const d = checkMatrix(x, 'x');
  const m = checkMatrix(y, 'y');
  if (y.length !== x.length) throw new CarlError('SHAPE_MISMATCH', `${x.length} feature rows but ${y.length} target rows`, { field: 'y' });
  const n = x.length;
  if (n < 2) throw new CarlError('INVALID_ARGUMENT', `needs at least 2 training rows, got ${n}`, { field: 'x' });
  const alphas = alphaGrid(options);
  const { chosen, cvError, alphaAtEdge } = selectAlphas(alphas, n, m, options, (fold, k) => crossValidate(x, y, d, m, alphas, fold, k));

  const all = Array.from({ length: n }, (_, i) => i);
  const stats = sufficientStats(x, y, all, d, m);
  const solved = solveForAlphas(stats, d, m, chosen);
  const weights = Array.from({ length: d }, (_, j) => Array.from({ length: m }, (_, c) => solved.w[j * m + c] as number));
  const intercept = [...solved.b];
  return {
    alpha: chosen,
    alphas,
    cvError,
    alphaAtEdge,
    weights,
    intercept,
    predict(input: Features): number[][] {
      if (isSparse(input)) throw new CarlError('INVALID_ARGUMENT', 'this probe was fitted on dense rows; pass dense rows', { field: 'rows' });
      const rows = input as readonly NumericRow[];
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
  /** Σ y², per target. */
  syy: Float64Array;
}

function sufficientStats(x: readonly NumericRow[], y: readonly NumericRow[], indices: readonly number[], d: number, m: number): Stats {
  const gram = new Float64Array(d * d);
  const sx = new Float64Array(d);
  accumulateGram(x, indices, d, gram, sx);
  symmetrize(gram, d);
  const sxy = new Float64Array(d * m);
  const sy = new Float64Array(m);
  const syy = new Float64Array(m);
  for (const i of indices) {
    const row = x[i] as NumericRow;
    const target = y[i] as NumericRow;
    for (let c = 0; c < m; c++) {
      sy[c] = (sy[c] as number) + (target[c] as number);
      syy[c] = (syy[c] as number) + (target[c] as number) ** 2;
    }
    for (let j = 0; j < d; j++) {
      const xj = row[j] as number;
      for (let c = 0; c < m; c++) sxy[j * m + c] = (sxy[j * m + c] as number) + xj * (target[c] as number);
    }
  }
  return { n: indices.length, gram, sx, sxy, sy, syy };
}

function subtractStats(total: Stats, part: Stats): Stats {
  const minus = (a: Float64Array, b: Float64Array): Float64Array => a.map((v, i) => v - (b[i] as number));
  return { n: total.n - part.n, gram: minus(total.gram, part.gram), sx: minus(total.sx, part.sx), sxy: minus(total.sxy, part.sxy), sy: minus(total.sy, part.sy), syy: minus(total.syy, part.syy) };
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

/**
 * Pooled held-out mean squared error of every α and target: `[alphaIndex][target]`. The held-out error
 * comes from the held-out fold's own sums, never from its rows: with p = b + x·w,
 * Σ(y − p)² = Σy² − 2bΣy − 2w·Σxy + nb² + 2b(w·Σx) + wᵀ(Σxxᵀ)w, so each α costs O(d²) per target instead of
 * a pass over the data.
 */
function crossValidate(x: readonly NumericRow[], y: readonly NumericRow[], d: number, m: number, alphas: readonly number[], fold: Int32Array, k: number): number[][] {
  const parts = Array.from({ length: k }, (_, f) => splitByFold(fold, f));
  const partStats = parts.map((p) => sufficientStats(x, y, p.test, d, m));
  const total = partStats.reduce((acc, s) => ({
    n: acc.n + s.n,
    gram: acc.gram.map((v, i) => v + (s.gram[i] as number)),
    sx: acc.sx.map((v, i) => v + (s.sx[i] as number)),
    sxy: acc.sxy.map((v, i) => v + (s.sxy[i] as number)),
    sy: acc.sy.map((v, i) => v + (s.sy[i] as number)),
    syy: acc.syy.map((v, i) => v + (s.syy[i] as number)),
  }));
  const sse = alphas.map(() => new Array<number>(m).fill(0));
  for (let f = 0; f < k; f++) {
    const held = partStats[f] as Stats;
    const train = subtractStats(total, held);
    alphas.forEach((alpha, ai) => {
      const { w, b } = solveForAlphas(train, d, m, new Array<number>(m).fill(alpha));
      for (let c = 0; c < m; c++) {
        const bc = b[c] as number;
        let wSxy = 0;
        let wSx = 0;
        for (let j = 0; j < d; j++) {
          const wj = w[j * m + c] as number;
          wSxy += wj * (held.sxy[j * m + c] as number);
          wSx += wj * (held.sx[j] as number);
        }
        let quad = 0;
        for (let j = 0; j < d; j++) {
          let s = 0;
          const row = j * d;
          for (let l = 0; l < d; l++) s += (held.gram[row + l] as number) * (w[l * m + c] as number);
          quad += (w[j * m + c] as number) * s;
        }
        const err = (held.syy[c] as number) - 2 * bc * (held.sy[c] as number) - 2 * wSxy + held.n * bc * bc + 2 * bc * wSx + quad;
        // Rounding can leave a tiny negative remainder for a perfect fit.
        (sse[ai] as number[])[c] = ((sse[ai] as number[])[c] as number) + Math.max(0, err);
      }
    });
  }
  return sse.map((row) => row.map((v) => v / x.length));
}

/** The α grid of the options (default {@link DEFAULT_RIDGE_ALPHAS}), sorted ascending and checked. */
function alphaGrid(options: RidgeOptions): number[] {
  const alphas = [...(options.alphas ?? DEFAULT_RIDGE_ALPHAS)].sort((a, b) => a - b);
  if (alphas.length === 0) throw new CarlError('INVALID_ARGUMENT', 'the alpha grid is empty', { field: 'alphas' });
  alphas.forEach((a, i) => {
    if (!(Number.isFinite(a) && a > 0)) throw new CarlError('INVALID_ARGUMENT', `alpha must be a positive number, got ${a}`, { field: `alphas[${i}]` });
  });
  return alphas;
}

/**
 * The α of each target: the grid's only one, else the best by k-fold cross-validation, where `foldErrors`
 * returns the mean squared error per α and target for the given fold assignment. Shared by the dense and
 * sparse fits, which differ only in how they compute those errors.
 */
function selectAlphas(
  alphas: readonly number[],
  n: number,
  m: number,
  options: RidgeOptions,
  foldErrors: (fold: Int32Array, k: number) => number[][],
): { chosen: number[]; cvError: number[][]; alphaAtEdge: boolean[] } {
  let chosen: number[];
  let cvError: number[][] = [];
  if (alphas.length === 1) {
    chosen = new Array<number>(m).fill(alphas[0] as number);
  } else {
    const k = Math.min(options.folds ?? 5, n);
    checkInteger(k, 2, Number.MAX_SAFE_INTEGER, 'folds');
    cvError = foldErrors(assignFolds(n, k, { seed: options.seed ?? 0 }), k);
    chosen = pickAlphas(alphas, cvError, m, options.alphaPerTarget ?? true);
  }
  const alphaAtEdge = chosen.map((a) => alphas.length > 1 && (a === alphas[0] || a === alphas[alphas.length - 1]));
  return { chosen, cvError, alphaAtEdge };
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

/** Options checked the same way for both forms; the sparse fit below mirrors the dense one. */
function fitSparseRidge(x: SparseMatrix, y: readonly NumericRow[], options: RidgeOptions): RidgeProbe {
  const d = checkSparse(x, 'x');
  const m = checkMatrix(y, 'y');
  const n = x.rows;
  if (y.length !== n) throw new CarlError('SHAPE_MISMATCH', `${n} feature rows but ${y.length} target rows`, { field: 'y' });
  if (n < 2) throw new CarlError('INVALID_ARGUMENT', `needs at least 2 training rows, got ${n}`, { field: 'x' });
  const alphas = alphaGrid(options);
  const target = (rows: readonly number[], c: number): Float64Array => Float64Array.from(rows, (i) => (y[i] as NumericRow)[c] as number);
  const { chosen, cvError, alphaAtEdge } = selectAlphas(alphas, n, m, options, (fold, k) => {
    const sse = alphas.map(() => new Array<number>(m).fill(0));
    for (let f = 0; f < k; f++) {
      const { train, test } = splitByFold(fold, f);
      const sub = sparseRows(x, train);
      const held = sparseRows(x, test);
      for (let c = 0; c < m; c++) {
        const yc = target(test, c);
        let start: Float64Array | undefined;
        // From the largest α down: each solution starts the next, better-conditioned-to-worse, solve.
        for (let ai = alphas.length - 1; ai >= 0; ai--) {
          const fit = sparseRidgeSolve(sub, target(train, c), alphas[ai] as number, start);
          start = fit.w;
          const pred = sparsePredict(held, fit.w, fit.b);
          let e = 0;
          for (let i = 0; i < pred.length; i++) e += ((pred[i] as number) - (yc[i] as number)) ** 2;
          (sse[ai] as number[])[c] = ((sse[ai] as number[])[c] as number) + e;
        }
      }
    }
    return sse.map((row) => row.map((v) => v / n));
  });
  const all = Array.from({ length: n }, (_, i) => i);
  const fits = chosen.map((alpha, c) => sparseRidgeSolve(x, target(all, c), alpha, undefined));
  return {
    alpha: chosen,
    alphas,
    cvError,
    alphaAtEdge,
    weights: Array.from({ length: d }, (_, j) => fits.map((f) => f.w[j] as number)),
    intercept: fits.map((f) => f.b),
    predict(input: Features): number[][] {
      if (!isSparse(input)) throw new CarlError('INVALID_ARGUMENT', 'this probe was fitted on a sparse matrix; pass one', { field: 'rows' });
      if (rowCount(input) === 0) return [];
      if (checkSparse(input, 'rows') !== d) throw new CarlError('SHAPE_MISMATCH', `rows have ${input.cols} features, the probe was fitted on ${d}`, { field: 'rows' });
      const columns = fits.map((f) => sparsePredict(input, f.w, f.b));
      return Array.from({ length: input.rows }, (_, i) => columns.map((col) => col[i] as number));
    },
  };
}

function sparsePredict(x: SparseMatrix, w: Float64Array, b: number): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = b;
    for (let p = x.indptr[i] as number; p < (x.indptr[i + 1] as number); p++) s += (x.values[p] as number) * (w[x.indices[p] as number] as number);
    out[i] = s;
  }
  return out;
}

/**
 * Ridge on a sparse design with an unpenalised intercept: (XcᵀXc + αI)w = Xcᵀ(y − ȳ) with Xc = X − 1μᵀ
 * applied implicitly (Xc·v = X·v − (μ·v)1, Xcᵀ·u = Xᵀ·u − μ Σu), by conjugate gradients to a relative
 * residual of 1e-8. b = ȳ − μ·w.
 */
export function sparseRidgeSolve(x: SparseMatrix, y: Float64Array, alpha: number, start?: Float64Array): { w: Float64Array; b: number; iterations: number } {
  const { rows: n, cols: d, indptr, indices, values } = x;
  const mu = new Float64Array(d);
  for (let p = 0; p < values.length; p++) mu[indices[p] as number] = (mu[indices[p] as number] as number) + (values[p] as number) / n;
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += (y[i] as number) / n;
  const u = new Float64Array(n);
  const apply = (v: Float64Array, out: Float64Array): void => {
    let shift = 0;
    for (let j = 0; j < d; j++) shift += (mu[j] as number) * (v[j] as number);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let s = -shift;
      for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++) s += (values[p] as number) * (v[indices[p] as number] as number);
      u[i] = s;
      sum += s;
    }
    for (let j = 0; j < d; j++) out[j] = alpha * (v[j] as number) - (mu[j] as number) * sum;
    for (let i = 0; i < n; i++) {
      const ui = u[i] as number;
      for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++) out[indices[p] as number] = (out[indices[p] as number] as number) + (values[p] as number) * ui;
    }
  };
  const rhs = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const yi = (y[i] as number) - ybar;
    for (let p = indptr[i] as number; p < (indptr[i + 1] as number); p++) rhs[indices[p] as number] = (rhs[indices[p] as number] as number) + (values[p] as number) * yi;
  }
  const w = start === undefined ? new Float64Array(d) : Float64Array.from(start);
  const r = new Float64Array(d);
  const q = new Float64Array(d);
  apply(w, q);
  for (let j = 0; j < d; j++) r[j] = (rhs[j] as number) - (q[j] as number);
  const dir = Float64Array.from(r);
  let rr = dotArrays(r, r);
  const stop = 1e-16 * Math.max(dotArrays(rhs, rhs), 1e-300);
  let iterations = 0;
  for (; iterations < 10 * d + 100 && rr > stop; iterations++) {
    apply(dir, q);
    const step = rr / dotArrays(dir, q);
    for (let j = 0; j < d; j++) {
      w[j] = (w[j] as number) + step * (dir[j] as number);
      r[j] = (r[j] as number) - step * (q[j] as number);
    }
    const next = dotArrays(r, r);
    const beta = next / rr;
    rr = next;
    for (let j = 0; j < d; j++) dir[j] = (r[j] as number) + beta * (dir[j] as number);
  }
  let b = ybar;
  for (let j = 0; j < d; j++) b -= (mu[j] as number) * (w[j] as number);
  return { w, b, iterations };
}

function dotArrays(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
