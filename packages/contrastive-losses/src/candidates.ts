import * as tf from '@tensorflow/tfjs-core';
import { CarlError, matMul } from '@carl/core';
import type { CandidateMask, CandidateOptions } from './types';

/** Shapes and the exclusion mask of one loss call, worked out before any tensor op runs. */
export interface ResolvedCandidates {
  /** Anchors (queries). */
  readonly n: number;
  /** In-batch keys (the queries themselves when no keys were given). */
  readonly m: number;
  /** Extra keys (queue). */
  readonly k: number;
  /** Candidates: m + k. */
  readonly c: number;
  readonly dim: number;
  readonly keysGiven: boolean;
  /** `n × c` row-major, 1 = excluded; `null` when nothing is excluded. */
  readonly excluded: Uint8Array | null;
  readonly temperature: number;
  readonly normalize: boolean;
}

function checkEmbeddings(t: unknown, field: string, dim?: number): asserts t is tf.Tensor2D {
  if (!(t instanceof tf.Tensor)) throw new CarlError('INVALID_ARGUMENT', 'expected a tensor', { field });
  if (t.rank !== 2) throw new CarlError('SHAPE_MISMATCH', `expected a rank-2 tensor [rows, dim], got shape [${t.shape.join(', ')}]`, { field });
  if (t.dtype !== 'float32') throw new CarlError('INVALID_ARGUMENT', `expected float32 embeddings, got ${t.dtype}`, { field });
  if (dim !== undefined && t.shape[1] !== dim) {
    throw new CarlError('SHAPE_MISMATCH', `dimension ${t.shape[1]} differs from the queries' ${dim}`, { field });
  }
}

/** Checks a positive, finite number option (temperatures, bandwidths). */
export function checkPositive(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new CarlError('INVALID_ARGUMENT', `must be a finite number > 0, got ${String(value)}`, { field });
  }
  return value;
}

/** Validates the embedding side of a loss call and turns `selfMask` into a plain byte mask. */
export function resolveCandidates(options: CandidateOptions, defaultTemperature: number): ResolvedCandidates {
  const { queries, keys, extraKeys } = options;
  checkEmbeddings(queries, 'queries');
  const [n, dim] = queries.shape;
  if (n === 0) throw new CarlError('INVALID_ARGUMENT', 'queries has no rows; a loss needs at least one anchor', { field: 'queries' });
  if (keys !== undefined) checkEmbeddings(keys, 'keys', dim);
  if (extraKeys !== undefined) checkEmbeddings(extraKeys, 'extraKeys', dim);
  const m = keys === undefined ? n : keys.shape[0];
  const k = extraKeys === undefined ? 0 : extraKeys.shape[0];
  const c = m + k;
  const temperature = checkPositive(options.temperature ?? defaultTemperature, 'temperature');

  let excluded: Uint8Array | null = null;
  const exclude = (i: number, j: number): void => {
    excluded ??= new Uint8Array(n * c);
    excluded[i * c + j] = 1;
  };
  // Without keys the queries are their own candidates: comparing a row with itself would be a free positive.
  if (keys === undefined) for (let i = 0; i < n; i++) exclude(i, i);
  applyMask(options.selfMask, n, c, exclude);
  return { n, m, k, c, dim, keysGiven: keys !== undefined, excluded, temperature, normalize: options.normalize ?? true };
}

