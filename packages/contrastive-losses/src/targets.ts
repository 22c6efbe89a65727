import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import type { ContrastiveLossResult } from './types';

/**
 * What excluded logits are replaced with. Finite on purpose: −∞ gives NaN as soon as a row is fully
 * excluded (−∞ − (−∞)) or a zero weight meets it (0 · −∞); −1e9 underflows `exp` to exactly 0 all the same.
 */
const EXCLUDED_LOGIT = -1e9;

/** Log-softmax over each row's valid candidates (excluded entries come out near −1e9, never NaN). */
export function maskedLogSoftmax(logits: tf.Tensor2D, valid: tf.Tensor2D | null): tf.Tensor2D {
  return tf.tidy(() => tf.logSoftmax(valid === null ? logits : tf.where(valid, logits, tf.fill(logits.shape, EXCLUDED_LOGIT)), 1));
}

/** Softmax of `scores` over each row's valid candidates; rows without any are all zero. */
export function softmaxTargets(scores: tf.Tensor2D, valid: tf.Tensor2D | null): tf.Tensor2D {
  return tf.tidy(() => {
    if (valid === null) return tf.softmax(scores, 1);
    return tf.mul(tf.softmax(tf.where(valid, scores, tf.fill(scores.shape, EXCLUDED_LOGIT)), 1), tf.cast(valid, 'float32'));
  });
}

/** Non-negative weights rescaled to sum to 1 over each row's valid candidates; all-zero rows stay zero. */
export function normalizeTargets(weights: tf.Tensor2D, valid: tf.Tensor2D | null): tf.Tensor2D {
  return tf.tidy(() => {
    const kept = valid === null ? weights : tf.mul(weights, tf.cast(valid, 'float32'));
    const total = tf.sum(kept, 1, true);
    // Guarded divisor: 0/0 would be NaN for an anchor with no positive; its row must stay 0.
    return tf.div(kept, tf.where(tf.greater(total, 0), total, tf.onesLike(total)));
  });
}

/**
 * Checks a user-supplied `[N, C]` weight or similarity tensor (finite; non-negative if `nonNegative`).
 * Reads two scalars: these are label data, not differentiable activations.
 */
export function checkLabelMatrix(t: unknown, field: string, n: number, c: number, nonNegative: boolean): asserts t is tf.Tensor2D {
  if (!(t instanceof tf.Tensor)) throw new CarlError('INVALID_ARGUMENT', 'expected a tensor', { field });
  if (t.rank !== 2 || t.shape[0] !== n || t.shape[1] !== c) {
    throw new CarlError('SHAPE_MISMATCH', `expected [${n}, ${c}] (queries × candidates), got [${t.shape.join(', ')}]`, { field });
  }
  if (t.size === 0) return;
  const [finite, min] = tf.tidy(() => tf.stack([tf.cast(tf.all(tf.isFinite(t)), 'float32'), tf.min(t)]).dataSync()) as unknown as [number, number];
  if (finite !== 1) throw new CarlError('INVALID_ARGUMENT', 'contains NaN or infinite values; exclude candidates with selfMask instead', { field });
  if (nonNegative && min < 0) throw new CarlError('INVALID_ARGUMENT', `weights must be ≥ 0, found ${min}`, { field });
}

/**
 * Cross-entropy between target distributions and the embedding softmax, averaged over the anchors
 * whose target row has mass. Counting uses only `targets` (built from labels and masks), so the loss
 * still works inside `tf.variableGrads`.
 * Returns the loss and the anchor bookkeeping; call inside `tf.tidy`.
 */
export function targetCrossEntropy(logits: tf.Tensor2D, valid: tf.Tensor2D | null, targets: tf.Tensor2D): ContrastiveLossResult {
  const n = logits.shape[0];
  const rowValid = tf.tidy(() => tf.any(tf.greater(targets, 0), 1)).dataSync();
  const perAnchor = tf.neg(tf.sum(tf.mul(targets, maskedLogSoftmax(logits, valid)), 1)) as tf.Tensor1D;
  const result = reduceAnchors(perAnchor, rowValid, n);
  // H(w) = −Σ w log w per anchor (0·log 0 = 0), averaged like the loss: loss − H is the mean KL(w ‖ p) ≥ 0.
  const entropies = tf.tidy(() => tf.neg(tf.sum(tf.mul(targets, tf.log(tf.where(tf.greater(targets, 0), targets, tf.onesLike(targets)))), 1))).dataSync();
  let entropy = 0;
  for (let i = 0; i < n; i++) if (rowValid[i]) entropy += entropies[i] as number;
  return { ...result, targetEntropy: entropy / Math.max(result.validAnchors, 1) };
}

/** Mean of the valid anchors' losses (0 when none is valid: still a function of the inputs, so gradients are 0, not an error). */
export function reduceAnchors(perAnchor: tf.Tensor1D, rowValid: ArrayLike<number | boolean>, n: number): ContrastiveLossResult {
  const keep = new Float32Array(n);
  const skipped: number[] = [];
  for (let i = 0; i < n; i++) {
    if (rowValid[i]) keep[i] = 1;
    else skipped.push(i);
  }
  const validAnchors = n - skipped.length;
  // Multiply rather than gather: skipped rows are finite (never NaN), and the graph keeps its shape.
  const loss = tf.div(tf.sum(tf.mul(perAnchor, tf.tensor1d(keep))), Math.max(validAnchors, 1)) as tf.Scalar;
  return { loss, validAnchors, skippedAnchors: skipped.length, skippedAnchorIndices: skipped };
}

/** Runs a loss body in `tf.tidy`, keeping only the loss scalar. */
export function runLoss(body: () => ContrastiveLossResult): ContrastiveLossResult {
  let stats: Omit<ContrastiveLossResult, 'loss'> = { validAnchors: 0, skippedAnchors: 0, skippedAnchorIndices: [] };
  const loss = tf.tidy(() => {
    const { loss: value, ...rest } = body();
    stats = rest;
    return value;
  });
  return { loss, ...stats };
}
