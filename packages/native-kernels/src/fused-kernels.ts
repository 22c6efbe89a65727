import type * as tf from '@tensorflow/tfjs-core';
import { CarlError, FUSED_KERNEL_NAMES, dropoutThreshold } from '@carl/core';
import { adamWInPlaceKernel } from './adam-in-place';
import type { NativeKernelImpl } from './kernels';
import { heapOf, offsetOf, sizeOf } from './wasm';


function need(t: tf.TensorInfo | undefined, kernel: string, name: string): tf.TensorInfo {
  if (t === undefined || t.dtype !== 'float32') {
    throw new CarlError('INVALID_ARGUMENT', `${kernel} needs a float32 input "${name}"`, { field: name });
  }
  return t;
}

function lastDim(t: tf.TensorInfo): number {
  return (t.shape[t.shape.length - 1] ?? 1) as number;
}

/** CarlLayerNorm: {x, gamma, beta}, attrs {epsilon} → [y, mean, rstd] (mean/rstd per row, for the gradient). */
const layerNormKernel: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const k = FUSED_KERNEL_NAMES.layerNorm;
  const x = need(inputs['x'], k, 'x');
  const gamma = need(inputs['gamma'], k, 'gamma');
  const beta = need(inputs['beta'], k, 'beta');
  const n = lastDim(x);
  if (x.shape.length === 0 || sizeOf(gamma.shape) !== n || sizeOf(beta.shape) !== n) {
    throw new CarlError('SHAPE_MISMATCH', `${k}: gamma and beta need ${n} values (the last axis of x [${x.shape.join(', ')}])`, { field: 'gamma' });
  }
  const rows = n === 0 ? 0 : sizeOf(x.shape) / n;
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([rows], 'float32');
  const rstd = backend.makeOutput([rows], 'float32');
  if (rows * n > 0) {
    addon.layerNorm(heapOf(backend), offsetOf(backend, x), offsetOf(backend, gamma), offsetOf(backend, beta), offsetOf(backend, y),
      offsetOf(backend, mean), offsetOf(backend, rstd), rows, n, attrs['epsilon'] as number);
  }
  return [y, mean, rstd];
};

/** CarlLayerNormGrad: {dy, x, gamma, mean, rstd} → [dx, dgamma, dbeta]. */
const layerNormGradKernel: NativeKernelImpl = ({ inputs, backend, addon }) => {
  const k = FUSED_KERNEL_NAMES.layerNormGrad;
  const dy = need(inputs['dy'], k, 'dy');
  const x = need(inputs['x'], k, 'x');
  const gamma = need(inputs['gamma'], k, 'gamma');
  const mean = need(inputs['mean'], k, 'mean');
  const rstd = need(inputs['rstd'], k, 'rstd');
  const n = lastDim(x);
  const rows = n === 0 ? 0 : sizeOf(x.shape) / n;
  if (sizeOf(dy.shape) !== sizeOf(x.shape) || sizeOf(mean.shape) !== rows || sizeOf(rstd.shape) !== rows || sizeOf(gamma.shape) !== n) {
    throw new CarlError('SHAPE_MISMATCH', `${k}: inconsistent shapes`, { field: 'dy' });
  }
  const dx = backend.makeOutput(x.shape, 'float32');
  const dgamma = backend.makeOutput(gamma.shape, 'float32');
  const dbeta = backend.makeOutput(gamma.shape, 'float32');
  addon.layerNormGrad(heapOf(backend), offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, gamma), offsetOf(backend, mean),
    offsetOf(backend, rstd), offsetOf(backend, dx), offsetOf(backend, dgamma), offsetOf(backend, dbeta), rows, n);
  return [dx, dgamma, dbeta];
};

/** CarlGelu: {x} → x·Φ(x) (exact, erf-based). */
const geluKernel: NativeKernelImpl = ({ inputs, backend, addon }) => {
  const x = need(inputs['x'], FUSED_KERNEL_NAMES.gelu, 'x');
  const y = backend.makeOutput(x.shape, 'float32');
  const size = sizeOf(x.shape);
  if (size > 0) addon.gelu(heapOf(backend), offsetOf(backend, x), offsetOf(backend, y), size);
  return y;
};

/** CarlGeluGrad: {dy, x} → dy·(Φ(x) + x·φ(x)). */
const geluGradKernel: NativeKernelImpl = ({ inputs, backend, addon }) => {
  const dy = need(inputs['dy'], FUSED_KERNEL_NAMES.geluGrad, 'dy');
  const x = need(inputs['x'], FUSED_KERNEL_NAMES.geluGrad, 'x');
  if (sizeOf(dy.shape) !== sizeOf(x.shape)) throw new CarlError('SHAPE_MISMATCH', 'CarlGeluGrad: dy and x differ in size', { field: 'dy' });
  const dx = backend.makeOutput(x.shape, 'float32');
  const size = sizeOf(x.shape);
  if (size > 0) addon.geluGrad(heapOf(backend), offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, dx), size);
  return dx;
};

