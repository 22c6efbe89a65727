import * as tf from '@tensorflow/tfjs-core';
import { CarlError, currentBackend, matMul } from '@carl/core';
import { assignFolds, splitByFold } from './folds';
import type { ClassLabel } from './metrics';
import { checkSparse, isSparse, rowCount, sparseRows, type Features, type SparseMatrix } from './sparse';
import { checkInteger, checkMatrix, type NumericRow } from './validate';

/** The default L2 strengths searched by {@link fitLogistic} (penalty (λ/2)‖W‖² on the mean cross-entropy). */
export const DEFAULT_LOGISTIC_L2: readonly number[] = [1e-4, 1e-3, 1e-2, 1e-1, 1];

/** Options of {@link fitLogistic}. */
export interface LogisticOptions {
  /** L2 strength λ ≥ 0, or a grid to choose from by cross-validated accuracy. Default {@link DEFAULT_LOGISTIC_L2}. */
  readonly l2?: number | readonly number[];
  /** Stratified folds of the cross-validation over the training rows. Default 3. */
  readonly folds?: number;
  /** Seed of the fold assignment. Default 0. */
  readonly seed?: number;
  /** L-BFGS iteration cap. Default 500. */
  readonly maxIterations?: number;
  /** Stop when the largest gradient component of the mean loss falls below this. Default 1e-4 (scikit-learn's `tol`; accuracy does not move below it). */
  readonly tolerance?: number;
  /** The classes in the order of the probability columns. Default: the training labels, sorted. */
  readonly labels?: readonly ClassLabel[];
  /**
   * Where the two dense products of each objective evaluation (scores Z Wᵀ, gradient Rᵀ Z) run:
   * `float64` — JavaScript loops, identical on every machine; `tensor` — float32 GEMM on the current tfjs
   * backend (with @carl/native-kernels on wasm about 50× faster; scores and gradients then agree with
   * float64 to ~1e-6, and everything else stays float64); `auto` (default) — `tensor` once
   * `initBackend` has chosen a backend other than `cpu`, else `float64`. Sparse input always uses float64 loops.
   */
  readonly products?: 'auto' | 'float64' | 'tensor';
}

/** A fitted multinomial logistic regression. */
export interface LogisticProbe<L extends ClassLabel> {
  readonly labels: readonly L[];
  /** The λ used for the final fit. */
  readonly l2: number;
  /** Cross-validated accuracy of each λ in `l2Grid` (empty when only one λ was given). */
  readonly cvAccuracy: readonly number[];
  readonly l2Grid: readonly number[];
  /** L-BFGS iterations of the final fit and whether it met the tolerance. */
  readonly iterations: number;
  /** L-BFGS iterations of all the cross-validation fits together (0 without a grid). */
  readonly cvIterations: number;
  readonly converged: boolean;
  /** Final objective value (mean cross-entropy + penalty). */
  readonly loss: number;
  /** Class probabilities, one row per input row, columns in `labels` order. */
  predictProba(rows: Features): number[][];
  /** Most probable class of each row. */
  predict(rows: Features): L[];
}

/**
 * Multinomial (softmax) logistic regression with an L2 penalty on the weights (not the biases), fitted
 * by full-batch L-BFGS in float64, on standardised dense features or on a sparse matrix as is (TF-IDF).
 * For λ > 0 the objective is strictly convex up to a common shift of all biases (which changes no
 * probability; the biases are returned centred), so the answer depends neither on the starting point nor
 * on the backend or machine. With a grid of λ, the strength is chosen by stratified k-fold accuracy on the
 * training rows only (ties go to the larger λ), warm-starting each fold from strong to weak penalties; the
 * final fit on all training rows starts from the mean of the folds' solutions at the chosen λ
 * (scikit-learn's `LogisticRegressionCV` does the same), so it needs only a few iterations.
 *
 * @example
 * ```ts
 * const probe = fitLogistic(trainEmbeddings, trainLabels); // labels like 'joy', 'fear', …
 * probe.predict(testEmbeddings); // ['joy', …]
 * ```
 */
