import { CarlError } from '@carl/core';
import { assignFolds, splitByFold } from './folds';
import type { ClassLabel } from './metrics';
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
  /** Stop when the largest gradient component falls below this. Default 1e-5. */
  readonly tolerance?: number;
  /** The classes in the order of the probability columns. Default: the training labels, sorted. */
  readonly labels?: readonly ClassLabel[];
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
  readonly converged: boolean;
  /** Final objective value (mean cross-entropy + penalty). */
  readonly loss: number;
  /** Class probabilities, one row per input row, columns in `labels` order. */
  predictProba(rows: readonly NumericRow[]): number[][];
  /** Most probable class of each row. */
  predict(rows: readonly NumericRow[]): L[];
}

/**
 * Multinomial (softmax) logistic regression with an L2 penalty on the weights (not the biases), fitted
 * on standardised features by full-batch L-BFGS in float64. For λ > 0 the objective is strictly convex
 * up to a common shift of all biases (which changes no probability; the biases are returned centred),
 * so the answer depends neither on the starting point nor on the backend or machine. With a grid of λ, the
 * strength is chosen by stratified k-fold accuracy on the training rows only (ties go to the larger λ),
 * warm-starting from strong to weak penalties; then the model is refitted on all training rows.
 *
 * @example
 * ```ts
 * const probe = fitLogistic(trainEmbeddings, trainLabels); // labels like 'joy', 'fear', …
 * probe.predict(testEmbeddings); // ['joy', …]
 * ```
 */
export function fitLogistic<L extends ClassLabel>(x: readonly NumericRow[], y: readonly L[], options: LogisticOptions = {}): LogisticProbe<L> {
  const d = checkMatrix(x, 'x');
  if (y.length !== x.length) throw new CarlError('SHAPE_MISMATCH', `${x.length} feature rows but ${y.length} labels`, { field: 'y' });
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
  const solver = { maxIterations: options.maxIterations ?? 500, tolerance: options.tolerance ?? 1e-5 };
  checkInteger(solver.maxIterations, 1, Number.MAX_SAFE_INTEGER, 'maxIterations');

  let l2 = grid[0] as number;
  let cvAccuracy: number[] = [];
  if (grid.length > 1) {
    const k = options.folds ?? 3;
    const fold = assignFolds(x.length, k, { seed: options.seed ?? 0, strata: Array.from(yi) });
    const hits = grid.map(() => 0);
    for (let f = 0; f < k; f++) {
      const { train, test } = splitByFold(fold, f);
      const problem = buildProblem(x, yi, train, d, labels.length);
      let start: Float64Array | undefined;
      grid.forEach((lambda, gi) => {
        const fit = minimize(problem, lambda, solver, start);
        start = fit.theta;
        const model = toModel(problem, fit.theta);
        for (const i of test) if (argmax(model.scores(x[i] as NumericRow)) === yi[i]) hits[gi] = (hits[gi] as number) + 1;
      });
    }
    cvAccuracy = hits.map((h) => h / x.length);
    // grid is sorted from strong to weak, so a strict > keeps the stronger penalty on ties.
    let best = 0;
    cvAccuracy.forEach((acc, gi) => {
      if (acc > (cvAccuracy[best] as number)) best = gi;
    });
    l2 = grid[best] as number;
  }

  const problem = buildProblem(x, yi, Array.from({ length: x.length }, (_, i) => i), d, labels.length);
  const fit = minimize(problem, l2, solver, undefined);
  const model = toModel(problem, fit.theta);
  const predictProba = (rows: readonly NumericRow[]): number[][] => {
    if (rows.length === 0) return [];
    const width = checkMatrix(rows, 'rows');
    if (width !== d) throw new CarlError('SHAPE_MISMATCH', `rows have ${width} features, the probe was fitted on ${d}`, { field: 'rows' });
    return rows.map((row) => softmax(model.scores(row)));
  };
  return {
    labels,
    l2,
    l2Grid: grid,
    cvAccuracy,
    iterations: fit.iterations,
    converged: fit.converged,
    loss: fit.loss,
    predictProba,
    predict: (rows) => predictProba(rows).map((p) => labels[argmax(p)] as L),
  };
}

