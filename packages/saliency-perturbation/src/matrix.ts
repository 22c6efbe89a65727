import * as tf from '@tensorflow/tfjs-core';
import { CarlError, type TokenMatrix } from '@carl/core';

// Core's contract; the package's other modules import it from here.
export type { TokenMatrix } from '@carl/core';

/** Reads a `[batch, seq]` matrix from plain rows or a 2-D tensor into fresh, mutable rows. */
export function toRows(value: TokenMatrix | tf.Tensor2D, field: string): number[][] {
  if (value instanceof tf.Tensor) {
    if (value.rank !== 2) throw new CarlError('SHAPE_MISMATCH', `expected a 2-D tensor, got shape [${value.shape.join(', ')}]`, { field });
    return value.arraySync() as number[][];
  }
  if (!Array.isArray(value)) throw new CarlError('INVALID_ARGUMENT', 'expected an array of rows or a 2-D tensor', { field });
  return value.map((row, i) => {
    if (!Array.isArray(row) && !ArrayBuffer.isView(row)) {
      throw new CarlError('INVALID_ARGUMENT', `row ${i} is not an array`, { field: `${field}[${i}]` });
    }
    return Array.from(row as ArrayLike<number>);
  });
}

/** Throws `SHAPE_MISMATCH` unless `rows` is exactly `batch × seq`. */
export function checkShape(rows: readonly ArrayLike<number>[], batch: number, seq: number, field: string): void {
  if (rows.length !== batch) {
    throw new CarlError('SHAPE_MISMATCH', `has ${rows.length} rows, expected ${batch} (one per sentence)`, { field });
  }
  rows.forEach((row, i) => {
    if (row.length !== seq) throw new CarlError('SHAPE_MISMATCH', `row ${i} has ${row.length} entries, expected ${seq}`, { field: `${field}[${i}]` });
  });
}

/** Width of a ragged-or-not matrix (0 for an empty batch); throws when rows differ in length. */
export function widthOf(rows: readonly ArrayLike<number>[], field: string): number {
  const width = rows.length === 0 ? 0 : (rows[0] as ArrayLike<number>).length;
  checkShape(rows, rows.length, width, field);
  return width;
}

/**
 * Which tokens may be scored, selected and perturbed: real (attention 1) and not special.
 *
 * @example
 * ```ts
 * candidateMask([[1, 1, 1, 0]], [[1, 0, 1, 1]]); // [[0, 1, 0, 0]]
 * ```
 */
export function candidateMask(attentionMask: TokenMatrix | tf.Tensor2D, specialTokensMask?: TokenMatrix | tf.Tensor2D): number[][] {
  const attention = toRows(attentionMask, 'attentionMask');
  const width = widthOf(attention, 'attentionMask');
  const special = specialTokensMask === undefined ? undefined : toRows(specialTokensMask, 'specialTokensMask');
  if (special !== undefined) checkShape(special, attention.length, width, 'specialTokensMask');
  return attention.map((row, i) => row.map((a, j) => (a !== 0 && (special === undefined || (special[i] as number[])[j] === 0) ? 1 : 0)));
}