export function fitLogistic<L extends ClassLabel>(x: Features, y: readonly L[], options: LogisticOptions = {}): LogisticProbe<L> {
  const d = isSparse(x) ? checkSparse(x, 'x') : checkMatrix(x, 'x');
  const n = rowCount(x);
  if (y.length !== n) throw new CarlError('SHAPE_MISMATCH', `${n} feature rows but ${y.length} labels`, { field: 'y' });
  const labels = (options.labels as readonly L[] | undefined) ?? sortedLabels(y);
  const classIndex = new Map<L, number>();
  labels.forEach((label, i) => classIndex.set(label, i));
  const yi = Int32Array.from(y, (label, i) => {
    const c = classIndex.get(label);
    if (c === undefined) throw new CarlError('INVALID_ARGUMENT', `label "${String(label)}" is not in labels`, { field: `y[${i}]` });
    return c;
  });
  if (labels.length < 2) throw new CarlError('INVALID_ARGUMENT', `needs at least 2 classes, got ${labels.length}`, { field: 'y' });
  const grid = [...(typeof options.l2 === 'number' ? [options.l2] : options.l2 ?? DEFAULT_LOGISTIC_L2)].sort((a, b) => b - a);
  if (grid.length === 0) throw new CarlError('INVALID_ARGUMENT', 'the l2 grid is empty', { field: 'l2' });
  grid.forEach((v, i) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new CarlError('INVALID_ARGUMENT', `l2 must be a number ≥ 0, got ${v}`, { field: `l2[${i}]` });
  });
  const solver = { maxIterations: options.maxIterations ?? 500, tolerance: options.tolerance ?? 1e-4 };
  checkInteger(solver.maxIterations, 1, Number.MAX_SAFE_INTEGER, 'maxIterations');
  const k = labels.length;
  const tensors = !isSparse(x) && tensorProducts(options.products);
  const made: SoftmaxProblem[] = [];
  const problemOf = (indices: readonly number[]): SoftmaxProblem => {
    const problem = buildProblem(x, yi, indices, d, k, tensors);
    made.push(problem);
    return problem;
  };
  try {
    return fitWith(x, yi, labels, grid, solver, options, problemOf);
  } finally {
    for (const problem of made) problem.tensor?.dispose();
  }
}

function fitWith<L extends ClassLabel>(
  x: Features,
  yi: Int32Array,
  labels: readonly L[],
  grid: readonly number[],
  solver: { maxIterations: number; tolerance: number },
  options: LogisticOptions,
  problemOf: (indices: readonly number[]) => SoftmaxProblem,
): LogisticProbe<L> {
  const n = yi.length;
  const k = labels.length;
  const d = isSparse(x) ? x.cols : ((x as readonly NumericRow[])[0] as NumericRow).length;
  let l2 = grid[0] as number;
  let cvAccuracy: number[] = [];
  let start: Float64Array | undefined;
  let cvIterations = 0;
  if (grid.length > 1) {
    const folds = options.folds ?? 3;
    const fold = assignFolds(n, folds, { seed: options.seed ?? 0, strata: Array.from(yi) });
    const hits = grid.map(() => 0);
    const solutions = grid.map(() => new Float64Array((d + 1) * k));
    for (let f = 0; f < folds; f++) {
      const { train, test } = splitByFold(fold, f);
      const problem = problemOf(train);
      let previous: Float64Array | undefined;
      grid.forEach((lambda, gi) => {
        const fit = minimize(problem, lambda, solver, previous);
        cvIterations += fit.iterations;
        previous = fit.theta;
        const acc = solutions[gi] as Float64Array;
        for (let p = 0; p < acc.length; p++) acc[p] = (acc[p] as number) + (fit.theta[p] as number) / folds;
        const scores = scoreRows(toRaw(problem, fit.theta), x, test);
        test.forEach((i, r) => {
          if (argmax(scores.subarray(r * k, (r + 1) * k)) === yi[i]) hits[gi] = (hits[gi] as number) + 1;
        });
      });
    }
    cvAccuracy = hits.map((h) => h / n);
    // grid is sorted from strong to weak, so a strict > keeps the stronger penalty on ties.
    let best = 0;
    cvAccuracy.forEach((acc, gi) => {
      if (acc > (cvAccuracy[best] as number)) best = gi;
    });
    l2 = grid[best] as number;
    start = solutions[best];
  }

  const problem = problemOf(Array.from({ length: n }, (_, i) => i));
  const fit = minimize(problem, l2, solver, start);
  const raw = toRaw(problem, fit.theta);
  const predictProba = (rows: Features): number[][] => {
    if (rowCount(rows) === 0) return [];
    const width = isSparse(rows) ? checkSparse(rows, 'rows') : checkMatrix(rows, 'rows');
    if (width !== d) throw new CarlError('SHAPE_MISMATCH', `rows have ${width} features, the probe was fitted on ${d}`, { field: 'rows' });
    const scores = scoreRows(raw, rows);
    return Array.from({ length: rowCount(rows) }, (_, r) => softmax(scores.subarray(r * k, (r + 1) * k)));
  };
  return {
    labels,
    l2,
    l2Grid: grid,
    cvAccuracy,
    iterations: fit.iterations,
    cvIterations,
    converged: fit.converged,
    loss: fit.loss,
    predictProba,
    predict: (rows) => predictProba(rows).map((p) => labels[argmax(p)] as L),
  };
}

