import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import { checkShape, toRows, type TokenMatrix } from './matrix';

/** Options of {@link perturbedTokenDetectionLoss}. */
export interface DetectionLossOptions {
  /**
   * Weight w of the positive (perturbed) class, as PyTorch's `pos_weight`: positives count w times.
   * `balanced` sets w = #negatives / #positives over the masked tokens of this batch, so both
   * classes weigh the same although only ρ ≈ 15 % are perturbed. Default 1 (plain BCE, as ELECTRA).
   */
  readonly positiveWeight?: number | 'balanced';
}

/**
 * Masked binary cross-entropy with logits for perturbed-token detection, averaged over the tokens
 * where `mask` is 1 (pass the attention mask to exclude padding, or the candidate mask to also
 * exclude special tokens). Computed as `(1−y)·x + (1 + (w−1)·y)·softplus(−x)`, which never
 * evaluates exp of a large number, so ±100 logits give exact, finite values and gradients.
 * A batch with no masked token gives 0.
 *
 * @example
 * ```ts
 * const logits = head.forward(encoder.forward(perturbedInputs).hiddenStates);
 * const loss = perturbedTokenDetectionLoss(logits, perturbed.labels, batch.attentionMask);
 * ```
 */
export function perturbedTokenDetectionLoss(
  logits: tf.Tensor2D,
  labels: TokenMatrix | tf.Tensor2D,
  mask: TokenMatrix | tf.Tensor2D,
  options: DetectionLossOptions = {},
): tf.Scalar {
  const [batch, seq] = checkLogits(logits);
  const positiveWeight = options.positiveWeight ?? 1;
  if (positiveWeight !== 'balanced' && !(Number.isFinite(positiveWeight) && positiveWeight > 0)) {
    throw new CarlError('INVALID_ARGUMENT', `positiveWeight must be a positive number or "balanced", got ${String(positiveWeight)}`, { field: 'positiveWeight' });
  }
  return tf.tidy(() => {
    const y = matrixTensor(labels, batch, seq, 'labels', true);
    const m = matrixTensor(mask, batch, seq, 'mask', false);
    let w: number;
    if (positiveWeight === 'balanced') {
      const positives = tf.sum(tf.mul(y, m)).dataSync()[0] as number;
      const total = tf.sum(m).dataSync()[0] as number;
      w = positives > 0 && total > positives ? (total - positives) / positives : 1;
    } else {
      w = positiveWeight;
    }
    const x = tf.cast(logits, 'float32');
    const perToken = tf.add(tf.mul(tf.sub(1, y), x), tf.mul(tf.add(1, tf.mul(y, w - 1)), tf.softplus(tf.neg(x))));
    return tf.div(tf.sum(tf.mul(perToken, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}

/** Detection quality over the masked tokens, thresholding logits at `threshold` (0 = probability ½). */
export interface DetectionMetrics {
  readonly accuracy: number;
  /** Of the tokens predicted perturbed, the fraction that were (0 when none was predicted). */
  readonly precision: number;
  /** Of the perturbed tokens, the fraction found (0 when none was perturbed). */
  readonly recall: number;
  readonly f1: number;
  /** Fraction of masked tokens that were perturbed. */
  readonly positiveRate: number;
  /** Number of masked tokens counted. */
  readonly count: number;
}

/**
 * Accuracy, precision, recall and F1 of the detection head, for training logs.
 *
 * @example
 * ```ts
 * const { f1, recall } = detectionMetrics(logits, perturbed.labels, batch.attentionMask);
 * ```
 */
export function detectionMetrics(logits: tf.Tensor2D, labels: TokenMatrix | tf.Tensor2D, mask: TokenMatrix | tf.Tensor2D, threshold = 0): DetectionMetrics {
  const [batch, seq] = checkLogits(logits);
  const y = toRows(labels, 'labels');
  const m = toRows(mask, 'mask');
  checkShape(y, batch, seq, 'labels');
  checkShape(m, batch, seq, 'mask');
  const x = logits.dataSync();
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (let i = 0; i < batch; i++) {
    for (let j = 0; j < seq; j++) {
      if ((m[i] as number[])[j] === 0) continue;
      const predicted = (x[i * seq + j] as number) > threshold;
      const actual = ((y[i] as number[])[j] as number) >= 0.5;
      if (predicted && actual) tp++;
      else if (predicted) fp++;
      else if (actual) fn++;
      else tn++;
    }
  }
  const count = tp + fp + fn + tn;
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { accuracy: ratio(tp + tn, count), precision, recall, f1: ratio(2 * precision * recall, precision + recall), positiveRate: ratio(tp + fn, count), count };
}

function checkLogits(logits: tf.Tensor2D): [number, number] {
  if (!(logits instanceof tf.Tensor) || logits.rank !== 2) {
    const shape = logits instanceof tf.Tensor ? `[${logits.shape.join(', ')}]` : typeof logits;
    throw new CarlError('SHAPE_MISMATCH', `logits must be a [batch, seq] tensor, got ${shape}`, { field: 'logits' });
  }
  return [logits.shape[0], logits.shape[1]];
}

/** A float32 `[batch, seq]` tensor from rows or a tensor, checking shape (and, for plain rows, the value range). */
function matrixTensor(value: TokenMatrix | tf.Tensor2D, batch: number, seq: number, field: string, unitInterval: boolean): tf.Tensor2D {
  if (value instanceof tf.Tensor) {
    if (!tf.util.arraysEqual(value.shape, [batch, seq])) {
      throw new CarlError('SHAPE_MISMATCH', `shape [${value.shape.join(', ')}] differs from the logits' [${batch}, ${seq}]`, { field });
    }
    return tf.cast(value, 'float32') as tf.Tensor2D;
  }
  const rows = toRows(value, field);
  checkShape(rows, batch, seq, field);
  const flat = new Float32Array(batch * seq);
  rows.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!Number.isFinite(v) || v < 0 || (unitInterval && v > 1)) {
        throw new CarlError('INVALID_ARGUMENT', `must be a number in ${unitInterval ? '[0, 1]' : '[0, ∞)'}, got ${v}`, { field: `${field}[${i}][${j}]` });
      }
      flat[i * seq + j] = v;
    }),
  );
  return tf.tensor2d(flat, [batch, seq]);
}
