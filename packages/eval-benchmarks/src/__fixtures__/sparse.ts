// Dense rows to the CSR form the probes accept, for tests that check a sparse fit against the dense one.
import type { SparseMatrix } from '../sparse';

export function toSparse(rows: number[][]): SparseMatrix {
  const indptr = [0];
  const indices: number[] = [];
  const values: number[] = [];
  for (const row of rows) {
    row.forEach((v, j) => {
      if (v !== 0) {
        indices.push(j);
        values.push(v);
      }
    });
    indptr.push(indices.length);
  }
  return { kind: 'sparse', rows: rows.length, cols: (rows[0] as number[]).length, indptr: Int32Array.from(indptr), indices: Int32Array.from(indices), values: Float64Array.from(values) };
}