/** Weights and biases for raw (unstandardised) rows: w/σ per feature, b − Σ wμ/σ. */
interface RawModel {
  readonly d: number;
  readonly k: number;
  readonly w: Float64Array;
  readonly b: Float64Array;
}

function toRaw(problem: SoftmaxProblem, theta: Float64Array): RawModel {
  const { d, classes: k, mean, scale } = problem;
  const w = new Float64Array(k * d);
  const b = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    let shift = theta[k * d + c] as number;
    for (let j = 0; j < d; j++) {
      const wj = (theta[c * d + j] as number) / (scale[j] as number);
      w[c * d + j] = wj;
      shift -= wj * (mean[j] as number);
    }
    b[c] = shift;
  }
  return { d, k, w, b };
}

/** Scores (rows × k, row-major) of the rows `indices` (default all) of `x`. */
function scoreRows(model: RawModel, x: Features, indices?: readonly number[]): Float64Array {
  const { d, k, w, b } = model;
  const pick = indices ?? Array.from({ length: rowCount(x) }, (_, i) => i);
  const out = new Float64Array(pick.length * k);
  pick.forEach((i, r) => {
    for (let c = 0; c < k; c++) out[r * k + c] = b[c] as number;
    if (isSparse(x)) {
      for (let p = x.indptr[i] as number; p < (x.indptr[i + 1] as number); p++) {
        const j = x.indices[p] as number;
        const v = x.values[p] as number;
        for (let c = 0; c < k; c++) out[r * k + c] = (out[r * k + c] as number) + v * (w[c * d + j] as number);
      }
    } else {
      const row = (x as readonly NumericRow[])[i] as NumericRow;
      for (let c = 0; c < k; c++) {
        let s = out[r * k + c] as number;
        for (let j = 0; j < d; j++) s += (w[c * d + j] as number) * (row[j] as number);
        out[r * k + c] = s;
      }
    }
  });
  return out;
}

/**
 * A training problem: the design (row-major `n × d` standardised features, or a sparse matrix used as
 * is), class ids, and the feature mean and scale that map raw rows onto the design.
 */
export interface SoftmaxProblem {
  readonly n: number;
  readonly d: number;
  readonly classes: number;
  readonly z: Float64Array | SparseMatrix;
  readonly y: Int32Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
  /** The dense design as a float32 tensor, when the products run on a tfjs backend (see {@link LogisticOptions.products}). */
  readonly tensor?: tf.Tensor2D;
}

/** Whether dense products go through tfjs: asked for, or `auto` on an initialised backend other than `cpu`. */
function tensorProducts(option: LogisticOptions['products']): boolean {
  if (option === 'tensor') return true;
  if (option === 'float64') return false;
  const backend = currentBackend();
  return backend !== undefined && backend.backend !== 'cpu';
}

