import { CarlError, Random } from '@carl/core';
import { symmetricEigen } from './linalg';
import { checkInteger, checkMatrix, type NumericRow } from './validate';

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Number of principal components. Default 2. */
  readonly components?: number;
  /** Seed of the random start block. Default 0. */
  readonly seed?: number;
  /** Subspace-iteration cap. Default 300. */
  readonly maxIterations?: number;
  /** Stop when each leading Ritz value changes by less than this, relatively. Default 1e-9 (far below what a plot can show). */
  readonly tolerance?: number;
}

/** Principal components of a set of rows. */
export interface PcaResult {
  /** Unit principal axes, one row per component, largest variance first. The sign is fixed so each axis's largest-magnitude entry is positive. */
  readonly components: readonly (readonly number[])[];
  /** Variance along each axis (n − 1 denominator). */
  readonly variances: readonly number[];
  /** Share of the total variance explained by each axis. */
  readonly explainedRatio: readonly number[];
  /** Column means that were subtracted. */
  readonly mean: readonly number[];
  /** The input rows projected onto the axes (`n × components`). */
  readonly projected: readonly (readonly number[])[];
  readonly iterations: number;
}

/**
 * PCA by randomised subspace iteration with Rayleigh–Ritz (block power iteration on the covariance,
 * applied as Xᵀ(Xv) without ever forming the d × d matrix). A block a few columns wider than asked
 * for converges even when the leading eigenvalues are close, where plain power iteration with
 * deflation stalls. Deterministic for a given seed; the signs are normalised.
 *
 * @example
 * ```ts
 * const { projected, explainedRatio } = pca(embeddings, { components: 2 });
 * ```
 */
export function pca(rows: readonly NumericRow[], options: PcaOptions = {}): PcaResult {
  const d = checkMatrix(rows, 'rows');
  const n = rows.length;
  if (n < 2) throw new CarlError('INVALID_ARGUMENT', `needs at least 2 rows, got ${n}`, { field: 'rows' });
  const k = options.components ?? 2;
  checkInteger(k, 1, d, 'components');
  const maxIterations = options.maxIterations ?? 300;
  const tolerance = options.tolerance ?? 1e-9;

  const mean = new Float64Array(d);
  for (const row of rows) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / n;
  const x = new Float64Array(n * d);
  let totalVariance = 0;
  rows.forEach((row, i) => {
    for (let j = 0; j < d; j++) {
      const v = (row[j] as number) - (mean[j] as number);
      x[i * d + j] = v;
      totalVariance += v * v;
    }
  });
  totalVariance /= n - 1;

  const block = Math.min(d, k + 4);
  const rng = new Random(options.seed ?? 0);
  let q: Float64Array[] = Array.from({ length: block }, () => Float64Array.from({ length: d }, () => rng.normal()));
  q = orthonormalize(q);
  let ritz = new Array<number>(block).fill(0);
  let vectors: number[][] = q.map((v) => Array.from(v));
  let iterations = 0;
  for (let it = 1; it <= maxIterations; it++) {
    iterations = it;
    const cq = q.map((v) => covTimes(x, n, d, v));
    // Rayleigh–Ritz on span(Q): eigenpairs of QᵀCQ rotate Q onto the best approximations of the axes.
    const small = q.map((qi) => cq.map((cj) => dotArr(qi, cj)));
    const sym = small.map((row, i) => row.map((v, j) => (v + ((small[j] as number[])[i] as number)) / 2));
    const eig = symmetricEigen(sym);
    const rotated = eig.vectors.map((coef) => combine(q, coef));
    vectors = rotated.map((v) => Array.from(v));
    const changed = eig.values.slice(0, k).some((v, i) => Math.abs(v - (ritz[i] as number)) > tolerance * Math.max(Math.abs(v), 1e-300));
    ritz = eig.values;
    if (!changed && it > 1) break;
    q = orthonormalize(eig.vectors.map((coef) => combine(cq, coef)));
  }

  const components = vectors.slice(0, k).map((v) => {
    let big = 0;
    for (let j = 1; j < d; j++) if (Math.abs(v[j] as number) > Math.abs(v[big] as number)) big = j;
    return (v[big] as number) < 0 ? v.map((c) => -c) : v;
  });
  const variances = ritz.slice(0, k).map((v) => Math.max(0, v));
  const projected = Array.from({ length: n }, (_, i) => components.map((c) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += (x[i * d + j] as number) * (c[j] as number);
    return s;
  }));
  return {
    components,
    variances,
    explainedRatio: variances.map((v) => (totalVariance > 0 ? v / totalVariance : 0)),
    mean: Array.from(mean),
    projected,
    iterations,
  };
}

/** C·v with C = XᵀX / (n − 1), computed as Xᵀ(Xv). */
function covTimes(x: Float64Array, n: number, d: number, v: Float64Array): Float64Array {
  const out = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const base = i * d;
    for (let j = 0; j < d; j++) s += (x[base + j] as number) * (v[j] as number);
    if (s === 0) continue;
    for (let j = 0; j < d; j++) out[j] = (out[j] as number) + s * (x[base + j] as number);
  }
  for (let j = 0; j < d; j++) out[j] = (out[j] as number) / (n - 1);
  return out;
}

/** Modified Gram–Schmidt, twice (one pass loses orthogonality when columns are nearly dependent). */
function orthonormalize(vectors: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  const d = (vectors[0] as Float64Array).length;
  let nextAxis = 0;
  for (const v0 of vectors) {
    let v = project(v0, out);
    let reference = Math.sqrt(dotArr(v0, v0));
    // A vector swallowed by the others (rank-deficient data): use the first coordinate axis that is not.
    while (!(Math.sqrt(dotArr(v, v)) > 1e-10 * reference) && nextAxis < d) {
      const axis = new Float64Array(d);
      axis[nextAxis++] = 1;
      v = project(axis, out);
      reference = 1;
    }
    const norm = Math.sqrt(dotArr(v, v));
    for (let j = 0; j < d; j++) v[j] = (v[j] as number) / norm;
    out.push(v);
  }
  return out;
}

function project(v0: Float64Array, basis: readonly Float64Array[]): Float64Array {
  const v = Float64Array.from(v0);
  for (let pass = 0; pass < 2; pass++) {
    for (const u of basis) {
      const p = dotArr(u, v);
      for (let j = 0; j < v.length; j++) v[j] = (v[j] as number) - p * (u[j] as number);
    }
  }
  return v;
}

function combine(basis: readonly Float64Array[], coef: readonly number[]): Float64Array {
  const out = new Float64Array((basis[0] as Float64Array).length);
  basis.forEach((b, i) => {
    const c = coef[i] as number;
    for (let j = 0; j < out.length; j++) out[j] = (out[j] as number) + c * (b[j] as number);
  });
  return out;
}

function dotArr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += (a[j] as number) * (b[j] as number);
  return s;
}
