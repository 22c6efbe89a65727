import * as tf from '@tensorflow/tfjs-core';
import { matMul, softmax } from '@carl/core';
import { linear, maybeDropout } from './layers';

/** The weights of one self-attention block, in PyTorch `[out, in]` layout. */
export interface AttentionWeights {
  readonly query: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
  readonly key: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
  readonly value: { readonly weight: tf.Tensor2D; readonly bias: tf.Tensor1D };
}

// Added to the scores of padding keys. Large enough that exp() underflows to exactly 0 in float32
// (so padding never changes real tokens' outputs), small enough that score + mask stays finite.
const MASKED = -1e9;

/**
 * The additive attention mask `[batch, 1, 1, seq]`: 0 for real keys, −1e9 for padding.
 *
 * @example
 * ```ts
 * additiveMask(tf.tensor2d([[1, 1, 0]])); // [[[[0, 0, -1e9]]]]
 * ```
 */
export function additiveMask(attentionMask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, seq] = attentionMask.shape;
    const keep = tf.cast(attentionMask, 'float32');
    return tf.reshape(tf.mul(tf.sub(1, keep), MASKED), [batch, 1, 1, seq]) as tf.Tensor4D;
  });
}

/**
 * Multi-head scaled dot-product self-attention (the part of a BERT layer before the output
 * projection): `softmax(QKᵀ/√d + mask)·V` per head, heads concatenated back to `[batch, seq, hidden]`.
 * Layout work is kept to three rank-4 transposes plus one for the merge: K is transposed straight to
 * `[batch, heads, d, seq]`, so the score product needs no transpose of its own (wasm's transposes cost
 * about as much as its batched products). Products go through core's `matMul`.
 *
 * @param x `[batch, seq, hidden]`
 * @param mask from {@link additiveMask}
 * @param dropoutSeed seed for the dropout on attention probabilities (training), or undefined
 * @param rowOffset the batch row x's first row is (micro-batches; see core's `ForwardOptions.rowOffset`)
 * @example
 * ```ts
 * const context = selfAttention(hidden, weights, additiveMask(attentionMask), 4, 0.1, undefined);
 * ```
 */
export function selfAttention(...args: Parameters<typeof attentionParts>): tf.Tensor3D {
  return attentionParts(...args).context;
}

/** What {@link attentionParts} computes on the way: what a hand-written backward pass needs of the attention. */
export interface AttentionParts {
  /** The result of {@link selfAttention}, `[batch, seq, hidden]`. */
  readonly context: tf.Tensor3D;
  /** Q of every head, already scaled by 1/√d: `[batch·heads, seq, d]`. */
  readonly q: tf.Tensor3D;
  /** K of every head, transposed: `[batch·heads, d, seq]`. */
  readonly kT: tf.Tensor3D;
  /** V of every head: `[batch·heads, seq, d]`. */
  readonly v: tf.Tensor3D;
  /** The masked scores the softmax takes, `[batch, heads, seq, seq]`. */
  readonly masked: tf.Tensor4D;
}

/** {@link selfAttention} with its intermediates (same arguments, same values). */
export function attentionParts(
  x: tf.Tensor3D,
  weights: AttentionWeights,
  mask: tf.Tensor4D,
  numHeads: number,
  dropoutRate: number,
  dropoutSeed: number | undefined,
  rowOffset = 0,
): AttentionParts {
  const [batch, seq, hidden] = x.shape;
  const headSize = hidden / numHeads;
  const heads = (w: { weight: tf.Tensor2D; bias: tf.Tensor1D }, perm: number[], shape: number[]): tf.Tensor3D =>
    tf.reshape(tf.transpose(tf.reshape(linear(x, w.weight, w.bias), [batch, seq, numHeads, headSize]), perm), shape) as tf.Tensor as tf.Tensor3D;
  // The 1/√d scale goes on Q ([seq, d] per head) rather than on the [seq, seq] scores: fewer multiplies.
  const q = tf.mul(heads(weights.query, [0, 2, 1, 3], [batch * numHeads, seq, headSize]), 1 / Math.sqrt(headSize)) as tf.Tensor3D;
  const kT = heads(weights.key, [0, 2, 3, 1], [batch * numHeads, headSize, seq]);
  const v = heads(weights.value, [0, 2, 1, 3], [batch * numHeads, seq, headSize]);
  const scores = matMul(q, kT); // [batch·heads, seq, seq]
  const masked = tf.add(tf.reshape(scores, [batch, numHeads, seq, seq]), mask) as tf.Tensor4D;
  const probs = attentionProbabilities(masked, dropoutRate, dropoutSeed, rowOffset);
  const context = matMul(tf.reshape(probs, [batch * numHeads, seq, seq]) as tf.Tensor3D, v); // [batch·heads, seq, d]
  const merged = tf.transpose(tf.reshape(context, [batch, numHeads, seq, headSize]), [0, 2, 1, 3]);
  return { context: tf.reshape(merged, [batch, seq, hidden]) as tf.Tensor3D, q, kT, v, masked };
}

/** Softmax of the masked scores, then dropout on the probabilities: `[batch, heads, seq, seq]` in and out. */
export function attentionProbabilities(masked: tf.Tensor4D, dropoutRate: number, dropoutSeed: number | undefined, rowOffset = 0): tf.Tensor4D {
  return maybeDropout(softmax(masked), dropoutRate, dropoutSeed, rowOffset) as tf.Tensor4D;
}
