import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from './errors';
import { withWasmOomAsCarlError } from './memory';
import { gradientsFreeingAsItGoes } from './tape';
import { heapView, wasmBackend } from './heap';
import { adamWUpdate, FUSED_KERNEL_NAMES, type AdamWUpdateOptions } from './ops/fused';

/**
 * Where {@link AdamW} keeps its moments:
 * - `heap`: as tfjs variables beside the parameters (on wasm: inside the 4 GB wasm heap);
 * - `outside`: as plain `Float32Array`s in JavaScript memory, updating each parameter in place where the backend
 *   allows it (wasm: through a view of its heap) and through a copy otherwise. The moments are only ever read
 *   by the optimizer, so they need not take heap space from activations: 876 MB for a BERT-base model.
 */
export type MomentLocation = 'heap' | 'outside';

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
  /** Where the moments live ({@link MomentLocation}); `auto` (default): `outside` on wasm, `heap` elsewhere. */
  readonly stateLocation?: MomentLocation | 'auto';
}

/** Optimizer state as plain data (for checkpoints). */
export interface AdamWState {
  readonly step: number;
  readonly moments: Readonly<Record<string, { readonly m: Float32Array; readonly v: Float32Array }>>;
}

const defaultNoDecay = (name: string): boolean => /(bias|LayerNorm\.(weight|gamma|beta)|layer_norm|\.gamma|\.beta)$/.test(name);

type Moments = { m: Float32Array; v: Float32Array };

/**
 * Adam with decoupled weight decay, keyed by parameter name so its state can be saved with a
 * checkpoint and restored exactly (tfjs's optimizers key state by internal variable ids). Both moment
 * locations do the same float32 arithmetic in the same order, so they give the same parameters bit for bit.
 *
 * @example
 * ```ts
 * const opt = new AdamW({ learningRate: 1e-3 });
 * const { value, grads } = namedGradients(() => loss(), params);
 * opt.step(params, grads);
 * ```
 */
export class AdamW {
  readonly options: Required<Omit<AdamWOptions, 'stateLocation'>>;
  private readonly requestedLocation: MomentLocation | 'auto';
  private resolvedLocation: MomentLocation | undefined;
  private stepCount = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly outside = new Map<string, Moments>();

  constructor(options: AdamWOptions) {
    const { stateLocation, ...rest } = options;
    this.options = {
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-6,
      weightDecay: 0.01,
      noDecay: defaultNoDecay,
      ...rest,
    };
    if (stateLocation !== undefined && !['auto', 'heap', 'outside'].includes(stateLocation)) {
      throw new CarlError('INVALID_ARGUMENT', `stateLocation must be auto, heap or outside, got ${JSON.stringify(stateLocation)}`, { field: 'stateLocation' });
    }
    this.requestedLocation = stateLocation ?? 'auto';
  }

  /** Number of steps taken so far. */
  get steps(): number {
    return this.stepCount;
  }

  /**
   * Where the moments live ({@link MomentLocation}); `auto` is settled by the backend current at the first
   * step or `setState` (before that, by the current backend).
   */
  get stateLocation(): MomentLocation {
    if (this.resolvedLocation !== undefined) return this.resolvedLocation;
    if (this.requestedLocation !== 'auto') return this.requestedLocation;
    return wasmBackend() !== undefined ? 'outside' : 'heap';
  }

  /**
   * Bytes of optimizer state in tensor memory (`inHeap`, the wasm heap on wasm) and in plain JavaScript memory
   * (`outside`), for memory estimates and logs.
   *
   * @example
   * ```ts
   * const { inHeap, outside } = opt.stateBytes(); // on wasm after a step: { inHeap: 0, outside: 8 × parameter count }
   * ```
   */
  stateBytes(): { inHeap: number; outside: number } {
    let inHeap = 0;
    for (const slot of [...this.m.values(), ...this.v.values()]) inHeap += slot.size * 4;
    let outside = 0;
    for (const { m, v } of this.outside.values()) outside += m.byteLength + v.byteLength;
    return { inHeap, outside };
  }