/** A training problem on standardised features: row-major `n × d` design, class ids, feature mean and scale. */
export interface SoftmaxProblem {
  readonly n: number;
  readonly d: number;
  readonly classes: number;
  readonly z: Float64Array;
  readonly y: Int32Array;
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

function buildProblem(x: readonly NumericRow[], y: Int32Array, indices: readonly number[], d: number, classes: number): SoftmaxProblem {
  const n = indices.length;
  const mean = new Float64Array(d);
  for (const i of indices) {
    const row = x[i] as NumericRow;
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  }
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
  const variance = new Float64Array(d);
  for (const i of indices) {
    const row = x[i] as NumericRow;
    for (let j = 0; j < d; j++) variance[j] = (variance[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  }
  // A constant feature keeps scale 1 (it is all zeros once centred) instead of dividing by zero.
  const scale = variance.map((v) => (v > 0 ? Math.sqrt(v / n) : 1));
  const z = new Float64Array(n * d);
  const yy = new Int32Array(n);
  indices.forEach((i, r) => {
    const row = x[i] as NumericRow;
    for (let j = 0; j < d; j++) z[r * d + j] = ((row[j] as number) - (mean[j] as number)) / (scale[j] as number);
    yy[r] = y[i] as number;
  });
  return { n, d, classes, z, y: yy, mean, scale };
}

/**
 * Objective and gradient at θ = [W (classes × d, row-major), b (classes)]:
 * f = (1/n) Σᵢ −log softmax(W zᵢ + b)[yᵢ] + (λ/2)‖W‖². Writes the gradient into `grad`.
 */
export function softmaxObjective(problem: SoftmaxProblem, lambda: number, theta: Float64Array, grad: Float64Array): number {
  const { n, d, classes: k, z, y } = problem;
  grad.fill(0);
  const bOffset = k * d;
  const scores = new Float64Array(k);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const base = i * d;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = theta[bOffset + c] as number;
      const w = c * d;
      for (let j = 0; j < d; j++) s += (theta[w + j] as number) * (z[base + j] as number);
      scores[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp((scores[c] as number) - max);
    const logSum = max + Math.log(sum);
    const yc = y[i] as number;
    loss += logSum - (scores[yc] as number);
    for (let c = 0; c < k; c++) {
      const r = Math.exp((scores[c] as number) - logSum) - (c === yc ? 1 : 0);
      grad[bOffset + c] = (grad[bOffset + c] as number) + r;
      if (r === 0) continue;
      const w = c * d;
      for (let j = 0; j < d; j++) grad[w + j] = (grad[w + j] as number) + r * (z[base + j] as number);
    }
  }
  let penalty = 0;
  for (let p = 0; p < bOffset; p++) {
    const t = theta[p] as number;
    penalty += t * t;
    grad[p] = (grad[p] as number) / n + lambda * t;
  }
  for (let c = 0; c < k; c++) grad[bOffset + c] = (grad[bOffset + c] as number) / n;
  return loss / n + 0.5 * lambda * penalty;
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

function toModel(problem: SoftmaxProblem, theta: Float64Array): { scores: (row: NumericRow) => Float64Array } {
  const { d, classes: k, mean, scale } = problem;
  return {
    scores(row: NumericRow): Float64Array {
      const out = new Float64Array(k);
      for (let c = 0; c < k; c++) {
        let s = theta[k * d + c] as number;
        for (let j = 0; j < d; j++) s += (theta[c * d + j] as number) * (((row[j] as number) - (mean[j] as number)) / (scale[j] as number));
        out[c] = s;
      }
      return out;
    },
  };
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
