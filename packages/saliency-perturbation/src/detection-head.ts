import * as tf from '@tensorflow/tfjs-core';
import { CarlError, Random, dense } from '@carl/core';

/** Options of {@link PerturbedTokenDetectionHead}. */
export interface DetectionHeadOptions {
  /** Width of the encoder's hidden states. */
  readonly hiddenSize: number;
  /** Width of the hidden layer. Default `hiddenSize` (as ELECTRA's discriminator head). */
  readonly intermediateSize?: number;
  /** Non-linearity between the two layers. Default `gelu` (tanh approximation, as BERT/ELECTRA). */
  readonly activation?: 'gelu' | 'tanh';
  /** Seed of the weight initialisation. Default 0. */
  readonly seed?: number;
  /** Standard deviation of the truncated-normal weight init. Default 0.02 (BERT's initializer range). */
  readonly initStd?: number;
  /** Prefix of the variable names. Default `ptd_head`. */
  readonly prefix?: string;
  /** Whether the variables are trainable. Default true. */
  readonly trainable?: boolean;
}

/**
 * The perturbed-token detection head: `dense → GELU/tanh → dense → one logit per token`, the shape
 * of ELECTRA's discriminator head. Variables are named `<prefix>.dense.weight` `[hidden, inter]`,
 * `<prefix>.dense.bias`, `<prefix>.dense_prediction.weight` `[inter, 1]` and
 * `<prefix>.dense_prediction.bias` (weights are `[in, out]`, the transpose of PyTorch's layout).
 *
 * @example
 * ```ts
 * const head = new PerturbedTokenDetectionHead({ hiddenSize: encoder.hiddenSize, seed: 7 });
 * const logits = head.forward(encoder.forward(inputs).hiddenStates); // [batch, seq]
 * ```
 */
export class PerturbedTokenDetectionHead {
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly activation: 'gelu' | 'tanh';
  readonly prefix: string;
  private readonly vars: Map<string, tf.Variable>;

  constructor(options: DetectionHeadOptions) {
    const { hiddenSize, intermediateSize = hiddenSize, activation = 'gelu', seed = 0, initStd = 0.02, prefix = 'ptd_head', trainable = true } = options;
    for (const [field, value] of [['hiddenSize', hiddenSize], ['intermediateSize', intermediateSize]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new CarlError('INVALID_CONFIG', `${field} must be a positive integer, got ${value}`, { field });
    }
    if (activation !== 'gelu' && activation !== 'tanh') throw new CarlError('INVALID_CONFIG', `activation must be gelu or tanh, got ${String(activation)}`, { field: 'activation' });
    if (!Number.isFinite(initStd) || initStd < 0) throw new CarlError('INVALID_CONFIG', `initStd must be a finite number ≥ 0, got ${initStd}`, { field: 'initStd' });
    this.hiddenSize = hiddenSize;
    this.intermediateSize = intermediateSize;
    this.activation = activation;
    this.prefix = prefix;
    const rng = new Random(seed);
    const init = (shape: [number, number]): tf.Tensor =>
      initStd === 0 ? tf.zeros(shape) : tf.truncatedNormal(shape, 0, initStd, 'float32', rng.seed());
    // Each initial value is released once its variable holds it (variables share its buffer).
    const make = (initial: tf.Tensor): tf.Variable => {
      const v = tf.variable(initial, trainable);
      initial.dispose();
      return v;
    };
    // No explicit tfjs names: those are global, and two heads (online + momentum copy) must coexist.
    this.vars = new Map([
      [`${prefix}.dense.weight`, make(init([hiddenSize, intermediateSize]))],
      [`${prefix}.dense.bias`, make(tf.zeros([intermediateSize]))],
      [`${prefix}.dense_prediction.weight`, make(init([intermediateSize, 1]))],
      [`${prefix}.dense_prediction.bias`, make(tf.zeros([1]))],
    ]);
  }

  /**
   * Logits `[batch, seq]` (> 0 means "perturbed") from hidden states `[batch, seq, hidden]`.
   *
   * @example
   * ```ts
   * const probs = tf.sigmoid(head.forward(hiddenStates));
   * ```
   */
  forward(hiddenStates: tf.Tensor3D): tf.Tensor2D {
    if (!(hiddenStates instanceof tf.Tensor) || hiddenStates.rank !== 3 || hiddenStates.shape[2] !== this.hiddenSize) {
      const shape = hiddenStates instanceof tf.Tensor ? `[${hiddenStates.shape.join(', ')}]` : typeof hiddenStates;
      throw new CarlError('SHAPE_MISMATCH', `hidden states must be [batch, seq, ${this.hiddenSize}], got ${shape}`, { field: 'hiddenStates' });
    }
    return tf.tidy(() => {
      const [batch, seq] = hiddenStates.shape;
      const h = dense(hiddenStates, this.v('dense.weight') as tf.Tensor2D, this.v('dense.bias') as tf.Tensor1D);
      const a = this.activation === 'gelu' ? gelu(h) : tf.tanh(h);
      return tf.reshape(dense(a, this.v('dense_prediction.weight') as tf.Tensor2D, this.v('dense_prediction.bias') as tf.Tensor1D), [batch, seq]);
    });
  }

  /**
   * Every variable by name, for the optimiser and for checkpoints.
   *
   * @example
   * ```ts
   * const params = new Map([...encoder.variables(), ...head.variables()]);
   * ```
   */
  variables(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  /**
   * Frees every variable.
   *
   * @example
   * ```ts
   * head.dispose();
   * ```
   */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }

  private v(name: string): tf.Variable {
    return this.vars.get(`${this.prefix}.${name}`) as tf.Variable;
  }
}

/** tanh-approximate GELU; `x·x·x` rather than `pow`, which is slow on wasm. */
function gelu(x: tf.Tensor): tf.Tensor {
  const cube = tf.mul(tf.mul(x, x), x);
  const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}
