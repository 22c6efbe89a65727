/**
 * Test helpers for CARL-TS packages (and for users testing code built on them).
 * Not part of the main API: import from `@carl/core/testing`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../backend';

// The helpers run under any runner with jest-style globals (jest, vitest with globals); declared here
// so the published typings do not depend on @types/jest.
declare const describe: (name: string, body: () => void) => void;
declare const beforeAll: (fn: () => Promise<void> | void) => void;

/** The backends every test suite runs on here (no native TensorFlow in CI). */
export const TEST_BACKENDS: readonly BackendName[] = ['cpu', 'wasm'];

/**
 * Runs one `describe` block per backend, switching backend in `beforeAll`
 * (in the spirit of tfjs's `describeWithFlags`).
 *
 * @example
 * ```ts
 * describeWithBackends('matMul', () => { it('multiplies', () => { ... }); });
 * ```
 */
export function describeWithBackends(name: string, body: (backend: BackendName) => void, backends: readonly BackendName[] = TEST_BACKENDS): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        // Silences tfjs's "install tfjs-node" banner. (Not IS_TEST: its kernel leak check misreads the
        // tensors customGrad saves on wasm as a leak.)
        tf.env().set('PROD', true);
        await initBackend({ backend });
      });
      body(backend);
    });
  }
}

/**
 * Asserts two arrays (or tensors) are element-wise close: |a − b| ≤ atol + rtol·|b|.
 *
 * @example
 * ```ts
 * expectClose(tf.add(1, 2), [3]);
 * ```
 */
export function expectClose(actual: tf.Tensor | ArrayLike<number> | number, expected: tf.Tensor | ArrayLike<number> | number, atol = 1e-5, rtol = 1e-5): void {
  const a = toArray(actual);
  const e = toArray(expected);
  if (a.length !== e.length) throw new Error(`expectClose: length ${a.length} ≠ expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = e[i] as number;
    if (!(Math.abs(x - y) <= atol + rtol * Math.abs(y))) {
      throw new Error(`expectClose: element ${i}: ${x} vs expected ${y} (atol ${atol}, rtol ${rtol})`);
    }
  }
}

function toArray(value: tf.Tensor | ArrayLike<number> | number): number[] {
  if (typeof value === 'number') return [value];
  if (value instanceof tf.Tensor) return Array.from(value.dataSync());
  return Array.from(value);
}

/**
 * Central finite-difference gradient of a scalar function at `x` (computed in float64 on the JS side
 * around float32 evaluations, so use step ≈ 1e-2…1e-3 and tolerances ≈ 1e-2).
 *
 * @example
 * ```ts
 * const g = numericGradient((t) => tf.sum(tf.square(t)), tf.tensor1d([1, 2])); // ≈ [2, 4]
 * ```
 */
export function numericGradient(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, step = 1e-2): Float64Array {
  const base = Float64Array.from(x.dataSync());
  const grad = new Float64Array(base.length);
  const evalAt = (values: Float64Array): number =>
    tf.tidy(() => f(tf.tensor(Float32Array.from(values), x.shape, 'float32')).dataSync()[0] as number);
  for (let i = 0; i < base.length; i++) {
    const plus = base.slice();
    const minus = base.slice();
    plus[i] = (plus[i] as number) + step;
    minus[i] = (minus[i] as number) - step;
    grad[i] = (evalAt(plus) - evalAt(minus)) / (2 * step);
  }
  return grad;
}

/**
 * Checks tfjs's analytic gradient of `f` at `x` against {@link numericGradient}.
 *
 * @example
 * ```ts
 * expectGradientsClose((t) => tf.sum(tf.exp(t)), tf.tensor1d([0.1, -0.3]));
 * ```
 */
export function expectGradientsClose(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, atol = 2e-2, rtol = 2e-2, step = 1e-2): void {
  const analytic = tf.tidy(() => tf.grad(f)(x).dataSync());
  const numeric = numericGradient(f, x, step);
  expectClose(analytic, numeric, atol, rtol);
}

/**
 * Runs `fn` and asserts it leaves no tensor behind (`tf.memory().numTensors` unchanged).
 *
 * @example
 * ```ts
 * expectNoTensorLeak(() => loss(q, k, labels).dispose());
 * ```
 */
export function expectNoTensorLeak(fn: () => void): void {
  const before = tf.memory().numTensors;
  fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${after - before} tensors left behind`);
}

export { createToyEncoder, ToyTokenizer } from './toy-encoder';
export type { ToyEncoderOptions } from './toy-encoder';
export { tempDir, tmpTree, realDataDir, describeWithData, withEnv, expectCarlError } from './data';
export type { CarlErrorExpectation } from './data';
