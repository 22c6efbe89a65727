import * as tf from '@tensorflow/tfjs-core';
import { CarlError, namedGradients } from '@carl/core';
import type { Encoder, EncoderInputs, EncoderOutput, ForwardOptions } from '@carl/core';
import { candidateMask, checkShape, toRows, type TokenMatrix } from './matrix';

/**
 * How a token's gradient becomes one saliency number.
 * - `grad-norm`: ‖∂L/∂e_t‖₂, how strongly the loss reacts to any small change of the token's embedding.
 * - `grad-x-input`: |∂L/∂e_t · e_t|, the first-order change of the loss if the token were removed
 *   (its embedding set to zero); it favours tokens that already carry a large, aligned embedding.
 */
export type SaliencyScore = 'grad-norm' | 'grad-x-input';

/**
 * A scalar objective of the encoder output whose gradient defines saliency, e.g. the trainer's
 * MCCL loss or a valence probe. It also receives the word embeddings it was computed from.
 */
export type SaliencyLoss = (output: EncoderOutput, embeddings: tf.Tensor3D) => tf.Scalar;

/** Options of {@link tokenSaliency}. */
export interface TokenSaliencyOptions {
  readonly encoder: Encoder;
  readonly inputs: EncoderInputs;
  /** The loss to differentiate. */
  readonly loss: SaliencyLoss;
  /**
   * 1 where a token is special ([CLS], [SEP], …) or padding, as `TokenizedBatch.specialTokensMask`.
   * Default: tokens whose id is the tokenizer's pad, cls, sep or mask id. Padding (attention 0) is
   * always excluded.
   */
  readonly specialTokensMask?: TokenMatrix | tf.Tensor2D;
  /** Default `grad-norm` (it does not depend on the embedding scale of the model). */
  readonly score?: SaliencyScore;
  /** Passed to `forwardFromEmbeddings`: use the training step's `{ training, seed }` so the gradient sees the same dropout. */
  readonly forwardOptions?: ForwardOptions;
  /** Word embeddings already computed for `inputs.inputIds` (saves one lookup); not disposed. */
  readonly embeddings?: tf.Tensor3D;
  /**
   * Also return the gradient and the embeddings as tensors (the caller disposes them); the
   * `embedding` perturbation strategy needs both. Default false.
   */
  readonly keepTensors?: boolean;
  /**
   * Parameters to differentiate in the same backward pass (e.g. `encoder.variables()` plus the
   * projection head): the result then carries their gradients, so a trainer gets the loss's
   * parameter gradients and the token saliency from one forward and one backward pass instead of two.
   */
  readonly variables?: ReadonlyMap<string, tf.Variable>;
}

/** What {@link tokenSaliency} returns. */
export interface TokenSaliency {
  /** One row per sentence, one score per position; 0 at special and padding positions. */
  readonly scores: Float32Array[];
  /** 1 where a token may be selected (real and not special), 0 elsewhere. */
  readonly candidates: number[][];
  /** The loss value the gradient came from. */
  readonly loss: number;
  /** `∂L/∂e`, `[batch, seq, hidden]`, when `keepTensors` is set (caller disposes). */
  readonly gradient?: tf.Tensor3D;
  /** The word embeddings `e` the gradient was taken at, when `keepTensors` is set (caller disposes). */
  readonly embeddings?: tf.Tensor3D;
  /** Gradients of the loss for `variables`, by name, when `variables` was given (caller disposes). */
  readonly grads?: Map<string, tf.Tensor>;
}

/** A {@link TokenSaliency} holding its gradient and embeddings. */
export type TokenSaliencyWithTensors = TokenSaliency & { readonly gradient: tf.Tensor3D; readonly embeddings: tf.Tensor3D };

// A key no real parameter name can collide with.
const PROBE = '\u0000saliency-probe';

/**
 * Per-token saliency of a scalar loss: the gradient of the loss with respect to each input token
 * embedding, reduced to one score per token, with special and padding tokens set to 0.
 * Works with any {@link Encoder}: it runs `embedTokens` then `forwardFromEmbeddings`.
 *
 * @example
 * ```ts
 * const batch = encoder.tokenizer.encodeBatch(['what a lovely day', 'meh']);
 * const inputs = toEncoderInputs(batch);
 * const { scores } = tokenSaliency({
 *   encoder, inputs, specialTokensMask: batch.specialTokensMask,
 *   loss: (out) => tf.sum(matMul(out.pooled, valenceProbe)),
 * });
 * ```
 */
