import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '../errors';
import { dropoutMask } from './dropout-mask';

/**
 * Names of the fused kernels (a contract between these ops and the packages that register fast
 * implementations, such as @carl/native-kernels). Each op below runs its kernel when one is registered
 * for the current backend and the same arithmetic from stock tfjs ops otherwise.
 */
export const FUSED_KERNEL_NAMES = {
  layerNorm: 'CarlLayerNorm',
  layerNormGrad: 'CarlLayerNormGrad',
  gelu: 'CarlGelu',
  geluGrad: 'CarlGeluGrad',
  softmaxGrad: 'CarlSoftmaxGrad',
  dropout: 'CarlDropout',
  adamW: 'CarlAdamW',
  /** AdamW writing the parameter in place, moments in Float32Arrays outside the heap (core's AdamW, `stateLocation: 'outside'`). */
  adamWInPlace: 'CarlAdamWInPlace',
} as const;

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

function runKernel(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, number> = {}): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap);
  return Array.isArray(out) ? out : [out];
}

/**
 * Layer normalisation over the last axis, `(x − mean)/√(var + ε)·gamma + beta` with the biased variance
 * (as `tf.moments`, BERT and PyTorch's LayerNorm). One fused native pass forward and one backward when
 * a fast kernel (e.g. @carl/native-kernels) has registered `CarlLayerNorm` for the current backend; otherwise the same
 * formula from stock tfjs ops (so results agree across backends to float rounding).
 *
 * @param epsilon default 1e-12 (BERT's).
 * @example
 * ```ts
 * const y = layerNorm(x, gamma, beta); // x [batch, seq, 128], gamma/beta [128]
 * ```
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon = 1e-12): tf.Tensor {
  const n = x.shape[x.rank - 1];
  if (x.rank === 0 || n === undefined) throw new CarlError('INVALID_ARGUMENT', 'layerNorm needs a tensor of rank ≥ 1', { field: 'x' });
  for (const [name, t] of [['gamma', gamma], ['beta', beta]] as const) {
    if (t.size !== n) {
      throw new CarlError('SHAPE_MISMATCH', `layerNorm: ${name} has ${t.size} values, the last axis of x [${x.shape.join(', ')}] has ${n}`, { field: name });
    }
  }
  if (!(epsilon >= 0)) throw new CarlError('INVALID_ARGUMENT', `layerNorm: epsilon must be ≥ 0, got ${epsilon}`, { field: 'epsilon' });
  const dtypesOk = x.dtype === 'float32' && gamma.dtype === 'float32' && beta.dtype === 'float32';
  if (!dtypesOk || !hasKernel(FUSED_KERNEL_NAMES.layerNorm)) {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
    });
  }
  const fused = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, rstd] = runKernel(FUSED_KERNEL_NAMES.layerNorm, { x: xs, gamma: g, beta: b }, { epsilon }) as [tf.Tensor, tf.Tensor, tf.Tensor];
    save([xs, g, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sg, sm, sr] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        const [dx, dgamma, dbeta] = runKernel(FUSED_KERNEL_NAMES.layerNormGrad, { dy, x: sx, gamma: sg, mean: sm, rstd: sr }) as [tf.Tensor, tf.Tensor, tf.Tensor];
        return [dx, tf.reshape(dgamma, g.shape), tf.reshape(dbeta, b.shape)];
      },
    };
  });
  return fused(x, gamma, beta);
}

/**
 * The exact GELU, `x·Φ(x) = ½x(1 + erf(x/√2))` (BERT's and PyTorch's default). One fused native pass each
 * way when `CarlGelu` is registered; otherwise stock tfjs ops (`tf.erf`).
 *
 * @example
 * ```ts
 * const h = gelu(dense(x, w1, b1));
 * ```
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype !== 'float32' || !hasKernel(FUSED_KERNEL_NAMES.gelu)) {
    return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
  }
  const fused = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([xs]);
    return {
      value: runKernel(FUSED_KERNEL_NAMES.gelu, { x: xs })[0] as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runKernel(FUSED_KERNEL_NAMES.geluGrad, { dy, x: saved[0] as tf.Tensor })[0] as tf.Tensor,
    };
  });
  return fused(x);
}

/**
 * Softmax over the last axis whose gradient is one fused pass (`CarlSoftmaxGrad`) instead of tfjs's four
 * ops over the whole attention tensor; `tf.softmax` when the kernel is not registered.
 *
 * @example
 * ```ts
 * const probs = softmax(tf.add(scores, maskAdd)); // [batch, heads, seq, seq]
 * ```
 */
export function softmax(logits: tf.Tensor): tf.Tensor {
  if (logits.rank === 0) throw new CarlError('INVALID_ARGUMENT', 'softmax needs a tensor of rank ≥ 1', { field: 'logits' });
  if (logits.dtype !== 'float32' || !hasKernel(FUSED_KERNEL_NAMES.softmaxGrad)) return tf.softmax(logits, -1);
  const fused = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.softmax(xs, -1);
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runKernel(FUSED_KERNEL_NAMES.softmaxGrad, { dy, y: saved[0] as tf.Tensor })[0] as tf.Tensor,
    };
  });
  return fused(logits);
}