function buildProblem(x: Features, y: Int32Array, indices: readonly number[], d: number, classes: number, tensors = false): SoftmaxProblem {
  const n = indices.length;
  const yy = Int32Array.from(indices, (i) => y[i] as number);
  if (isSparse(x)) {
    // Bag-of-words rows are already l2-normalised; centring would destroy the sparsity and scaling
    // would blow up rare terms, so the sparse design is used as is (scikit-learn does the same).
    return { n, d, classes, z: sparseRows(x, indices), y: yy, mean: new Float64Array(d), scale: new Float64Array(d).fill(1) };
  }
  const rows = x as readonly NumericRow[];
  const mean = new Float64Array(d);
  for (const i of indices) {
    const row = rows[i] as NumericRow;
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  }
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
  const variance = new Float64Array(d);
  for (const i of indices) {
    const row = rows[i] as NumericRow;
    for (let j = 0; j < d; j++) variance[j] = (variance[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  }
  // A constant feature keeps scale 1 (it is all zeros once centred) instead of dividing by zero.
  const scale = variance.map((v) => (v > 0 ? Math.sqrt(v / n) : 1));
  const z = new Float64Array(n * d);
  indices.forEach((i, r) => {
    const row = rows[i] as NumericRow;
    for (let j = 0; j < d; j++) z[r * d + j] = ((row[j] as number) - (mean[j] as number)) / (scale[j] as number);
  });
  if (!tensors) return { n, d, classes, z, y: yy, mean, scale };
  return { n, d, classes, z, y: yy, mean, scale, tensor: tf.tensor2d(Float32Array.from(z), [n, d]) };
}

// Scores / residual buffer (n × classes) per problem, so the hundreds of objective calls of one fit
// do not allocate megabytes each.
const scratch = new WeakMap<SoftmaxProblem, Float64Array>();

/**
 * Objective and gradient at θ = [W (classes × d, row-major), b (classes)]:
 * f = (1/n) Σᵢ −log softmax(W zᵢ + b)[yᵢ] + (λ/2)‖W‖². Writes the gradient into `grad`.
 * Two passes over the design: scores S = Z Wᵀ + b, then the gradient Rᵀ Z with R = softmax(S) − onehot(y).
 */
export function softmaxObjective(problem: SoftmaxProblem, lambda: number, theta: Float64Array, grad: Float64Array): number {
  const { n, d, classes: k, z, y } = problem;
  let s = scratch.get(problem);
  if (s === undefined || s.length !== n * k) {
    s = new Float64Array(n * k);
    scratch.set(problem, s);
  }
  if (isSparse(z)) sparseScores(z, theta, k, s);
  else if (problem.tensor !== undefined) tensorScores(problem.tensor, theta, n, d, k, s);
  else denseScores(z, n, d, theta, k, s);
  const bOffset = k * d;
  grad.fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) if ((s[base + c] as number) > max) max = s[base + c] as number;
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp((s[base + c] as number) - max);
    const logSum = max + Math.log(sum);
    const yc = y[i] as number;
    loss += logSum - (s[base + yc] as number);
    // Turn the scores row into the residual row in place: softmax − onehot.
    for (let c = 0; c < k; c++) {
      const r = Math.exp((s[base + c] as number) - logSum) - (c === yc ? 1 : 0);
      s[base + c] = r;
      grad[bOffset + c] = (grad[bOffset + c] as number) + r;
    }
  }
  if (isSparse(z)) sparseGradient(z, s, k, grad);
  else if (problem.tensor !== undefined) tensorGradient(problem.tensor, s, n, d, k, grad);
  else denseGradient(z, n, d, s, k, grad);
  let penalty = 0;
  for (let p = 0; p < bOffset; p++) {
    const t = theta[p] as number;
    penalty += t * t;
    grad[p] = (grad[p] as number) / n + lambda * t;
  }
  for (let c = 0; c < k; c++) grad[bOffset + c] = (grad[bOffset + c] as number) / n;
  return loss / n + 0.5 * lambda * penalty;
}

// The dense products work on four rows at a time: each weight read from memory then feeds four
// multiply-adds instead of one, which is what makes these loops ~3× faster than the plain triple loop.
// `quad` gets rows i…i+3 (their offsets in z), `single` each row left over.
function byFourRows(
  n: number,
  d: number,
  quad: (i: number, r0: number, r1: number, r2: number, r3: number) => void,
  single: (i: number, r0: number) => void,
): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) quad(i, i * d, (i + 1) * d, (i + 2) * d, (i + 3) * d);
  for (; i < n; i++) single(i, i * d);
}

function denseScores(z: Float64Array, n: number, d: number, theta: Float64Array, k: number, out: Float64Array): void {
  const bOffset = k * d;
  byFourRows(
    n,
    d,
    (i, r0, r1, r2, r3) => {
      for (let c = 0; c < k; c++) {
        const w = c * d;
        const b = theta[bOffset + c] as number;
        let s0 = b;
        let s1 = b;
        let s2 = b;
        let s3 = b;
        for (let j = 0; j < d; j++) {
          const wj = theta[w + j] as number;
          s0 += wj * (z[r0 + j] as number);
          s1 += wj * (z[r1 + j] as number);
          s2 += wj * (z[r2 + j] as number);
          s3 += wj * (z[r3 + j] as number);
        }
        out[i * k + c] = s0;
        out[(i + 1) * k + c] = s1;
        out[(i + 2) * k + c] = s2;
        out[(i + 3) * k + c] = s3;
      }
    },
    (i, r0) => {
      for (let c = 0; c < k; c++) {
        const w = c * d;
        let s0 = theta[bOffset + c] as number;
        for (let j = 0; j < d; j++) s0 += (theta[w + j] as number) * (z[r0 + j] as number);
        out[i * k + c] = s0;
      }
    },
  );
}

