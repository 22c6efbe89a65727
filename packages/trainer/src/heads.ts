import * as tf from '@tensorflow/tfjs-core';
import { CarlError, Random, dense } from '@carl/core';

/** Options of {@link MlpHead}. */
export interface MlpHeadOptions {
  readonly inputSize: number;
  readonly outputSize: number;
  /** 1 = linear; 2 = dense → ReLU → dense with `hiddenSize` units. */
  readonly layers: number;
  /** Width of the hidden layer of a 2-layer head. Default `inputSize`. */
  readonly hiddenSize?: number;
  /** Prefix of the variable names, e.g. `projection` → `projection.0.weight`. */
  readonly prefix: string;
  readonly seed: number;
  readonly trainable?: boolean;
}

/**
 * A small MLP on sentence embeddings: the projection head of the contrastive methods (SimCLR/MoCo v2:
 * losses see the projection, users get the embedding below it) and the VA head of `mse-regression`.
 * Weights `[in, out]` are initialised N(0, 1/fan_in) (LeCun), biases 0; names are
 * `<prefix>.<layer>.weight|bias`, so a head saves to and loads from safetensors by name.
 *
 * @example
 * ```ts
 * const head = new MlpHead({ inputSize: 128, outputSize: 64, layers: 2, prefix: 'projection', seed: 1 });
 * const z = head.forward(pooled); // [batch, 64]
 * ```
 */
export class MlpHead {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly layers: number;
  readonly prefix: string;
  private readonly vars: Map<string, tf.Variable>;

  constructor(options: MlpHeadOptions, variables?: Map<string, tf.Variable>) {
    const { inputSize, outputSize, layers, prefix } = options;
    for (const [field, value] of [['inputSize', inputSize], ['outputSize', outputSize]] as const) {
      if (!Number.isInteger(value) || value <= 0) throw new CarlError('INVALID_ARGUMENT', `${field} must be a positive integer, got ${value}`, { field });
    }
    if (layers !== 1 && layers !== 2) throw new CarlError('INVALID_ARGUMENT', `layers must be 1 or 2, got ${layers}`, { field: 'layers' });
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    this.layers = layers;
    this.prefix = prefix;
    if (variables !== undefined) {
      this.vars = variables;
      return;
    }
    const hidden = options.hiddenSize ?? inputSize;
    const sizes = layers === 1 ? [inputSize, outputSize] : [inputSize, hidden, outputSize];
    const rng = new Random(options.seed);
    const trainable = options.trainable ?? true;
    this.vars = new Map();
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fanIn = sizes[l] as number;
      const fanOut = sizes[l + 1] as number;
      const seed = rng.seed();
      // Inside tidy: tf.variable shares the initial tensor's data, and the initial tensor itself must not outlive it.
      tf.tidy(() => {
        this.vars.set(`${prefix}.${l}.weight`, tf.variable(tf.randomNormal([fanIn, fanOut], 0, 1 / Math.sqrt(fanIn), 'float32', seed), trainable));
        this.vars.set(`${prefix}.${l}.bias`, tf.variable(tf.zeros([fanOut]), trainable));
      });
    }
  }

  /** `[batch, inputSize]` → `[batch, outputSize]`. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inputSize) {
      throw new CarlError('SHAPE_MISMATCH', `${this.prefix} head expects [batch, ${this.inputSize}], got [${x.shape.join(', ')}]`, { field: this.prefix });
    }
    return tf.tidy(() => {
      let h: tf.Tensor = x;
      for (let l = 0; l < this.layers; l++) {
        h = dense(h, this.v(`${l}.weight`) as tf.Tensor2D, this.v(`${l}.bias`) as tf.Tensor1D);
        if (l + 1 < this.layers) h = tf.relu(h);
      }
      return h as tf.Tensor2D;
    });
  }

  /** Every variable by name. */
  variables(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  /** A copy with its own variables (the momentum target's head). */
  clone(options: { trainable?: boolean } = {}): MlpHead {
    const copies = new Map([...this.vars].map(([name, v]) => [name, tf.tidy(() => tf.variable(tf.clone(v), options.trainable ?? true))] as const));
    return new MlpHead({ inputSize: this.inputSize, outputSize: this.outputSize, layers: this.layers, prefix: this.prefix, seed: 0 }, copies);
  }

  /** Overwrites the variables with saved values (by name; shapes must match). */
  load(values: ReadonlyMap<string, Float32Array>): void {
    for (const [name, variable] of this.vars) {
      const data = values.get(name);
      if (data === undefined) throw new CarlError('INVALID_CHECKPOINT', `missing tensor for the ${this.prefix} head`, { field: name });
      if (data.length !== variable.size) throw new CarlError('INVALID_CHECKPOINT', `has ${data.length} values, expected ${variable.size}`, { field: name });
      variable.assign(tf.tensor(data, variable.shape, 'float32'));
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }

  private v(name: string): tf.Variable {
    return this.vars.get(`${this.prefix}.${name}`) as tf.Variable;
  }
}
