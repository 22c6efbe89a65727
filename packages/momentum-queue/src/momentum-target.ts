import * as tf from '@tensorflow/tfjs-core';
import { CarlError, type Encoder } from '@carl/core';

/** MoCo's default momentum. */
export const DEFAULT_MOMENTUM = 0.999;

/** Options of {@link MomentumTarget.fromEncoder} and {@link MomentumTarget.fromVariables}. */
export interface MomentumTargetOptions {
  /** m in θ_k ← m·θ_k + (1 − m)·θ_q, used when `update` is called without one. Default 0.999. */
  readonly momentum?: number;
}

function checkMomentum(m: number): number {
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 0 || m > 1) {
    throw new CarlError('INVALID_ARGUMENT', `momentum must be a number in [0, 1], got ${String(m)}`, { field: 'momentum' });
  }
  return m;
}

function isEncoder(value: Encoder | ReadonlyMap<string, tf.Variable>): value is Encoder {
  return typeof (value as Encoder).variables === 'function' && typeof (value as Encoder).clone === 'function';
}

/**
 * A momentum (EMA) target network: its own copy of the online parameters, moved towards them after
 * every optimiser step by `θ_k ← m·θ_k + (1 − m)·θ_q`. The copies are non-trainable variables, so
 * `tf.variableGrads` never differentiates them, and the update runs outside any gradient tape.
 *
 * @example
 * ```ts
 * const target = MomentumTarget.fromEncoder(online, { momentum: 0.999 });
 * const keys = target.encoder.forward(inputs).pooled; // no gradient flows into the target
 * // … optimiser step on the online encoder …
 * target.update(online, schedule(step));
 * ```
 */
export class MomentumTarget<E extends Encoder | undefined = Encoder | undefined> {
  /** The target encoder (when built from one): run it to compute keys. */
  readonly encoder: E;
  private readonly vars: ReadonlyMap<string, tf.Variable>;
  private defaultMomentum: number;
  private disposed = false;

  private constructor(vars: ReadonlyMap<string, tf.Variable>, encoder: E, momentum: number) {
    this.vars = vars;
    this.encoder = encoder;
    this.defaultMomentum = momentum;
  }

  /**
   * A target encoder from `online.clone({ trainable: false })`.
   * @example
   * ```ts
   * const target = MomentumTarget.fromEncoder(online);
   * ```
   */
  static fromEncoder(online: Encoder, options: MomentumTargetOptions = {}): MomentumTarget<Encoder> {
    const momentum = checkMomentum(options.momentum ?? DEFAULT_MOMENTUM);
    const clone = online.clone({ trainable: false });
    const vars = clone.variables();
    // An encoder that ignores the flag would leave trainable copies, which variableGrads would differentiate.
    for (const v of vars.values()) v.trainable = false;
    const target = new MomentumTarget<Encoder>(vars, clone, momentum);
    try {
      target.checkCompatible(online.variables());
    } catch (error) {
      clone.dispose(); // a clone that does not mirror its source is useless; do not leak it
      throw error;
    }
    return target;
  }

  /**
   * A target holding non-trainable copies of any named variables (a projection head, a whole model).
   * @example
   * ```ts
   * const target = MomentumTarget.fromVariables(new Map([['head.weight', w]]));
   * ```
   */
  static fromVariables(online: ReadonlyMap<string, tf.Variable>, options: MomentumTargetOptions = {}): MomentumTarget<undefined> {
    const momentum = checkMomentum(options.momentum ?? DEFAULT_MOMENTUM);
    const copies = new Map<string, tf.Variable>();
    for (const [name, v] of online) {
      // Inside tidy: the variable keeps the clone's storage and the temporary handle is released.
      copies.set(name, tf.tidy(() => tf.variable(tf.clone(v), false)));
    }
    return new MomentumTarget<undefined>(copies, undefined, momentum);
  }

  /** The target's parameters by name (non-trainable). */
  get variables(): ReadonlyMap<string, tf.Variable> {
    this.checkAlive();
    return this.vars;
  }

  /** The momentum `update` uses when called without one. */
  get momentum(): number {
    return this.defaultMomentum;
  }

  set momentum(m: number) {
    this.defaultMomentum = checkMomentum(m);
  }

  /**
   * Moves every target parameter towards the online one: `θ_k ← m·θ_k + (1 − m)·θ_q`, in place.
   * `m = 1` freezes the target; `m = 0` copies the online parameters.
   *
   * @param online the online encoder, or its variables by the same names.
   * @param momentum this step's m (e.g. from {@link momentumSchedule}); default {@link momentum}.
   * @example
   * ```ts
   * target.update(online);        // m = target.momentum
   * target.update(online, 0.996); // this step's m
   * ```
   */
  update(online: Encoder | ReadonlyMap<string, tf.Variable>, momentum: number = this.defaultMomentum): void {
    this.checkAlive();
    const m = checkMomentum(momentum);
    const sources = isEncoder(online) ? online.variables() : online;
    this.checkCompatible(sources);
    if (m === 1) return;
    tf.tidy(() => {
      for (const [name, target] of this.vars) {
        const source = sources.get(name) as tf.Variable;
        // θ_q + m·(θ_k − θ_q): one multiply fewer than m·θ_k + (1 − m)·θ_q, same value.
        target.assign(m === 0 ? tf.clone(source) : tf.add(source, tf.mul(tf.sub(target, source), m)));
      }
    });
  }

  /**
   * Frees the target's variables (and its encoder); later calls throw.
   * @example
   * ```ts
   * target.dispose();
   * ```
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.encoder !== undefined) this.encoder.dispose();
    else for (const v of this.vars.values()) v.dispose();
  }

  private checkAlive(): void {
    if (this.disposed) throw new CarlError('INVALID_ARGUMENT', 'this MomentumTarget was disposed', { field: 'MomentumTarget' });
  }

  private checkCompatible(sources: ReadonlyMap<string, tf.Variable>): void {
    for (const [name, target] of this.vars) {
      const source = sources.get(name);
      if (source === undefined) throw new CarlError('INVALID_ARGUMENT', 'the online parameters lack this target parameter', { field: name });
      if (!tf.util.arraysEqual(source.shape, target.shape) || source.dtype !== target.dtype) {
        throw new CarlError('SHAPE_MISMATCH', `online ${source.dtype}[${source.shape.join(', ')}] vs target ${target.dtype}[${target.shape.join(', ')}]`, {
          field: name,
        });
      }
    }
    for (const name of sources.keys()) {
      if (!this.vars.has(name)) throw new CarlError('INVALID_ARGUMENT', 'the target has no copy of this online parameter', { field: name });
    }
  }
}