function denseGradient(z: Float64Array, n: number, d: number, resid: Float64Array, k: number, grad: Float64Array): void {
  byFourRows(
    n,
    d,
    (i, r0, r1, r2, r3) => {
      for (let c = 0; c < k; c++) {
        const a0 = resid[i * k + c] as number;
        const a1 = resid[(i + 1) * k + c] as number;
        const a2 = resid[(i + 2) * k + c] as number;
        const a3 = resid[(i + 3) * k + c] as number;
        const w = c * d;
        for (let j = 0; j < d; j++) {
          grad[w + j] = (grad[w + j] as number) + a0 * (z[r0 + j] as number) + a1 * (z[r1 + j] as number) + a2 * (z[r2 + j] as number) + a3 * (z[r3 + j] as number);
        }
      }
    },
    (i, r0) => {
      for (let c = 0; c < k; c++) {
        const a0 = resid[i * k + c] as number;
        const w = c * d;
        for (let j = 0; j < d; j++) grad[w + j] = (grad[w + j] as number) + a0 * (z[r0 + j] as number);
      }
    },
  );
}

// The tensor products: Z Wᵀ and Rᵀ Z in float32 on the backend's GEMM (the native kernels make them ~100×
// faster than the float64 loops); everything around them (biases, log-sum-exp, loss, L-BFGS) stays float64.
// Read outside tidy: tidy would walk a returned typed array element by element looking for tensors.
function readAndDispose(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

function tensorScores(zt: tf.Tensor2D, theta: Float64Array, n: number, d: number, k: number, out: Float64Array): void {
  // Wᵀ laid out by hand: the transposeB flag with a tall Z and 28 columns is ~50× slower on the native GEMM.
  const wt = new Float32Array(d * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) wt[j * k + c] = theta[c * d + j] as number;
  const values = readAndDispose(tf.tidy(() => matMul(zt, tf.tensor2d(wt, [d, k]))));
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = (values[i * k + c] as number) + (theta[k * d + c] as number);
}

function tensorGradient(zt: tf.Tensor2D, resid: Float64Array, n: number, d: number, k: number, grad: Float64Array): void {
  const values = readAndDispose(tf.tidy(() => matMul(tf.tensor2d(Float32Array.from(resid), [n, k]), zt, true, false)));
  for (let p = 0; p < k * d; p++) grad[p] = (grad[p] as number) + (values[p] as number);
}

function sparseScores(z: SparseMatrix, theta: Float64Array, k: number, out: Float64Array): void {
  const d = z.cols;
  const bOffset = k * d;
  for (let i = 0; i < z.rows; i++) {
    for (let c = 0; c < k; c++) out[i * k + c] = theta[bOffset + c] as number;
    for (let p = z.indptr[i] as number; p < (z.indptr[i + 1] as number); p++) {
      const j = z.indices[p] as number;
      const v = z.values[p] as number;
      for (let c = 0; c < k; c++) out[i * k + c] = (out[i * k + c] as number) + v * (theta[c * d + j] as number);
    }
  }
}

function sparseGradient(z: SparseMatrix, resid: Float64Array, k: number, grad: Float64Array): void {
  const d = z.cols;
  for (let i = 0; i < z.rows; i++) {
    for (let p = z.indptr[i] as number; p < (z.indptr[i + 1] as number); p++) {
      const j = z.indices[p] as number;
      const v = z.values[p] as number;
      for (let c = 0; c < k; c++) grad[c * d + j] = (grad[c * d + j] as number) + v * (resid[i * k + c] as number);
    }
  }
}

interface Fit {
  theta: Float64Array;
  loss: number;
  iterations: number;
  converged: boolean;
}

/**
 * L-BFGS (memory 10) with a backtracking Armijo line search; pairs failing the curvature test are skipped.
 * The biases are centred on return: adding a constant to all of them changes nothing, and centring makes
 * the parameters unique.
 */
export function minimize(problem: SoftmaxProblem, lambda: number, solver: { maxIterations: number; tolerance: number }, start?: Float64Array): Fit {
  const fit = lbfgs(problem, lambda, solver, start);
  const k = problem.classes;
  const offset = k * problem.d;
  let mean = 0;
  for (let c = 0; c < k; c++) mean += (fit.theta[offset + c] as number) / k;
  for (let c = 0; c < k; c++) fit.theta[offset + c] = (fit.theta[offset + c] as number) - mean;
  return fit;
}

function lbfgs(problem: SoftmaxProblem, lambda: number, solver: { maxIterations: number; tolerance: number }, start?: Float64Array): Fit {
  const size = (problem.d + 1) * problem.classes;
  const theta = start === undefined ? new Float64Array(size) : Float64Array.from(start);
  const grad = new Float64Array(size);
  let loss = softmaxObjective(problem, lambda, theta, grad);
  const memory = 10;
  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  const trial = new Float64Array(size);
  const trialGrad = new Float64Array(size);
  for (let iteration = 0; iteration < solver.maxIterations; iteration++) {
    if (maxAbs(grad) <= solver.tolerance) return { theta, loss, iterations: iteration, converged: true };
    const direction = twoLoop(grad, sList, yList, rhoList);
    let slope = dot(grad, direction);
    if (!(slope < 0)) {
      // Not a descent direction (can happen after a poor curvature pair): restart from steepest descent.
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      for (let p = 0; p < size; p++) direction[p] = -(grad[p] as number);
      slope = dot(grad, direction);
    }
    // The first step has no curvature information yet: scale it so its length is at most 1.
    let step = sList.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    let trialLoss = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let p = 0; p < size; p++) trial[p] = (theta[p] as number) + step * (direction[p] as number);
      trialLoss = softmaxObjective(problem, lambda, trial, trialGrad);
      if (trialLoss <= loss + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(trialLoss <= loss)) return { theta, loss, iterations: iteration, converged: maxAbs(grad) <= solver.tolerance };
    const s = new Float64Array(size);
    const yv = new Float64Array(size);
    for (let p = 0; p < size; p++) {
      s[p] = (trial[p] as number) - (theta[p] as number);
      yv[p] = (trialGrad[p] as number) - (grad[p] as number);
    }
    const sy = dot(s, yv);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(yv, yv))) {
      sList.push(s);
      yList.push(yv);
      rhoList.push(1 / sy);
      if (sList.length > memory) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
    }
    const decrease = loss - trialLoss;
    theta.set(trial);
    grad.set(trialGrad);
    loss = trialLoss;
    // A step that no longer changes the loss in float64 means we are as close as we can get.
    if (decrease <= 1e-15 * Math.max(1, Math.abs(loss))) return { theta, loss, iterations: iteration + 1, converged: maxAbs(grad) <= solver.tolerance };
  }
  return { theta, loss, iterations: solver.maxIterations, converged: maxAbs(grad) <= solver.tolerance };
}

