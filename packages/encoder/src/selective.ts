import * as tf from '@tensorflow/tfjs-core';
import { matMul } from '@carl/core';
import { attentionProbabilities, type AttentionParts } from './attention';
import type { EncoderConfig } from './config';
import { activation, layerNorm, maybeDropout } from './layers';

/**
 * What a transformer layer's forward pass computes on the way that its backward pass needs: the attention's
 * parts plus the two residual sums (inputs of the LayerNorms) and the feed-forward product before its activation.
 */
export interface LayerParts extends AttentionParts {
  /** attention output (after dropout) + the layer's input: what the first LayerNorm takes. */
  readonly firstSum: tf.Tensor3D;
  /** The intermediate dense layer's output, before the activation: `[batch, seq, intermediate]`. */
  readonly inner: tf.Tensor3D;
  /** FFN output (after dropout) + the first LayerNorm's output: what the second LayerNorm takes. */
  readonly secondSum: tf.Tensor3D;
}

/** The tensors {@link layerBackward} needs: the layer's input and the parts that matrix products made. */
export type SavedLayer = Pick<LayerParts, 'q' | 'kT' | 'v' | 'masked' | 'context' | 'firstSum' | 'inner' | 'secondSum'> & { readonly x: tf.Tensor3D };

/** The dropout seeds of one layer (attention probabilities, attention output, FFN output); undefined: no dropout. */
export type LayerSeeds = readonly [number | undefined, number | undefined, number | undefined];

/**
 * The backward pass of one BERT/RoBERTa layer, written out by hand so that the forward pass keeps only what
 * matrix products made (Q, Kᵀ, V, the masked scores, the attention context, the two residual sums and the
 * FFN's inner product: about 12 hidden-sized vectors per token at 64 tokens, where tfjs's tape keeps several times
 * more). The cheap element-wise parts — softmax with its dropout, both LayerNorms, the activation — are run
 * again from those tensors, and dropout masks are drawn again from their seeds (they are a pure function of
 * seed and position).
 *
 * Returns the gradient of the layer's input and of every weight, keyed by the name after `encoder.layer.N.`.
 *
 * @param dy gradient of the layer's output, `[batch, seq, hidden]`
 * @param weight the layer's weight by that suffix, e.g. `weight('intermediate.dense.bias')`
 * @example
 * ```ts
 * const { dx, grads } = layerBackward(dy, saved, (name) => weights.get(`encoder.layer.0.${name}`), config, seeds, 0);
 * grads.get('attention.self.query.weight'); // [hidden, hidden]
 * ```
 */