  /**
   * One update of every parameter that has a gradient (parameters without one are left alone). Gradients may be
   * tensors or `Float32Array`s (e.g. a `GradientAccumulator`'s sums, which never enter the heap with moments
   * outside it).
   * @param learningRate this step's rate (from a schedule); default the constructor's.
   */
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor | Float32Array>, learningRate = this.options.learningRate): void {
    const location = this.settleLocation();
    withWasmOomAsCarlError(() => this.update(params, grads, learningRate, location), `the AdamW update (moments: ${location})`);
  }

  private update(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor | Float32Array>, learningRate: number, location: MomentLocation): void {
    const { beta1, beta2, epsilon, weightDecay, noDecay } = this.options;
    this.stepCount += 1;
    const t = this.stepCount;
    for (const [name, grad] of grads) {
      const param = params.get(name);
      if (param === undefined) throw new CarlError('INVALID_ARGUMENT', `gradient for unknown parameter`, { field: name });
      const options = { learningRate, beta1, beta2, epsilon, weightDecay, step: t, decay: !noDecay(name) };
      if (location === 'outside') {
        let slot = this.outside.get(name);
        if (slot === undefined) {
          slot = { m: new Float32Array(param.size), v: new Float32Array(param.size) };
          this.outside.set(name, slot);
        }
        adamWInPlace(name, param, grad, slot, options);
        continue;
      }
      const m = this.slot(this.m, name, param);
      const v = this.slot(this.v, name, param);
      // One fused kernel per parameter when registered (@carl/native-kernels), the same arithmetic otherwise.
      tf.tidy(() => {
        if (grad instanceof Float32Array && grad.length !== param.size) {
          throw new CarlError('SHAPE_MISMATCH', `AdamW: gradient has ${grad.length} values, the parameter [${param.shape.join(', ')}]`, { field: name });
        }
        const g = grad instanceof Float32Array ? tf.tensor(grad, param.shape, 'float32') : grad;
        const next = adamWUpdate(param, g, m, v, options);
        m.assign(next.m);
        v.assign(next.v);
        param.assign(next.param);
      });
    }
  }

  private settleLocation(): MomentLocation {
    this.resolvedLocation ??= this.stateLocation;
    return this.resolvedLocation;
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

  /**
   * The state as plain arrays, for a checkpoint: copies, unless `live` (moments outside the heap only), which
   * returns the optimizer's own arrays — no 2 × parameter-size copy, but valid only until the next `step`.
   */
  getState(options: { live?: boolean } = {}): AdamWState {
    const moments: Record<string, { m: Float32Array; v: Float32Array }> = {};
    for (const [name, m] of this.m) {
      moments[name] = { m: Float32Array.from(m.dataSync() as Float32Array), v: Float32Array.from((this.v.get(name) as tf.Variable).dataSync() as Float32Array) };
    }
    for (const [name, { m, v }] of this.outside) moments[name] = options.live === true ? { m, v } : { m: m.slice(), v: v.slice() };
    return { step: this.stepCount, moments };
  }

  /** Restores a state saved by {@link getState} (shapes must match the parameters; the arrays are copied). */
  setState(state: AdamWState, params: ReadonlyMap<string, tf.Variable>): void {
    for (const [name, { m, v }] of Object.entries(state.moments)) {
      const param = params.get(name);
      if (param === undefined) throw new CarlError('INVALID_CHECKPOINT', 'optimizer state names an unknown parameter', { field: name });
      if (m.length !== param.size || v.length !== param.size) {
        throw new CarlError('INVALID_CHECKPOINT', `optimizer moments have ${m.length} values, parameter has ${param.size}`, { field: name });
      }
    }
    this.dispose();
    const location = this.settleLocation();
    this.stepCount = state.step;
    for (const [name, { m, v }] of Object.entries(state.moments)) {
      const param = params.get(name) as tf.Variable;
      if (location === 'outside') {
        this.outside.set(name, { m: Float32Array.from(m), v: Float32Array.from(v) });
        continue;
      }
      this.m.set(name, tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(m), param.shape, 'float32'), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.tensor(Float32Array.from(v), param.shape, 'float32'), false)));
    }
  }

  /** Frees the moments. */
  dispose(): void {
    for (const slot of [...this.m.values(), ...this.v.values()]) slot.dispose();
    this.m.clear();
    this.v.clear();
    this.outside.clear();
  }
}

/**
 * One AdamW update with the moments in `slot`, writing the parameter in place on wasm. A buffer shared with another
 * tensor (a variable made from this one by `tf.variable(v)`, e.g. a momentum target that was never updated, or a
 * live reshape) is first replaced by a private copy, so the update never shows through another tensor.
 */