/** CarlSoftmaxGrad: {dy, y} → y·(dy − Σ dy·y) over the last axis. */
const softmaxGradKernel: NativeKernelImpl = ({ inputs, backend, addon }) => {
  const dy = need(inputs['dy'], FUSED_KERNEL_NAMES.softmaxGrad, 'dy');
  const y = need(inputs['y'], FUSED_KERNEL_NAMES.softmaxGrad, 'y');
  if (sizeOf(dy.shape) !== sizeOf(y.shape)) throw new CarlError('SHAPE_MISMATCH', 'CarlSoftmaxGrad: dy and y differ in size', { field: 'dy' });
  const n = lastDim(y);
  const dx = backend.makeOutput(y.shape, 'float32');
  const size = sizeOf(y.shape);
  if (size > 0) addon.softmaxGrad(heapOf(backend), offsetOf(backend, dy), offsetOf(backend, y), offsetOf(backend, dx), size / n, n);
  return dx;
};

/**
 * CarlDropout: {x}, attrs {rate, seed, offset?} → x·mask/(1 − rate); on dy with the same attrs it is its own
 * gradient. `offset` (default 0) shifts the mask counter, so a micro-batch draws its slice of the batch's mask.
 */
const dropoutKernel: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const x = need(inputs['x'], FUSED_KERNEL_NAMES.dropout, 'x');
  const rate = attrs['rate'] as number;
  const seed = attrs['seed'] as number;
  const offset = typeof attrs['offset'] === 'number' ? attrs['offset'] : 0;
  const y = backend.makeOutput(x.shape, 'float32');
  const size = sizeOf(x.shape);
  if (size > 0) addon.dropout(heapOf(backend), offsetOf(backend, x), offsetOf(backend, y), size, seed >>> 0, dropoutThreshold(rate), 1 / (1 - rate), offset);
  return y;
};

/**
 * CarlAdamW: {param, grad, m, v}, attrs {beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2,
 * epsilon, decay (NaN: none), learningRate} → [param', m', v'] (new tensors: variables are swapped with
 * `assign`, never written in place, because tfjs may share a buffer between tensors).
 */
const adamWKernel: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const k = FUSED_KERNEL_NAMES.adamW;
  const param = need(inputs['param'], k, 'param');
  const grad = need(inputs['grad'], k, 'grad');
  const m = need(inputs['m'], k, 'm');
  const v = need(inputs['v'], k, 'v');
  const size = sizeOf(param.shape);
  if ([grad, m, v].some((t) => sizeOf(t.shape) !== size)) throw new CarlError('SHAPE_MISMATCH', `${k}: param, grad, m and v differ in size`, { field: 'grad' });
  const outs = [backend.makeOutput(param.shape, 'float32'), backend.makeOutput(param.shape, 'float32'), backend.makeOutput(param.shape, 'float32')] as const;
  const num = (name: string): number => attrs[name] as number;
  if (size > 0) {
    addon.adam(heapOf(backend), offsetOf(backend, param), offsetOf(backend, grad), offsetOf(backend, m), offsetOf(backend, v),
      offsetOf(backend, outs[0]), offsetOf(backend, outs[1]), offsetOf(backend, outs[2]), size, num('beta1'), num('oneMinusBeta1'),
      num('beta2'), num('oneMinusBeta2'), num('correction1'), num('correction2'), num('epsilon'), num('decay'), num('learningRate'));
  }
  return [...outs];
};

export const FUSED_KERNELS = {
  [FUSED_KERNEL_NAMES.layerNorm]: layerNormKernel,
  [FUSED_KERNEL_NAMES.layerNormGrad]: layerNormGradKernel,
  [FUSED_KERNEL_NAMES.gelu]: geluKernel,
  [FUSED_KERNEL_NAMES.geluGrad]: geluGradKernel,
  [FUSED_KERNEL_NAMES.softmaxGrad]: softmaxGradKernel,
  [FUSED_KERNEL_NAMES.dropout]: dropoutKernel,
  [FUSED_KERNEL_NAMES.adamW]: adamWKernel,
  [FUSED_KERNEL_NAMES.adamWInPlace]: adamWInPlaceKernel,
} as const satisfies Record<string, NativeKernelImpl>;

export type FusedKernelName = keyof typeof FUSED_KERNELS;