/**
 * Inverted dropout, `x·mask/(1 − rate)`, with a counter-based mask: a pure function of `(seed, element
 * index)`, so the same seed drops the same elements on every backend, natively (`CarlDropout`, one pass,
 * no mask tensor kept for the gradient) or in JavaScript. tfjs's own `tf.dropout` draws its mask one
 * number at a time in JavaScript, which cost about 50 ms per step of the `tiny` encoder.
 *
 * @param rate in [0, 1); 0 returns `x` unchanged.
 * @param seed any integer (e.g. `rng.seed()` from core's `Random`); only its low 32 bits are used.
 * @param offset the mask counter of x's first element (default 0): x then gets elements `[offset, offset + size)`
 *   of the mask a larger tensor would get. A micro-batch starting at row r of a batch passes `r · (size / rows)`,
 *   so its dropout does not depend on how the batch was split.
 * @example
 * ```ts
 * const h = dropout(hidden, 0.1, rng.seed());
 * ```
 */
export function dropout(x: tf.Tensor, rate: number, seed: number, offset = 0): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new CarlError('INVALID_ARGUMENT', `dropout rate must be in [0, 1), got ${rate}`, { field: 'rate' });
  if (!Number.isInteger(seed)) throw new CarlError('INVALID_ARGUMENT', `dropout seed must be an integer, got ${seed}`, { field: 'seed' });
  if (!(Number.isSafeInteger(offset) && offset >= 0)) {
    throw new CarlError('INVALID_ARGUMENT', `dropout offset must be an integer ≥ 0, got ${offset}`, { field: 'offset' });
  }
  if (x.dtype !== 'float32') throw new CarlError('INVALID_ARGUMENT', `dropout needs a float32 tensor, got ${x.dtype}`, { field: 'x' });
  if (rate === 0) return x;
  // A registered kernel must honour `offset` (@carl/native-kernels' CarlDropout does); at 0 it is left out.
  const attrs: Record<string, number> = offset === 0 ? { rate, seed: seed >>> 0 } : { rate, seed: seed >>> 0, offset };
  if (!hasKernel(FUSED_KERNEL_NAMES.dropout)) {
    return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMask(x.size, rate, seed >>> 0, offset), x.shape, 'float32')));
  }
  const fused = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs] = args as [tf.Tensor];
    return {
      value: runKernel(FUSED_KERNEL_NAMES.dropout, { x: xs }, attrs)[0] as tf.Tensor,
      gradFunc: (dy: tf.Tensor) => runKernel(FUSED_KERNEL_NAMES.dropout, { x: dy }, attrs)[0] as tf.Tensor,
    };
  });
  return fused(x);
}

/** Hyper-parameters of one {@link adamWUpdate}. */
export interface AdamWUpdateOptions {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Decoupled weight decay; 0 or `decay: false` for none. */
  readonly weightDecay: number;
  /** 1-based step number (for the bias corrections). */
  readonly step: number;
  /** Whether this parameter is decayed (biases and LayerNorm parameters usually are not). Default true. */
  readonly decay?: boolean;
}

/**
 * One AdamW update of a parameter and its moments, returned as new tensors (assign them to the variables):
 * exactly the arithmetic of @carl/core's `AdamW.step` — m' = β1·m + (1−β1)·g, v' = β2·v + (1−β2)·g²,
 * p' = p·(1 − lr·wd) − lr·(m'/c1)/(√(v'/c2) + ε) — in one native pass (`CarlAdamW`) instead of 15 tfjs ops,
 * or with those ops when the kernel is not registered. For the `tiny` encoder's 1M-value embedding table
 * the ops cost about 5 ms per step.
 *
 * @example
 * ```ts
 * const next = adamWUpdate(w, grad, m, v, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-6, weightDecay: 0.01, step: 1 });
 * w.assign(next.param); m.assign(next.m); v.assign(next.v);
 * ```
 */
export function adamWUpdate(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, options: AdamWUpdateOptions): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const { learningRate, beta1, beta2, epsilon, weightDecay, step } = options;
  for (const [name, t] of [['grad', grad], ['m', m], ['v', v]] as const) {
    if (!tf.util.arraysEqual(t.shape, param.shape)) {
      throw new CarlError('SHAPE_MISMATCH', `adamWUpdate: ${name} has shape [${t.shape.join(', ')}], the parameter [${param.shape.join(', ')}]`, { field: name });
    }
  }
  if (!(step >= 1) || !Number.isInteger(step)) throw new CarlError('INVALID_ARGUMENT', `adamWUpdate: step must be an integer ≥ 1, got ${step}`, { field: 'step' });
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  const decayed = weightDecay > 0 && options.decay !== false;
  const allFloat = [param, grad, m, v].every((t) => t.dtype === 'float32');
  if (allFloat && hasKernel(FUSED_KERNEL_NAMES.adamW)) {
    const [p, m2, v2] = runKernel(FUSED_KERNEL_NAMES.adamW, { param, grad, m, v }, {
      beta1, oneMinusBeta1: 1 - beta1, beta2, oneMinusBeta2: 1 - beta2, correction1, correction2, epsilon,
      decay: decayed ? 1 - learningRate * weightDecay : Number.NaN, learningRate,
    }) as [tf.Tensor, tf.Tensor, tf.Tensor];
    return { param: p, m: m2, v: v2 };
  }
  // The same operations, in the same order, as core's AdamW.step.
  return tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, beta1), tf.mul(grad, 1 - beta1));
    const v2 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(grad), 1 - beta2));
    const update = tf.div(tf.div(m2, correction1), tf.add(tf.sqrt(tf.div(v2, correction2)), epsilon));
    const base = decayed ? tf.mul(param, 1 - learningRate * weightDecay) : param;
    return { param: tf.sub(base, tf.mul(update, learningRate)), m: m2, v: v2 };
  });
}