function adamWInPlace(name: string, param: tf.Variable, grad: tf.Tensor | Float32Array, slot: Moments, options: AdamWUpdateOptions): void {
  const gradSize = grad instanceof Float32Array ? grad.length : grad.size;
  if (grad instanceof Float32Array ? gradSize !== param.size : !tf.util.arraysEqual(grad.shape, param.shape)) {
    const shape = grad instanceof Float32Array ? `${gradSize} values` : `shape [${grad.shape.join(', ')}]`;
    throw new CarlError('SHAPE_MISMATCH', `AdamW: gradient has ${shape}, the parameter [${param.shape.join(', ')}]`, { field: name });
  }
  if (param.dtype !== 'float32' || (!(grad instanceof Float32Array) && grad.dtype !== 'float32')) {
    throw new CarlError('INVALID_ARGUMENT', `AdamW needs float32 parameters and gradients`, { field: name });
  }
  const backend = wasmBackend();
  if (backend !== undefined && heapView(backend, param) !== undefined && (grad instanceof Float32Array || heapView(backend, grad) !== undefined)) {
    if ((heapView(backend, param) as { refCount: number }).refCount > 1) {
      const own = tf.tensor(Float32Array.from(param.dataSync() as Float32Array), param.shape, 'float32');
      param.assign(own);
      own.dispose();
    }
    if (tf.getKernel(FUSED_KERNEL_NAMES.adamWInPlace, 'wasm') !== undefined) {
      // The native kernel (@carl/native-kernels): the same arithmetic, vectorised and threaded.
      const { learningRate, beta1, beta2, epsilon, weightDecay, step } = options;
      const decayed = weightDecay > 0 && options.decay !== false;
      const attrs = {
        m: slot.m, v: slot.v, ...(grad instanceof Float32Array ? { gradValues: grad } : {}),
        beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, correction1: 1 - beta1 ** step, correction2: 1 - beta2 ** step,
        epsilon, decay: decayed ? 1 - learningRate * weightDecay : Number.NaN, learningRate,
      };
      const inputs = grad instanceof Float32Array ? { param } : { param, grad };
      tf.engine().runKernel(FUSED_KERNEL_NAMES.adamWInPlace, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
      return;
    }
    // Views fetched after the copy: an allocation may have grown (replaced) the heap's buffer.
    const p = (heapView(backend, param) as { values: Float32Array }).values;
    const g = grad instanceof Float32Array ? grad : (heapView(backend, grad) as { values: Float32Array }).values;
    adamWArrays(p, g, slot.m, slot.v, options);
    return;
  }
  // Other backends: a private copy of the parameter, updated and assigned back (cpu's dataSync returns its own array).
  const p = Float32Array.from(param.dataSync() as Float32Array);
  adamWArrays(p, grad instanceof Float32Array ? grad : (grad.dataSync() as Float32Array), slot.m, slot.v, options);
  const next = tf.tensor(p, param.shape, 'float32');
  param.assign(next);
  next.dispose();
}

/**
 * The AdamW arithmetic of {@link adamWUpdate} on arrays, in place, every operation rounded to float32 in the same
 * order as the tfjs ops and the native kernel (a float32 +, −, ×, ÷ or √ is exactly the double result rounded once),
 * so the result is the same to the last bit.
 */
function adamWArrays(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, options: AdamWUpdateOptions): void {
  const f = Math.fround;
  const { learningRate, beta1, beta2, epsilon, weightDecay, step } = options;
  const b1 = f(beta1);
  const omb1 = f(1 - beta1);
  const b2 = f(beta2);
  const omb2 = f(1 - beta2);
  const c1 = f(1 - beta1 ** step);
  const c2 = f(1 - beta2 ** step);
  const eps = f(epsilon);
  const lr = f(learningRate);
  const decayed = weightDecay > 0 && options.decay !== false;
  const decay = f(1 - learningRate * weightDecay);
  const n = p.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i] as number;
    const mi = f(f((m[i] as number) * b1) + f(gi * omb1));
    const vi = f(f((v[i] as number) * b2) + f(f(gi * gi) * omb2));
    const update = f(f(mi / c1) / f(f(Math.sqrt(f(vi / c2))) + eps));
    const base = decayed ? f((p[i] as number) * decay) : (p[i] as number);
    m[i] = mi;
    v[i] = vi;
    p[i] = f(base - f(update * lr));
  }
}

/**
 * `tf.variableGrads` keyed by parameter name instead of tfjs's internal variable names (trainable parameters only;
 * those the loss does not depend on get no entry). Same tape and arithmetic as tfjs, but intermediate gradients and
 * saved activations are freed as the backward pass goes instead of at its end, which lowers the peak by about one
 * copy of the activations and of the gradients. A wasm heap exhaustion inside becomes `CarlError('OUT_OF_MEMORY')`
 * (see `withWasmOomAsCarlError`).
 *
 * @param options.onGradient receives each parameter's gradient as soon as it is complete, during the backward pass,
 *   instead of the returned map (which then stays empty); it owns the tensor. With a `GradientAccumulator`
 *   (`onGradient: (n, g) => acc.add(n, g)`) the gradients never all sit in the heap at once.
 *
 * @example
 * ```ts
 * const { value, grads } = namedGradients(() => tf.sum(tf.square(w)), new Map([['w', w]]));
 * ```
 */
export function namedGradients(
  f: () => tf.Scalar,
  params: ReadonlyMap<string, tf.Variable>,
  options: { onGradient?: (name: string, grad: tf.Tensor) => void } = {},
): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const entries = [...params].filter(([, v]) => v.trainable);
  if (entries.length === 0) {
    throw new CarlError('INVALID_ARGUMENT', `none of the ${params.size} parameters is trainable: nothing to differentiate`, { field: 'params' });
  }
  const { onGradient } = options;
  const sink = onGradient === undefined ? undefined : (k: number, grad: tf.Tensor): void => onGradient((entries[k] as [string, tf.Variable])[0], grad);
  const { value, grads } = withWasmOomAsCarlError(
    () => gradientsFreeingAsItGoes(f, entries.map(([, v]) => v), sink),
    `a forward and backward pass (gradients of ${entries.length} parameters)`,
  );
  if (value.rank !== 0) {
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
    throw new CarlError('INVALID_ARGUMENT', `the loss must be a scalar, got shape [${value.shape.join(', ')}]`, { field: 'f' });
  }
  const byName = new Map<string, tf.Tensor>();
  entries.forEach(([name], i) => {
    const grad = grads[i];
    if (grad !== undefined) byName.set(name, grad);
  });
  return { value: value as tf.Scalar, grads: byName };
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
