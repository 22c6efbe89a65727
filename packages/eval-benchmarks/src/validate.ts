import { CarlError } from '@carl/core';

/** A dense row of numbers as users hand them in (embeddings, predictions, targets). */
export type NumericRow = ArrayLike<number>;

/** Throws SHAPE_MISMATCH unless both arrays have the same length. */
export function checkSameLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>, what: string, field?: string): void {
  if (a.length !== b.length) {
    throw new CarlError('SHAPE_MISMATCH', `${what}: lengths differ (${a.length} vs ${b.length})`, field === undefined ? {} : { field });
  }
}

/** Throws INVALID_ARGUMENT at the first value that is not a finite number, naming its index. */
export function checkFinite(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new CarlError('INVALID_ARGUMENT', `expected a finite number, got ${String(v)}`, { field: `${field}[${i}]` });
    }
  }
}

/** Throws INVALID_ARGUMENT unless there are at least `min` values. */
export function checkMinLength(values: ArrayLike<unknown>, min: number, field: string): void {
  if (values.length < min) {
    throw new CarlError('INVALID_ARGUMENT', `needs at least ${min} value${min === 1 ? '' : 's'}, got ${values.length}`, { field });
  }
}

/**
 * Checks a list of feature rows (all the same width, all finite) and returns the width.
 * Errors name the row and column, since a single NaN in an embedding otherwise poisons every probe silently.
 */
export function checkMatrix(rows: readonly NumericRow[], field: string): number {
  if (rows.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one row', { field });
  const width = (rows[0] as NumericRow).length;
  if (width === 0) throw new CarlError('INVALID_ARGUMENT', 'rows have zero columns', { field });
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as NumericRow;
    if (row.length !== width) {
      throw new CarlError('SHAPE_MISMATCH', `row ${i} has ${row.length} columns, row 0 has ${width}`, { field: `${field}[${i}]` });
    }
    for (let j = 0; j < width; j++) {
      const v = row[j] as number;
      if (!Number.isFinite(v)) {
        throw new CarlError('INVALID_ARGUMENT', `not a finite number: ${String(v)}`, { field: `${field}[${i}][${j}]` });
      }
    }
  }
  return width;
}

/** Throws INVALID_ARGUMENT unless `value` is an integer in [min, max]. */
export function checkInteger(value: number, min: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CarlError('INVALID_ARGUMENT', `must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}], got ${value}`, { field });
  }
}
