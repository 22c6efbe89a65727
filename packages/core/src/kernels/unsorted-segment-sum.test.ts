import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose } from '../testing';
import { unsortedSegmentSumValues } from './unsorted-segment-sum';

describe('unsortedSegmentSumValues', () => {
  it('scatter-adds rows by segment id and drops out-of-range ids', () => {
    const out = new Float32Array(3 * 2);
    unsortedSegmentSumValues([1, 2, 3, 4, 5, 6, 7, 8], [2, 0, 2, 7], 3, 2, out);
    expect(Array.from(out)).toEqual([3, 4, 0, 0, 6, 8]);
  });
});

describeWithBackends('UnsortedSegmentSum kernel', () => {
  it('matches a hand-computed sum for 2-D data', () => {
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const out = tf.unsortedSegmentSum(x, tf.tensor1d([1, 1, 0], 'int32'), 3);
    expect(out.shape).toEqual([3, 2]);
    expectClose(out, [5, 6, 4, 6, 0, 0]);
  });

  it('gives the gradient of an embedding lookup (gather) with repeated ids', () => {
    const table = tf.variable(tf.tensor2d([[1, 1], [2, 2], [3, 3], [4, 4]]));
    const ids = tf.tensor1d([3, 0, 3], 'int32');
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), tf.tensor2d([[1, 2], [3, 4], [5, 6]]))))(table);
    expectClose(g, [3, 4, 0, 0, 0, 0, 6, 8]);
    table.dispose();
  });

  it('handles a vocabulary-sized table quickly enough to train (linear, not O(vocab·N))', () => {
    const table = tf.randomNormal([8000, 16]);
    const ids = tf.randomUniform([512], 0, 8000, 'int32');
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, ids)))(table);
    expect(tf.sum(g).dataSync()[0]).toBeCloseTo(512 * 16, 0);
  });
});
