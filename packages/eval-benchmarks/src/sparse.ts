import { CarlError } from '@carl/core';
import type { NumericRow } from './validate';

/**
 * A sparse matrix in compressed-row form (CSR): row `i` holds `values[indptr[i] .. indptr[i+1])` at
 * columns `indices[…]`. What {@link fitTfidf} returns and what the probes accept besides dense rows.
 */
export interface SparseMatrix {
  readonly kind: 'sparse';
  readonly rows: number;
  readonly cols: number;
  readonly indptr: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
}

/** Feature input of the probes: dense rows (embeddings) or a {@link SparseMatrix} (bag of words). */
export type Features = readonly NumericRow[] | SparseMatrix;

export function isSparse(x: Features | Float64Array): x is SparseMatrix {
  return (x as Partial<SparseMatrix>).kind === 'sparse';
}

/** Number of rows of either feature form. */
export function rowCount(x: Features): number {
  return isSparse(x) ? x.rows : (x as readonly NumericRow[]).length;
}

/** The rows `indices` of a sparse matrix, in that order. */
export function sparseRows(x: SparseMatrix, indices: readonly number[]): SparseMatrix {
  let nnz = 0;
  for (const i of indices) nnz += (x.indptr[i + 1] as number) - (x.indptr[i] as number);
  const indptr = new Int32Array(indices.length + 1);
  const cols = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  indices.forEach((i, r) => {
    for (let q = x.indptr[i] as number; q < (x.indptr[i + 1] as number); q++, p++) {
      cols[p] = x.indices[q] as number;
      values[p] = x.values[q] as number;
    }
    indptr[r + 1] = p;
  });
  return { kind: 'sparse', rows: indices.length, cols: x.cols, indptr, indices: cols, values };
}

/** Checks a sparse matrix's structure and values; returns its width. */
export function checkSparse(x: SparseMatrix, field: string): number {
  if (x.rows < 1) throw new CarlError('INVALID_ARGUMENT', 'needs at least one row', { field });
  if (x.indptr.length !== x.rows + 1 || x.indptr[0] !== 0 || x.indptr[x.rows] !== x.indices.length || x.indices.length !== x.values.length) {
    throw new CarlError('SHAPE_MISMATCH', `malformed sparse matrix (${x.rows} rows, indptr ${x.indptr.length}, ${x.indices.length} indices, ${x.values.length} values)`, { field });
  }
  for (let p = 0; p < x.values.length; p++) {
    const c = x.indices[p] as number;
    if (c < 0 || c >= x.cols) throw new CarlError('SHAPE_MISMATCH', `column ${c} outside [0, ${x.cols})`, { field: `${field}.indices[${p}]` });
    if (!Number.isFinite(x.values[p] as number)) throw new CarlError('INVALID_ARGUMENT', `not a finite number: ${String(x.values[p])}`, { field: `${field}.values[${p}]` });
  }
  return x.cols;
}