export function layerBackward(
  dy: tf.Tensor,
  saved: SavedLayer,
  weight: (name: string) => tf.Tensor,
  config: EncoderConfig,
  seeds: LayerSeeds,
  rowOffset: number,
): { dx: tf.Tensor3D; grads: Map<string, tf.Tensor> } {
  const [batch, seq, hidden] = saved.x.shape;
  const heads = config.numAttentionHeads;
  const headSize = hidden / heads;
  const grads = new Map<string, tf.Tensor>();
  const flat = (t: tf.Tensor): tf.Tensor2D => tf.reshape(t, [-1, t.shape[t.rank - 1] as number]) as tf.Tensor2D;
  // y = x·Wᵀ + b (PyTorch layout): dW = dyᵀ·x, db = Σ dy, dx = dy·W.
  const linearBack = (name: string, dOut: tf.Tensor2D, input: tf.Tensor2D): tf.Tensor2D => {
    grads.set(`${name}.weight`, matMul(dOut, input, true, false));
    grads.set(`${name}.bias`, tf.sum(dOut, 0));
    return matMul(dOut, weight(`${name}.weight`) as tf.Tensor2D);
  };
  const normBack = (name: string, input: tf.Tensor, dOut: tf.Tensor): { value: tf.Tensor; dIn: tf.Tensor } => {
    const gamma = weight(`${name}.weight`);
    const beta = weight(`${name}.bias`);
    const { value, grads: [dIn, dGamma, dBeta] } = valueAndGradsInsideBackward((xs) => layerNorm(xs[0] as tf.Tensor, xs[1] as tf.Tensor1D, xs[2] as tf.Tensor1D, config.layerNormEps), [input, gamma, beta], dOut);
    grads.set(`${name}.weight`, dGamma as tf.Tensor);
    grads.set(`${name}.bias`, dBeta as tf.Tensor);
    return { value, dIn: dIn as tf.Tensor };
  };
  const dropoutBack = (d: tf.Tensor, seed: number | undefined): tf.Tensor => maybeDropout(d, config.hiddenDropoutProb, seed, rowOffset);

  // Second sub-layer: y = LN₂(dropout(FFN(h)) + h), h = LN₁(firstSum).
  const dSecond = normBack('output.LayerNorm', saved.secondSum, dy).dIn;
  const dOut = flat(dropoutBack(dSecond, seeds[2]));
  const dActivated = matMul(dOut, weight('output.dense.weight') as tf.Tensor2D);
  const act = valueAndGradsInsideBackward((xs) => activation(xs[0] as tf.Tensor, config.hiddenAct), [flat(saved.inner)], dActivated);
  grads.set('output.dense.weight', matMul(dOut, act.value as tf.Tensor2D, true, false));
  grads.set('output.dense.bias', tf.sum(dOut, 0));
  const dInner = act.grads[0] as tf.Tensor2D;
  const dH = tf.reshape(tf.add(matMul(dInner, weight('intermediate.dense.weight') as tf.Tensor2D), flat(dSecond)), [batch, seq, hidden]);

  // First sub-layer: h = LN₁(dropout(context·Woᵀ + bo) + x). Dropout runs on [batch, seq, hidden] tensors, as
  // in the forward pass, so that rowOffset counts whole sentences. LN₁'s backward also gives h back, which the
  // intermediate weight's gradient needs.
  const first = normBack('attention.output.LayerNorm', saved.firstSum, dH);
  grads.set('intermediate.dense.weight', matMul(dInner, flat(first.value), true, false));
  grads.set('intermediate.dense.bias', tf.sum(dInner, 0));
  const dFirst = first.dIn;
  const dContext = linearBack('attention.output.dense', flat(dropoutBack(dFirst, seeds[1])), flat(saved.context));

  // Attention: context = merge(dropout(softmax(masked))·V), masked = Q·Kᵀ + mask (Q pre-scaled by 1/√d).
  const fromHeads = (t: tf.Tensor, shape: number[], perm: number[]): tf.Tensor2D => tf.reshape(tf.transpose(tf.reshape(t, shape), perm), [batch * seq, hidden]) as tf.Tensor2D;
  const dC = tf.reshape(tf.transpose(tf.reshape(dContext, [batch, seq, heads, headSize]), [0, 2, 1, 3]), [batch * heads, seq, headSize]) as tf.Tensor3D;
  const dProbs = tf.reshape(matMul(dC, saved.v, false, true), [batch, heads, seq, seq]);
  const probs = valueAndGradsInsideBackward((xs) => attentionProbabilities(xs[0] as tf.Tensor4D, config.attentionProbsDropoutProb, seeds[0], rowOffset), [saved.masked], dProbs);
  const p = tf.reshape(probs.value, [batch * heads, seq, seq]) as tf.Tensor3D;
  const dScores = tf.reshape(probs.grads[0] as tf.Tensor, [batch * heads, seq, seq]) as tf.Tensor3D;
  const dV = matMul(p, dC, true, false);
  const dQ = tf.mul(matMul(dScores, saved.kT, false, true), 1 / Math.sqrt(headSize));
  const dKT = matMul(saved.q, dScores, true, false);
  const x = flat(saved.x);
  const dx = tf.addN([
    flat(dFirst),
    linearBack('attention.self.query', fromHeads(dQ, [batch, heads, seq, headSize], [0, 2, 1, 3]), x),
    linearBack('attention.self.key', fromHeads(dKT, [batch, heads, headSize, seq], [0, 3, 1, 2]), x),
    linearBack('attention.self.value', fromHeads(dV, [batch, heads, seq, headSize], [0, 2, 1, 3]), x),
  ]);
  return { dx: tf.reshape(dx, [batch, seq, hidden]) as tf.Tensor3D, grads };
}

/**
 * `tf.valueAndGrads` called from inside another gradient's backward pass. tfjs keeps one tape per engine: a
 * nested `gradients` call that starts at depth 0 replaces the tape and sets it to null when done, and the outer
 * call then fails to free its own saved tensors. Restoring the outer tape afterwards keeps both intact.
 */
export function valueAndGradsInsideBackward(f: (xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor): { value: tf.Tensor; grads: tf.Tensor[] } {
  const state = tf.engine().state;
  const outer = state.activeTape;
  try {
    return tf.valueAndGrads((...args: tf.Tensor[]) => f(args))(xs, dy);
  } finally {
    state.activeTape = outer;
  }
}
