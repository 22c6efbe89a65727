import * as tf from '@tensorflow/tfjs-core';
import { CarlError, matMul } from '@carl/core';
import { checkPositive, l2Normalize } from './candidates';

/** Options of {@link alignment}. */
export interface AlignmentOptions {
  /** Exponent α on the distance. Default 2 (Wang & Isola). */
  readonly alpha?: number;
  /** L2-normalise both inputs first (the metric is defined on the unit sphere). Default true. */
  readonly normalize?: boolean;
}

/** Options of {@link uniformity}. */
export interface UniformityOptions {
  /** L2-normalise first. Default true. */
  readonly normalize?: boolean;
}

function checkMatrix(t: unknown, field: string): asserts t is tf.Tensor2D {
  if (!(t instanceof tf.Tensor) || t.rank !== 2) throw new CarlError('SHAPE_MISMATCH', 'expected a rank-2 tensor [rows, dim]', { field });
  if (t.dtype !== 'float32') throw new CarlError('INVALID_ARGUMENT', `expected float32, got ${t.dtype}`, { field });
}

/**
 * Alignment (Wang & Isola 2020): `E ‖f(x) − f(x⁺)‖₂^α` over positive pairs (row `i` of `x` with row
 * `i` of `y`), on L2-normalised embeddings. Lower is better; 0 means every pair coincides.
 * Differentiable, so it can also serve as a regulariser.
 *
 * @param x embeddings `[N, D]`.
 * @param y their positives `[N, D]`, row for row.
 * @example
 * ```ts
 * const a = alignment(view1, view2).dataSync()[0]; // in [0, 4] for α = 2
 * ```
 */
export function alignment(x: tf.Tensor2D, y: tf.Tensor2D, options: AlignmentOptions = {}): tf.Scalar {
  checkMatrix(x, 'x');
  checkMatrix(y, 'y');
  if (x.shape[0] !== y.shape[0] || x.shape[1] !== y.shape[1]) {
    throw new CarlError('SHAPE_MISMATCH', `x is [${x.shape.join(', ')}] but y is [${y.shape.join(', ')}]`, { field: 'y' });
  }
  if (x.shape[0] === 0) throw new CarlError('INVALID_ARGUMENT', 'alignment of zero pairs is undefined', { field: 'x' });
  const alpha = checkPositive(options.alpha ?? 2, 'alpha');
  const normalize = options.normalize ?? true;
  return tf.tidy(() => {
    const a = normalize ? l2Normalize(x) : x;
    const b = normalize ? l2Normalize(y) : y;
    const squared = tf.sum(tf.square(tf.sub(a, b)), 1);
    // α = 2 needs no root; otherwise keep pow away from 0, where its gradient is infinite for α < 2.
    const distance = alpha === 2 ? squared : tf.pow(tf.maximum(squared, 1e-12), alpha / 2);
    return tf.mean(distance) as tf.Scalar;
  });
}

/**
 * Uniformity (Wang & Isola 2020): `log E_{i≠j} exp(−t ‖f(x_i) − f(x_j)‖²)` over all pairs of distinct
 * rows, on L2-normalised embeddings, computed as a stable log-sum-exp. Lower is better (more uniform);
 * its minimum for points on the unit sphere is about −4t when the embeddings spread out evenly.
 *
 * @param x embeddings `[N, D]` with N ≥ 2.
 * @param t the kernel's scale (default 2).
 * @example
 * ```ts
 * const u = uniformity(embeddings).dataSync()[0]; // e.g. −3.1
 * ```
 */
export function uniformity(x: tf.Tensor2D, t = 2, options: UniformityOptions = {}): tf.Scalar {
  checkMatrix(x, 'x');
  const n = x.shape[0];
  if (n < 2) throw new CarlError('INVALID_ARGUMENT', `uniformity needs at least 2 rows, got ${n}`, { field: 'x' });
  checkPositive(t, 't');
  const normalize = options.normalize ?? true;
  return tf.tidy(() => {
    const z = normalize ? l2Normalize(x) : x;
    const norms = tf.sum(tf.square(z), 1, true);
    // ‖a − b‖² = ‖a‖² + ‖b‖² − 2a·b; clamped because rounding can make it slightly negative.
    const squared = tf.relu(tf.sub(tf.add(norms, tf.transpose(norms)), tf.mul(matMul(z, z, false, true), 2)));
    const offDiagonal = tf.cast(tf.sub(tf.onesLike(squared), tf.eye(n)), 'bool');
    // The diagonal (a row with itself) is replaced before exp: exp(0 − peak) could overflow, and inf · 0 is NaN.
    const excluded = tf.fill([n, n], -1e9);
    const scores = tf.where(offDiagonal, tf.mul(squared, -t), excluded);
    const peak = tf.max(scores);
    const total = tf.sum(tf.exp(tf.where(offDiagonal, tf.sub(scores, peak), excluded)));
    return tf.sub(tf.add(peak, tf.log(total)), Math.log(n * (n - 1))) as tf.Scalar;
  });
}