function applyMask(mask: CandidateMask | undefined, n: number, c: number, exclude: (i: number, j: number) => void): void {
  if (mask === undefined) return;
  if (mask === 'diagonal') {
    for (let i = 0; i < Math.min(n, c); i++) exclude(i, i);
    return;
  }
  if (mask instanceof tf.Tensor) {
    if (mask.rank !== 2 || mask.shape[0] !== n || mask.shape[1] !== c) {
      throw new CarlError('SHAPE_MISMATCH', `selfMask must be [${n}, ${c}] (queries × candidates), got [${mask.shape.join(', ')}]`, { field: 'selfMask' });
    }
    const values = mask.dataSync();
    for (let idx = 0; idx < values.length; idx++) if (values[idx] !== 0) exclude(Math.floor(idx / c), idx % c);
    return;
  }
  if (!Array.isArray(mask) || mask.length !== n) {
    throw new CarlError('SHAPE_MISMATCH', `selfMask must have one row per query (${n})`, { field: 'selfMask' });
  }
  for (let i = 0; i < n; i++) {
    const row = mask[i] as readonly boolean[];
    if (!Array.isArray(row) || row.length !== c) {
      throw new CarlError('SHAPE_MISMATCH', `selfMask row must have one entry per candidate (${c})`, { field: `selfMask[${i}]` });
    }
    for (let j = 0; j < c; j++) if (row[j]) exclude(i, j);
  }
}

/**
 * Resolves each query's own key (its other view): explicit indices, or the diagonal when the keys are
 * as many as the queries. Returns −1 for "none".
 */
export function resolveOwnKeys(ownKeyIndex: readonly number[] | undefined, r: ResolvedCandidates, required: boolean): Int32Array {
  const own = new Int32Array(r.n).fill(-1);
  if (ownKeyIndex === undefined) {
    if (r.keysGiven && r.m === r.n) {
      for (let i = 0; i < r.n; i++) own[i] = i;
      return own;
    }
    if (required) {
      throw new CarlError('INVALID_ARGUMENT', `ownKeyIndex is required when keys (${r.m}) are not one per query (${r.n})`, { field: 'ownKeyIndex' });
    }
    return own;
  }
  if (ownKeyIndex.length !== r.n) throw new CarlError('SHAPE_MISMATCH', `${ownKeyIndex.length} indices for ${r.n} queries`, { field: 'ownKeyIndex' });
  ownKeyIndex.forEach((j, i) => {
    if (!Number.isInteger(j) || j < -1 || j >= r.c) {
      throw new CarlError('INVALID_ARGUMENT', `index ${j} is not −1 or a candidate in [0, ${r.c})`, { field: `ownKeyIndex[${i}]` });
    }
    own[i] = j;
  });
  return own;
}

/**
 * Rows divided by their L2 norm; an all-zero row stays zero instead of becoming NaN (the one L2
 * normalisation of CARL-TS: the losses use it, the trainer normalises its momentum keys with it).
 * `x·rsqrt(max(‖x‖², 1e-12))` rather than `x/‖x‖`: the gradient of a norm is NaN at a zero row, max's is not.
 *
 * @example
 * ```ts
 * l2Normalize(tf.tensor2d([[3, 4], [0, 0]])); // [[0.6, 0.8], [0, 0]]
 * ```
 */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-12))));
}

/** `[N, C]` similarity logits `q·cᵀ / τ` against the in-batch keys followed by the extra keys. */
export function similarityLogits(options: CandidateOptions, r: ResolvedCandidates): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = [options.keys ?? options.queries];
    if (options.extraKeys !== undefined && r.k > 0) parts.push(options.extraKeys);
    let candidates = parts.length === 1 ? (parts[0] as tf.Tensor2D) : tf.concat(parts, 0);
    let queries = options.queries;
    if (r.normalize) {
      queries = l2Normalize(queries);
      candidates = l2Normalize(candidates);
    }
    // @carl/core's matMul: its gradient transposes explicitly, far faster on wasm than transpose flags.
    return tf.div(matMul(queries, candidates, false, true), r.temperature);
  });
}

/** The candidates that take part, as a bool tensor `[N, C]` (`null` = all of them). */
export function validMask(r: ResolvedCandidates): tf.Tensor2D | null {
  if (r.excluded === null) return null;
  const valid = new Uint8Array(r.excluded.length);
  for (let i = 0; i < valid.length; i++) valid[i] = r.excluded[i] === 1 ? 0 : 1;
  return tf.tensor2d(valid, [r.n, r.c], 'bool');
}