export function tokenSaliency(options: TokenSaliencyOptions & { readonly keepTensors: true }): TokenSaliencyWithTensors;
export function tokenSaliency(options: TokenSaliencyOptions): TokenSaliency;
export function tokenSaliency(options: TokenSaliencyOptions): TokenSaliency {
  const { encoder, inputs, loss, forwardOptions = {} } = options;
  const score = options.score ?? 'grad-norm';
  if (score !== 'grad-norm' && score !== 'grad-x-input') {
    throw new CarlError('INVALID_ARGUMENT', `unknown saliency score "${String(score)}"; expected grad-norm or grad-x-input`, { field: 'score' });
  }
  const [batch, seq] = inputs.inputIds.shape;
  const candidates = candidateMask(inputs.attentionMask, options.specialTokensMask ?? defaultSpecialMask(encoder, inputs.inputIds));
  checkShape(candidates, batch, seq, 'inputs.attentionMask');

  const embeddings = options.embeddings ?? tf.tidy(() => encoder.embedTokens(inputs.inputIds));
  if (embeddings.rank !== 3 || embeddings.shape[0] !== batch || embeddings.shape[1] !== seq) {
    if (options.embeddings === undefined) embeddings.dispose();
    throw new CarlError('SHAPE_MISMATCH', `embeddings have shape [${embeddings.shape.join(', ')}], expected [${batch}, ${seq}, hidden]`, {
      field: 'embeddings',
    });
  }
  // A throw inside a tfjs gradient tape leaks the tape's tensors, so a wrong shape is only noted
  // here (the sum stands in for the value) and reported once the tape is closed.
  let badShape: string | undefined;
  const objective = (e: tf.Tensor3D): tf.Scalar => {
    const value = loss(encoder.forwardFromEmbeddings(e, inputs, forwardOptions), e);
    if (value instanceof tf.Tensor && value.rank !== 0) {
      badShape = `shape [${value.shape.join(', ')}]`;
      return tf.sum(value);
    }
    if (!(value instanceof tf.Tensor)) {
      throw new CarlError('SHAPE_MISMATCH', `the saliency loss must return a scalar tensor, got ${typeof value}`, { field: 'loss' });
    }
    return value;
  };

  let value: tf.Scalar;
  let gradient: tf.Tensor3D;
  let grads: Map<string, tf.Tensor> | undefined;
  try {
    if (options.variables === undefined) {
      ({ value, grad: gradient } = tf.valueAndGrad(objective)(embeddings));
    } else {
      // The probe is a zero variable added to the embeddings, so ∂L/∂probe = ∂L/∂e, and
      // variableGrads returns it together with the parameter gradients from one backward pass.
      // The embeddings are looked up inside the closure so the word-embedding table gets its gradient.
      // (Built in a tidy so the zeros the variable was made from are released with it.)
      const probe = tf.tidy(() => tf.variable(tf.zerosLike(embeddings), true));
      try {
        const result = namedGradients(
          () => objective(tf.add(encoder.embedTokens(inputs.inputIds), probe) as tf.Tensor3D),
          new Map([...options.variables, [PROBE, probe]]),
        );
        value = result.value;
        gradient = result.grads.get(PROBE) as tf.Tensor3D;
        result.grads.delete(PROBE);
        grads = result.grads;
      } finally {
        probe.dispose();
      }
    }
  } catch (error) {
    if (options.embeddings === undefined) embeddings.dispose();
    throw error;
  }

  const lossValue = value.dataSync()[0] as number;
  value.dispose();
  if (badShape !== undefined) {
    gradient.dispose();
    if (options.embeddings === undefined) embeddings.dispose();
    grads?.forEach((g) => g.dispose());
    throw new CarlError('SHAPE_MISMATCH', `the saliency loss must return a scalar tensor, got ${badShape}`, { field: 'loss' });
  }
  const flat = tf.tidy(() => {
    const perToken = score === 'grad-norm' ? tf.sqrt(tf.sum(tf.square(gradient), -1)) : tf.abs(tf.sum(tf.mul(gradient, embeddings), -1));
    return perToken.dataSync() as Float32Array;
  });
  const scores: Float32Array[] = [];
  for (let i = 0; i < batch; i++) {
    const row = flat.slice(i * seq, (i + 1) * seq);
    const eligible = candidates[i] as number[];
    for (let j = 0; j < seq; j++) {
      if (eligible[j] === 0) row[j] = 0;
      else if (!Number.isFinite(row[j] as number)) {
        gradient.dispose();
        if (options.embeddings === undefined) embeddings.dispose();
        grads?.forEach((g) => g.dispose());
        throw new CarlError('NUMERIC_INSTABILITY', `the loss gradient is not finite at sentence ${i}, token ${j} (loss ${lossValue})`, {
          field: 'loss',
        });
      }
    }
    scores.push(row);
  }

  const keep = options.keepTensors === true;
  if (!keep) {
    gradient.dispose();
    if (options.embeddings === undefined) embeddings.dispose();
  }
  const result: TokenSaliency = { scores, candidates, loss: lossValue };
  return {
    ...result,
    ...(keep ? { gradient, embeddings: options.embeddings === undefined ? embeddings : embeddings.clone() } : {}),
    ...(grads === undefined ? {} : { grads }),
  };
}

/** Special-token mask from the tokenizer's ids, for callers that only have tensors. */
function defaultSpecialMask(encoder: Encoder, inputIds: tf.Tensor2D): number[][] {
  const { pad, cls, sep, mask } = encoder.tokenizer.specialTokens;
  // [UNK] is deliberately left selectable: it stands for a real (unknown) word of the text.
  const special = new Set([pad, cls, sep, mask].filter((id): id is number => id !== undefined));
  return toRows(inputIds, 'inputs.inputIds').map((row) => row.map((id) => (special.has(id) ? 1 : 0)));
}
