import * as tf from '@tensorflow/tfjs-core';
import { cpuUnsortedSegmentSum, wasmUnsortedSegmentSum } from './unsorted-segment-sum';

/**
 * Registers CARL's kernel replacements for one tfjs backend. Idempotent; native TensorFlow
 * backends need none (they have fast kernels of their own).
 */
export function registerKernelFixes(backendName: string): string[] {
  const registered: string[] = [];
  const replace = (config: tf.KernelConfig): void => {
    const existing = tf.getKernel(config.kernelName, config.backendName);
    if (existing?.kernelFunc === config.kernelFunc) return;
    if (existing !== undefined) tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel(config);
    registered.push(`${config.kernelName}@${config.backendName}`);
  };
  if (backendName === 'wasm') replace(wasmUnsortedSegmentSum);
  if (backendName === 'cpu') replace(cpuUnsortedSegmentSum);
  return registered;
}
