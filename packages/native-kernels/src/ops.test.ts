import * as tf from '@tensorflow/tfjs-core';
import { dropout, dropoutMask, gelu, isCarlError, layerNorm, softmax } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { describeNative, expectMatchesStock, randn, withStockKernels } from './__fixtures__/helpers';

// Φ(x) from erf, for hand-checked GELU values: GELU(1) = Φ(1) = 0.8413447, GELU(−1) = −(1 − Φ(1)).
const GELU = { [-1]: -0.15865525, 0: 0, 1: 0.84134475, 2: 1.95449974 } as const;

describeWithBackends('fused ops on stock kernels (the fallback path)', () => {
  it('layerNorm matches a hand-worked row', () => {
    // mean 2.5, biased variance 1.25 → (x − 2.5)/√1.25 = ±0.4472, ±1.3416
    const y = layerNorm(tf.tensor2d([[1, 2, 3, 4]]), tf.tensor1d([1, 2, 1, 1]), tf.tensor1d([0, 0, 1, 0]));
    expectClose(y, [-1.3416408, -0.8944272, 1.4472136, 1.3416408], 1e-5, 1e-5);
  });

  it('layerNorm has finite-difference gradients for x, gamma and beta', () => {
    const x = tf.tensor2d([[0.3, -1.2, 2.0], [1.5, 0.1, -0.4]]);
    const g = tf.tensor1d([1.1, 0.7, -0.5]);
    const b = tf.tensor1d([0.2, 0, -0.3]);
    const w = tf.tensor2d([[1, -2, 0.5], [0.3, 1, 2]]);
    expectGradientsClose((t) => tf.sum(tf.mul(layerNorm(t, g, b, 1e-5), w)), x);
    expectGradientsClose((t) => tf.sum(tf.mul(layerNorm(x, t, b, 1e-5), w)), g);
    expectGradientsClose((t) => tf.sum(tf.mul(layerNorm(x, g, t, 1e-5), w)), b);
  });

  it('gelu matches hand-checked values and its finite-difference gradient', () => {
    expectClose(gelu(tf.tensor1d([-1, 0, 1, 2])), [GELU[-1], GELU[0], GELU[1], GELU[2]], 1e-6, 1e-5);
    expectGradientsClose((t) => tf.sum(tf.mul(gelu(t), tf.tensor1d([1, -2, 0.5, 3]))), tf.tensor1d([-1.3, -0.2, 0.4, 2.1]));
  });

  it('softmax is tf.softmax on the last axis, gradient included', () => {
    const x = tf.tensor2d([[1, 2, 3], [0, 0, -1e9]]);
    expectClose(softmax(x), tf.softmax(x));
    expectGradientsClose((t) => tf.sum(tf.mul(softmax(t), tf.tensor2d([[1, 0, 2], [3, 1, 0]]))), tf.tensor2d([[0.1, -0.4, 0.3], [1, 0.5, -2]]));
  });

  it('dropout scales kept elements by 1/(1 − rate), drops the rest, and is its own mask in the gradient', () => {
    const x = tf.ones([20, 50]);
    const y = dropout(x, 0.25, 7).dataSync();
    const mask = dropoutMask(1000, 0.25, 7);
    expectClose(y, mask);
    expect(new Set(Array.from(y).map((v) => v.toFixed(4)))).toEqual(new Set(['0.0000', '1.3333']));
    expectClose(tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.25, 7)))(x), mask);
  });

  it('dropout with rate 0 is the identity; bad rates and seeds are typed errors', () => {
    const x = tf.tensor1d([1, 2]);
    expect(dropout(x, 0, 1)).toBe(x);
    for (const [rate, seed, field] of [[1, 1, 'rate'], [-0.1, 1, 'rate'], [Number.NaN, 1, 'rate'], [0.1, 1.5, 'seed']] as const) {
      let error: unknown;
      try {
        dropout(x, rate, seed);
      } catch (e) {
        error = e;
      }
      expect(isCarlError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toContain(`[${field}]`);
    }
  });

  it('layerNorm rejects gamma/beta of the wrong size and a scalar input', () => {
    expect(() => layerNorm(tf.ones([2, 3]), tf.ones([4]), tf.zeros([3]))).toThrow(/\[gamma\].*4 values.*3/);
    expect(() => layerNorm(tf.scalar(1), tf.ones([1]), tf.zeros([1]))).toThrow(/rank ≥ 1/);
  });

  it('leaves no tensor behind', () => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 1);
    const g = tf.ones([4]);
    const b = tf.zeros([4]);
    expectNoTensorLeak(() => {
      tf.tidy(() => {
        tf.grads((t: tf.Tensor) => tf.sum(dropout(gelu(softmax(layerNorm(t, g, b))), 0.5, 3)))([x]);
      });
    });
  });
});

