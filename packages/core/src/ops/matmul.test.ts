import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose, expectGradientsClose } from '../testing';
import { dense, matMul } from './matmul';

describeWithBackends('matMul', () => {
  let a: tf.Tensor2D;
  let b: tf.Tensor2D;
  beforeAll(() => {
    a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    b = tf.tensor2d([[1, 0], [0, 1], [2, -1]]);
  });

  it('multiplies like the hand-worked product, with and without transpose flags', () => {
    expectClose(matMul(a, b), [7, -1, 16, -1]);
    expectClose(matMul(tf.transpose(a), tf.transpose(b), true, true), [7, -1, 16, -1]);
    expectClose(matMul(a, a, false, true), [14, 32, 32, 77]);
  });

  it('has gradients equal to finite differences for every flag combination', () => {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const x = ta ? tf.transpose(a) : a;
      const y = tb ? tf.transpose(b) : b;
      const w = tf.tensor2d([[0.3, -1.2], [0.7, 0.5]]);
      expectGradientsClose((t) => tf.sum(tf.mul(matMul(t, y, ta, tb), w)), x);
      expectGradientsClose((t) => tf.sum(tf.mul(matMul(x, t, ta, tb), w)), y);
    }
  });

  it('agrees with tf.matMul gradients on batched operands', () => {
    const q = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const k = tf.randomNormal([2, 5, 4], 0, 1, 'float32', 2);
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(matMul(x, y, false, true))))([q, k]);
    const stock = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))))([q, k]);
    expectClose(ours[0] as tf.Tensor, stock[0] as tf.Tensor, 1e-4, 1e-4);
    expectClose(ours[1] as tf.Tensor, stock[1] as tf.Tensor, 1e-4, 1e-4);
  });

  it('rejects operands of different rank', () => {
    expect(() => matMul(tf.ones([2, 2, 2]), tf.ones([2, 2]))).toThrow(/equal rank/);
  });
});

describeWithBackends('dense', () => {
  it('applies a weight and bias on the last axis of a rank-3 input', () => {
    const x = tf.tensor3d([[[1, 2], [3, 4]]]);
    const w = tf.tensor2d([[1, 0, 1], [0, 1, 1]]);
    const y = dense(x, w, tf.tensor1d([0.5, 0, -1]));
    expect(y.shape).toEqual([1, 2, 3]);
    expectClose(y, [1.5, 2, 2, 3.5, 4, 6]);
  });
});
