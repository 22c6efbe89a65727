import * as tf from '@tensorflow/tfjs-core';
import { dropoutMask, FUSED_KERNEL_NAMES } from '@carl/core';
import { describeNative } from './__fixtures__/helpers';

// The native dropout kernel takes the mask counter of x's first element, so a micro-batch starting at row r
// can draw exactly its slice of the whole batch's mask (core's dropoutMask(size, rate, seed, offset)).
describeNative('CarlDropout with an offset', () => {
  const run = (x: tf.Tensor, attrs: Record<string, number>): Float32Array =>
    tf.tidy(() => Float32Array.from((tf.engine().runKernel(FUSED_KERNEL_NAMES.dropout, { x }, attrs) as tf.Tensor).dataSync()));

  it('applies elements [offset, offset + size) of the longer mask, also when the counter wraps at 2^32', () => {
    const x = tf.range(1, 1 + 5000, 1, 'float32');
    const values = x.dataSync();
    for (const offset of [0, 3, 1000, 2 ** 32 - 1500, 2 ** 32 + 7]) {
      const mask = dropoutMask(5000, 0.3, 17, offset);
      const expected = Float32Array.from(values, (v, i) => v * (mask[i] as number));
      expect(run(x, { rate: 0.3, seed: 17, offset })).toEqual(expected);
    }
    // A slice at offset k is the tail of the mask from 0, i.e. the split does not change the masks.
    const whole = run(x, { rate: 0.3, seed: 17 });
    const tail = tf.slice(x, [2000], [3000]);
    expect(run(tail, { rate: 0.3, seed: 17, offset: 2000 })).toEqual(whole.slice(2000));
    tf.dispose([x, tail]);
  });
});
