import type * as tf from '@tensorflow/tfjs-core';
import { CarlError, FUSED_KERNEL_NAMES } from '@carl/core';
import type { NativeKernelImpl } from './kernels';
import { heapOf, offsetOf, sizeOf } from './wasm';

/**
 * CarlAdamWInPlace: {param, grad?}, attrs {m, v (Float32Arrays), gradValues? (Float32Array, when no grad tensor),
 * beta1, oneMinusBeta1, beta2, oneMinusBeta2, correction1, correction2, epsilon, decay (NaN: none), learningRate}
 * → no outputs. Writes the parameter in place in the heap and the moments in place in their arrays (core's AdamW
 * with `stateLocation: 'outside'` makes sure no other tensor shares the parameter's buffer).
 */
export const adamWInPlaceKernel: NativeKernelImpl = ({ inputs, attrs, backend, addon }) => {
  const k = FUSED_KERNEL_NAMES.adamWInPlace;
  const param = inputs['param'];
  const m = attrs['m'] as unknown;
  const v = attrs['v'] as unknown;
  const grad = inputs['grad'] ?? (attrs['gradValues'] as unknown);
  if (param === undefined || param.dtype !== 'float32') throw new CarlError('INVALID_ARGUMENT', `${k} needs a float32 "param"`, { field: 'param' });
  const size = sizeOf(param.shape);
  const isArray = (x: unknown): x is Float32Array => x instanceof Float32Array && x.length === size;
  if (!isArray(m) || !isArray(v)) throw new CarlError('SHAPE_MISMATCH', `${k}: m and v must be Float32Arrays of ${size} values`, { field: 'm' });
  if (!(isArray(grad) || (grad !== undefined && !(grad instanceof Float32Array) && (grad as tf.TensorInfo).dtype === 'float32' && sizeOf((grad as tf.TensorInfo).shape) === size))) {
    throw new CarlError('SHAPE_MISMATCH', `${k}: the gradient must be a float32 tensor or Float32Array of ${size} values`, { field: 'grad' });
  }
  if (addon.adamInPlace === undefined) {
    throw new CarlError('BACKEND_UNAVAILABLE', `${k}: the native addon predates adamInPlace; rebuild it (npm run build:native -w @carl/native-kernels)`, { field: k });
  }
  const num = (name: string): number => attrs[name] as number;
  if (size > 0) {
    addon.adamInPlace(heapOf(backend), offsetOf(backend, param), isArray(grad) ? grad : offsetOf(backend, grad as tf.TensorInfo), m, v, size,
      num('beta1'), num('oneMinusBeta1'), num('beta2'), num('oneMinusBeta2'), num('correction1'), num('correction2'), num('epsilon'),
      num('decay'), num('learningRate'));
  }
  return [];
};
