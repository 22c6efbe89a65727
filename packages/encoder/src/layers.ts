import * as tf from '@tensorflow/tfjs-core';
import { dropout, gelu, layerNorm as fusedLayerNorm, matMul } from '@carl/core';
import type { HiddenAct } from './config';

/**
 * A PyTorch `nn.Linear` on the last axis with the weight in PyTorch's `[out, in]` layout (the layout
 * of checkpoints, kept so variables are the Hugging Face state dict as-is): one 2-D product
 * through core's `matMul`, whose gradient transposes explicitly (fast on wasm).
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const inFeatures = x.shape[x.rank - 1] as number;
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, inFeatures]) as tf.Tensor2D);
  let y: tf.Tensor = matMul(flat, weight, false, true);
  if (bias !== undefined) y = tf.add(y, bias);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), weight.shape[0]]);
}

/**
 * Layer normalisation over the last axis with PyTorch's biased variance and `eps` inside the root:
 * core's fused op (one native pass each way when fast kernels are registered, stock ops otherwise).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  return fusedLayerNorm(x, gamma, beta, eps);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The feed-forward activation: exact erf GELU for `gelu`, the tanh form for `gelu_new`, or ReLU. */
export function activation(x: tf.Tensor, kind: HiddenAct): tf.Tensor {
  switch (kind) {
    case 'gelu':
      return gelu(x);
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      // x*x*x, not tf.pow: pow's kernel and gradient are slow on wasm.
      const cube = tf.mul(tf.mul(x, x), x);
      const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), SQRT_2_OVER_PI);
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
    }
    case 'relu':
      return tf.relu(x);
  }
}

/**
 * Inverted dropout when `rate > 0` and a seed is given (training); the identity otherwise. Core's
 * counter-based dropout: the mask is a pure function of (seed, position), the same on every backend.
 * `rowOffset` shifts the counter by whole rows of the first axis (the batch), so rows of a micro-batch
 * draw the masks of the same rows of the full batch.
 */
export function maybeDropout<T extends tf.Tensor>(x: T, rate: number, seed: number | undefined, rowOffset = 0): T {
  if (seed === undefined || rate <= 0) return x;
  const rows = x.shape[0] ?? 1;
  const offset = rowOffset === 0 || rows === 0 ? 0 : rowOffset * (x.size / rows);
  return dropout(x, rate, seed, offset) as T;
}
