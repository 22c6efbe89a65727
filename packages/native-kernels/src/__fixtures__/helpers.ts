// Test helpers (not part of the build): run a block with the native kernels registered on wasm, and
// compare a computation against the stock tfjs kernels in the same process.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@carl/core';
import { expectClose } from '@carl/core/testing';
import { nativeKernelsStatus, registerNativeKernels, unregisterNativeKernels, type RegisterNativeKernelsOptions } from '../register';

const status = nativeKernelsStatus();


/**
 * `describe` with the wasm backend initialised and the native kernels registered; skipped, with the
 * reason in its title, when the addon is not built.
 */
export function describeNative(name: string, body: () => void, options: RegisterNativeKernelsOptions = {}): void {
  if (!status.available) {
    describe.skip(`${name} — skipped: ${status.reason ?? 'native addon unavailable'}`, () => {
      it('needs the native addon', () => undefined);
    });
    return;
  }
  describe(name, () => {
    beforeAll(async () => {
      tf.env().set('PROD', true);
      await initBackend({ backend: 'wasm' });
      registerNativeKernels(options);
    });
    afterAll(() => {
      unregisterNativeKernels();
    });
    body();
  });
}

/** Runs `fn` on the stock wasm kernels (temporarily unregistering ours). */
export function withStockKernels<T>(fn: () => T, options: RegisterNativeKernelsOptions = {}): T {
  unregisterNativeKernels();
  try {
    return fn();
  } finally {
    registerNativeKernels(options);
  }
}

function values(result: tf.Tensor | tf.Tensor[]): { shapes: number[][]; data: Float32Array[] } {
  const list = Array.isArray(result) ? result : [result];
  return { shapes: list.map((t) => t.shape), data: list.map((t) => Float32Array.from(t.dataSync())) };
}

/**
 * Computes `fn` with the native kernels and with the stock wasm kernels and asserts equal shapes and
 * element-wise closeness. `fn` must be deterministic (inputs created outside, or seeded).
 */
export function expectMatchesStock(fn: () => tf.Tensor | tf.Tensor[], atol = 1e-5, rtol = 1e-5): void {
  const ours = tf.tidy(() => values(fn()));
  const stock = withStockKernels(() => tf.tidy(() => values(fn())));
  expect(ours.shapes).toEqual(stock.shapes);
  ours.data.forEach((d, i) => expectSameValues(d, stock.data[i] as Float32Array, atol, rtol));
}

/** expectClose, but NaN equals NaN and infinities must match exactly (tfjs kernels propagate both). */
export function expectSameValues(actual: Float32Array, expected: Float32Array, atol: number, rtol: number): void {
  expect(actual.length).toBe(expected.length);
  const finiteA: number[] = [];
  const finiteE: number[] = [];
  expected.forEach((e, i) => {
    const a = actual[i] as number;
    if (Number.isFinite(e)) {
      finiteA.push(a);
      finiteE.push(e);
    } else if (Number.isNaN(e)) {
      if (!Number.isNaN(a)) throw new Error(`element ${i}: ${a} vs expected NaN`);
    } else if (a !== e) {
      throw new Error(`element ${i}: ${a} vs expected ${e}`);
    }
  });
  expectClose(finiteA, finiteE, atol, rtol);
}

/** A seeded normal tensor. */
export function randn(shape: number[], seed: number, std = 1): tf.Tensor {
  return tf.randomNormal(shape, 0, std, 'float32', seed);
}
