import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from './errors';
import { adamWUpdate } from './ops/fused';

/** Options of {@link AdamW}. */
export interface AdamWOptions {
  /** Base learning rate (a schedule may pass another one to each `step`). */
  readonly learningRate: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /** Default 1e-6 (as BERT's AdamW): float32-safe for tiny second moments. */
  readonly epsilon?: number;
  /** Decoupled weight decay (Loshchilov & Hutter). Default 0.01. */
  readonly weightDecay?: number;
  /** Parameters that get no weight decay. Default: biases and layer-norm parameters. */
  readonly noDecay?: (name: string) => boolean;
}

/** Optimizer state as plain data (for checkpoints). */
export interface AdamWState {
  readonly step: number;
  readonly moments: Readonly<Record<string, { readonly m: Float32Array; readonly v: Float32Array }>>;
}

const defaultNoDecay = (name: string): boolean => /(bias|LayerNorm\.(weight|gamma|beta)|layer_norm|\.gamma|\.beta)$/.test(name);

/**
 * Adam with decoupled weight decay, keyed by parameter name so its state can be saved with a
 * checkpoint and restored exactly (tfjs's optimizers key state by internal variable ids).
 *
 * @example
 * ```ts
 * const opt = new AdamW({ learningRate: 1e-3 });
 * const { value, grads } = namedGradients(() => loss(), params);
 * opt.step(params, grads);
 * ```
 */
export class AdamW {
  readonly options: Required<AdamWOptions>;
  private stepCount = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(options: AdamWOptions) {
    this.options = {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-6,
      weightDecay: 0.01,
      noDecay: defaultNoDecay,
      ...options,
    };
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /**
   * One update of every parameter that has a gradient (parameters without one are left alone).
   * @param learningRate this step's rate (from a schedule); default the constructor's.
   */
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, learningRate = this.options.learningRate): void {
    const { beta1, beta2, epsilon, weightDecay, noDecay } = this.options;
    this.stepCount += 1;
    const t = this.stepCount;
    for (const [name, grad] of grads) {
      const param = params.get(name);
      if (param === undefined) throw new CarlError('INVALID_ARGUMENT', `gradient for unknown parameter`, { field: name });
      const m = this.slot(this.m, name, param);
      const v = this.slot(this.v, name, param);
      // One fused kernel per parameter when registered (@carl/native-kernels), the same arithmetic otherwise.
      tf.tidy(() => {
        const next = adamWUpdate(param, grad, m, v, { learningRate, beta1, beta2, epsilon, weightDecay, step: t, decay: !noDecay(name) });
        m.assign(next.m);
        v.assign(next.v);
        param.assign(next.param);
      });
    }
  }

  private slot(store: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let slot = store.get(name);
    if (slot === undefined) {
      // tidy frees the zeros tensor the variable was made from (a variable is never disposed by tidy).
      slot = tf.tidy(() => tf.variable(tf.zerosLike(like), false));
      store.set(name, slot);
    }
    return slot;
  }

  /** The state as plain arrays, for a checkpoint. */
  getState(): AdamWState {
    const moments: Record<string, { m: Float32Array; v: Float32Array }> = {};
    for (const [name, m] of this.m) {
      moments[name] = { m: m.dataSync() as Float32Array, v: (this.v.get(name) as tf.Variable).dataSync() as Float32Array };
    }
    return { step: this.stepCount, moments };
  }

  /** Restores a state saved by {@link getState} (shapes must match the parameters). */
  setState(state: AdamWState, params: ReadonlyMap<string, tf.Variable>): void {
    this.dispose();
    this.stepCount = state.step;
    for (const [name, { m, v }] of Object.entries(state.moments)) {
      const param = params.get(name);
      if (param === undefined) throw new CarlError('INVALID_CHECKPOINT', 'optimizer state names an unknown parameter', { field: name });
      if (m.length !== param.size || v.length !== param.size) {
        throw new CarlError('INVALID_CHECKPOINT', `optimizer moments have ${m.length} values, parameter has ${param.size}`, { field: name });
      }
      this.m.set(name, tf.tidy(() => tf.variable(tf.tensor(m, param.shape, 'float32'), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.tensor(v, param.shape, 'float32'), false)));
    }
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const slot of [...this.m.values(), ...this.v.values()]) slot.dispose();
    this.m.clear();
    this.v.clear();
  }
}

/**
 * `tf.variableGrads` keyed by parameter name instead of tfjs's internal variable names.
 *
 * @example
 * ```ts
 * const { value, grads } = namedGradients(() => tf.sum(tf.square(w)), new Map([['w', w]]));
 * ```
 */
export function namedGradients(
  f: () => tf.Scalar,
  params: ReadonlyMap<string, tf.Variable>,
): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const entries = [...params].filter(([, v]) => v.trainable);
  const { value, grads } = tf.variableGrads(f, entries.map(([, v]) => v));
  const byName = new Map<string, tf.Tensor>();
  for (const [name, variable] of entries) {
    const grad = grads[variable.name];
    if (grad !== undefined) byName.set(name, grad);
  }
  return { value, grads: byName };
}

/**
 * Rescales gradients so their global L2 norm is at most `maxNorm` (disposing the inputs it replaces).
 * Returns the norm before clipping (NaN/Inf propagate so the caller can stop the run).
 *
 * @example
 * ```ts
 * const { grads: clipped, norm } = clipByGlobalNorm(grads, 1.0);
 * ```
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = Math.sqrt(
    [...grads.values()].reduce((sum, g) => {
      const squared = tf.tidy(() => tf.sum(tf.square(g)));
      const value = squared.dataSync()[0] as number;
      squared.dispose();
      return sum + value;
    }, 0),
  );
  if (!Number.isFinite(norm) || norm <= maxNorm) return { grads, norm };
  const scale = maxNorm / norm;
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) {
    clipped.set(name, tf.mul(g, scale));
    g.dispose();
  }
  return { grads: clipped, norm };
}

/** Options of {@link learningRateSchedule}. */
export interface ScheduleOptions {
  readonly peak: number;
  readonly warmupSteps: number;
  readonly totalSteps: number;
  /** Shape after warm-up. Default `linear`. */
  readonly decay?: 'linear' | 'cosine' | 'constant';
  /** Floor as a fraction of the peak. Default 0. */
  readonly minRatio?: number;
}

/**
 * Linear warm-up to `peak`, then linear or cosine decay to `minRatio·peak` at `totalSteps`.
 *
 * @example
 * ```ts
 * const lr = learningRateSchedule({ peak: 1e-3, warmupSteps: 10, totalSteps: 100 });
 * lr(5); // 5e-4 (half-way through warm-up)
 * ```
 */
export function learningRateSchedule(options: ScheduleOptions): (step: number) => number {
  const { peak, warmupSteps, totalSteps, decay = 'linear', minRatio = 0 } = options;
  return (step: number) => {
    if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
    if (decay === 'constant') return peak;
    const span = Math.max(1, totalSteps - warmupSteps);
    const progress = Math.min(1, Math.max(0, (step - warmupSteps) / span));
    const shape = decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
    return peak * (minRatio + (1 - minRatio) * shape);
  };
}
