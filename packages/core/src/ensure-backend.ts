import * as tf from '@tensorflow/tfjs-core';
import { currentBackend, initBackend } from './backend';

/**
 * Starts the default backend (what `initBackend()` picks) unless one is already chosen — by
 * `initBackend` or by the caller through tfjs itself (`tf.setBackend`). Library entry points that make
 * tensors call it so a fresh process works without an explicit `initBackend()` (tfjs alone fails
 * there with "No backend found in registry").
 *
 * @example
 * ```ts
 * await ensureBackend(); // no-op after initBackend({ backend: 'cpu' })
 * ```
 */
export async function ensureBackend(): Promise<void> {
  if (currentBackend() !== undefined) return;
  // tfjs keeps the chosen backend's name; null (or unset) means nobody picked one yet.
  if (tf.engine().backendName) return;
  await initBackend();
}