function twoLoop(grad: Float64Array, sList: Float64Array[], yList: Float64Array[], rhoList: number[]): Float64Array {
  const q = Float64Array.from(grad);
  const alpha = new Array<number>(sList.length);
  for (let i = sList.length - 1; i >= 0; i--) {
    const a = (rhoList[i] as number) * dot(sList[i] as Float64Array, q);
    alpha[i] = a;
    axpy(-a, yList[i] as Float64Array, q);
  }
  if (sList.length > 0) {
    const last = sList.length - 1;
    const gamma = dot(sList[last] as Float64Array, yList[last] as Float64Array) / dot(yList[last] as Float64Array, yList[last] as Float64Array);
    for (let p = 0; p < q.length; p++) q[p] = (q[p] as number) * gamma;
  }
  for (let i = 0; i < sList.length; i++) {
    const b = (rhoList[i] as number) * dot(yList[i] as Float64Array, q);
    axpy((alpha[i] as number) - b, sList[i] as Float64Array, q);
  }
  for (let p = 0; p < q.length; p++) q[p] = -(q[p] as number);
  return q;
}

function softmax(scores: ArrayLike<number>): number[] {
  let max = -Infinity;
  for (let c = 0; c < scores.length; c++) max = Math.max(max, scores[c] as number);
  const e = Array.from(scores, (s) => Math.exp(s - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

function sortedLabels<L extends ClassLabel>(y: readonly L[]): L[] {
  return [...new Set(y)].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = (y[i] as number) + a * (x[i] as number);
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}
