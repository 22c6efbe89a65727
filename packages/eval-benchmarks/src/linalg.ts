import { CarlError } from '@carl/core';

// Small dense float64 linear algebra for the probes. Float64 on the JS side (not float32 tensors) because
// normal equations square the condition number, and because a probe must give the same numbers on every
// backend for results to be comparable across machines.

/**
 * In-place Cholesky factorisation of a symmetric positive-definite `d × d` row-major matrix:
 * on return the lower triangle holds L with A = L·Lᵀ (the upper triangle is left as it was).
 * Throws NUMERIC_INSTABILITY when a pivot is not positive.
 */
export function choleskyInPlace(a: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    const rowJ = j * d;
    let diag = a[rowJ + j] as number;
    for (let k = 0; k < j; k++) diag -= (a[rowJ + k] as number) ** 2;
    if (!(diag > 0)) {
      throw new CarlError('NUMERIC_INSTABILITY', `matrix is not positive definite (pivot ${j} = ${diag}); increase the ridge penalty`, {
        field: 'alpha',
      });
    }
    const ljj = Math.sqrt(diag);
    a[rowJ + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const rowI = i * d;
      let s = a[rowI + j] as number;
      for (let k = 0; k < j; k++) s -= (a[rowI + k] as number) * (a[rowJ + k] as number);
      a[rowI + j] = s / ljj;
    }
  }
}

/**
 * Solves A·X = B given the Cholesky factor L of A (lower triangle of `l`), for `m` right-hand sides
 * stored row-major in `b` (`d × m`). Returns X (`d × m`).
 */
export function choleskySolve(l: Float64Array, d: number, b: Float64Array, m: number): Float64Array {
  const x = Float64Array.from(b);
  // forward: L·y = b
  for (let i = 0; i < d; i++) {
    for (let c = 0; c < m; c++) {
      let s = x[i * m + c] as number;
      for (let k = 0; k < i; k++) s -= (l[i * d + k] as number) * (x[k * m + c] as number);
      x[i * m + c] = s / (l[i * d + i] as number);
    }
  }
  // backward: Lᵀ·x = y
  for (let i = d - 1; i >= 0; i--) {
    for (let c = 0; c < m; c++) {
      let s = x[i * m + c] as number;
      for (let k = i + 1; k < d; k++) s -= (l[k * d + i] as number) * (x[k * m + c] as number);
      x[i * m + c] = s / (l[i * d + i] as number);
    }
  }
  return x;
}

/**
 * Adds Σ xᵢxᵢᵀ (upper triangle only, row-major `d × d`) and Σ xᵢ over the rows `indices` of `rows`.
 * The upper triangle suffices because the Gram matrix is symmetric; {@link symmetrize} fills the rest.
 */
export function accumulateGram(rows: readonly ArrayLike<number>[], indices: readonly number[], d: number, gram: Float64Array, sum: Float64Array): void {
  const x = new Float64Array(d);
  for (const idx of indices) {
    const row = rows[idx] as ArrayLike<number>;
    for (let j = 0; j < d; j++) x[j] = row[j] as number;
    for (let j = 0; j < d; j++) {
      const xj = x[j] as number;
      sum[j] = (sum[j] as number) + xj;
      if (xj === 0) continue;
      const base = j * d;
      for (let k = j; k < d; k++) gram[base + k] = (gram[base + k] as number) + xj * (x[k] as number);
    }
  }
}

/** Copies the upper triangle of a row-major `d × d` matrix onto its lower triangle. */
export function symmetrize(a: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) a[i * d + j] = a[j * d + i] as number;
}

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations.
 * Returns eigenvalues in descending order and the matching unit eigenvectors as rows.
 * O(d³) per sweep: meant for the few-by-few Rayleigh–Ritz step of the PCA, not for big matrices.
 */
export function symmetricEigen(matrix: readonly (readonly number[])[]): { values: number[]; vectors: number[][] } {
  const d = matrix.length;
  const a = matrix.map((row) => [...row]);
  const v = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += ((a[p] as number[])[q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = (a[p] as number[])[q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const app = (a[p] as number[])[p] as number;
        const aqq = (a[q] as number[])[q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = (a[k] as number[])[p] as number;
          const akq = (a[k] as number[])[q] as number;
          (a[k] as number[])[p] = c * akp - s * akq;
          (a[k] as number[])[q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = (a[p] as number[])[k] as number;
          const aqk = (a[q] as number[])[k] as number;
          (a[p] as number[])[k] = c * apk - s * aqk;
          (a[q] as number[])[k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = (v[k] as number[])[p] as number;
          const vkq = (v[k] as number[])[q] as number;
          (v[k] as number[])[p] = c * vkp - s * vkq;
          (v[k] as number[])[q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: d }, (_, i) => i).sort((i, j) => ((a[j] as number[])[j] as number) - ((a[i] as number[])[i] as number));
  return {
    values: order.map((i) => (a[i] as number[])[i] as number),
    vectors: order.map((i) => v.map((row) => row[i] as number)),
  };
}