describeNative('fused ops on the native kernels', () => {
  let x: tf.Tensor;
  let gamma: tf.Tensor;
  let beta: tf.Tensor;
  let w: tf.Tensor;
  beforeAll(() => {
    x = tf.add(randn([6, 10, 128], 1, 2), 3);
    gamma = randn([128], 2);
    beta = randn([128], 3);
    w = randn([6, 10, 128], 4);
  });

  it('are served by the fused kernels', () => {
    for (const name of ['CarlLayerNorm', 'CarlGelu', 'CarlSoftmaxGrad', 'CarlDropout']) expect(tf.getKernel(name, 'wasm')).toBeDefined();
  });

  it('layerNorm matches the stock-op formula, forward and all three gradients', () => {
    expectMatchesStock(() => layerNorm(x, gamma, beta), 2e-5, 1e-5);
    expectMatchesStock(() => tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b), w)))([x, gamma, beta]), 2e-4, 1e-4);
  });

  it('gelu matches the stock erf formula, forward and gradient', () => {
    expectMatchesStock(() => gelu(x), 1e-5, 1e-5);
    expectMatchesStock(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(gelu(a), w)))(x), 1e-5, 1e-5);
    expectClose(gelu(tf.tensor1d([-1, 0, 1, 2])), [GELU[-1], GELU[0], GELU[1], GELU[2]], 1e-6, 1e-5);
  });

  it('softmax has the stock gradient', () => {
    const logits = tf.mul(randn([4, 3, 16, 16], 5), 3);
    const weights = randn([4, 3, 16, 16], 6);
    expectMatchesStock(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(softmax(a), weights)))(logits), 1e-6, 1e-5);
  });

  it('dropout drops exactly the elements the JavaScript mask drops, for any seed', () => {
    for (const seed of [0, 1, 123456789, 0xffffffff]) {
      expectMatchesStock(() => dropout(x, 0.1, seed), 0, 0);
      expectMatchesStock(() => tf.grad((a: tf.Tensor) => tf.sum(tf.mul(dropout(a, 0.3, seed), w)))(x), 0, 0);
    }
  });

  it('gradients agree with finite differences through the fused kernels', () => {
    const small = tf.tensor2d([[0.3, -1.2, 2.0, 0.7], [1.5, 0.1, -0.4, -2]]);
    const g = tf.tensor1d([1.1, 0.7, -0.5, 2]);
    const b = tf.tensor1d([0.2, 0, -0.3, 1]);
    expectGradientsClose((t) => tf.sum(tf.mul(layerNorm(t, g, b, 1e-5), tf.tensor2d([[1, -2, 0.5, 1], [0.3, 1, 2, -1]]))), small);
    expectGradientsClose((t) => tf.sum(tf.mul(gelu(t), tf.tensor2d([[1, -2, 0.5, 1], [0.3, 1, 2, -1]]))), small);
  });

  it('leaves no tensor behind', () => {
    expectNoTensorLeak(() => {
      tf.tidy(() => {
        tf.grads((t: tf.Tensor) => tf.sum(dropout(gelu(softmax(layerNorm(t, gamma, beta))), 0.5, 3)))([x]);
      });
      // Forward only (no tape): the saved mean/rstd of layerNorm must not outlive the call.
      layerNorm(x, gamma, beta).dispose();
      dropout(x, 0.2, 1).dispose();
    });
  });

  it('fall back to the stock-op path when the kernels are unregistered', () => {
    withStockKernels(() => {
      expect(tf.getKernel('CarlLayerNorm', 'wasm')).toBeUndefined();
      expectClose(layerNorm(tf.tensor2d([[1, 2, 3, 4]]), tf.ones([4]), tf.zeros([4])), [-1.3416408, -0.4472136, 0.4472136, 1.3416408], 1e-5, 1e-5);
    });
  });
});
