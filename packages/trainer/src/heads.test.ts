import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { MlpHead } from './heads';

describeWithBackends('MlpHead', () => {
  it('computes dense → ReLU → dense as written by hand', () => {
    const head = new MlpHead({ inputSize: 2, outputSize: 1, layers: 2, hiddenSize: 2, prefix: 'p', seed: 1 });
    const values = new Map([
      ['p.0.weight', Float32Array.from([1, -1, 2, 0.5])], // [[1, -1], [2, 0.5]]
      ['p.0.bias', Float32Array.from([0, 1])],
      ['p.1.weight', Float32Array.from([3, -2])],
      ['p.1.bias', Float32Array.from([0.5])],
    ]);
    head.load(values);
    // x = [1, 1]: h = [1·1 + 1·2, 1·(−1) + 1·0.5 + 1] = [3, 0.5] → relu same → 3·3 − 2·0.5 + 0.5 = 8.5
    // x = [1, −1]: h = [1 − 2, −1 − 0.5 + 1] = [−1, −0.5] → relu [0, 0] → 0.5
    const y = head.forward(tf.tensor2d([[1, 1], [1, -1]]));
    expectClose(y, [8.5, 0.5]);
    y.dispose();
    head.dispose();
  });

  it('is seeded, clones independently and names its variables', () => {
    const a = new MlpHead({ inputSize: 4, outputSize: 3, layers: 1, prefix: 'va', seed: 7 });
    const b = new MlpHead({ inputSize: 4, outputSize: 3, layers: 1, prefix: 'va', seed: 7 });
    expect([...a.variables().keys()]).toEqual(['va.0.weight', 'va.0.bias']);
    expectClose(a.variables().get('va.0.weight') as tf.Variable, b.variables().get('va.0.weight') as tf.Variable);
    const c = a.clone({ trainable: false });
    (a.variables().get('va.0.bias') as tf.Variable).assign(tf.ones([3]));
    expectClose(c.variables().get('va.0.bias') as tf.Variable, [0, 0, 0]);
    expect((c.variables().get('va.0.weight') as tf.Variable).trainable).toBe(false);
    [a, b, c].forEach((h) => h.dispose());
  });

  it('rejects wrong shapes and broken checkpoints', () => {
    const head = new MlpHead({ inputSize: 4, outputSize: 2, layers: 1, prefix: 'va', seed: 0 });
    expect(() => head.forward(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(/expects \[batch, 4\], got \[2, 3\]/);
    expect(() => head.load(new Map())).toThrow(/missing tensor/);
    expect(() => new MlpHead({ inputSize: 4, outputSize: 2, layers: 3, prefix: 'x', seed: 0 })).toThrow(/layers must be 1 or 2/);
    head.dispose();
  });

  it('has finite-difference-correct gradients and leaks nothing', () => {
    const head = new MlpHead({ inputSize: 3, outputSize: 2, layers: 2, prefix: 'p', seed: 3 });
    const x = tf.tensor2d([[0.3, -0.2, 0.9], [1.1, 0.4, -0.5]]);
    expectGradientsClose((t) => tf.sum(tf.square(head.forward(t as tf.Tensor2D))), x, 2e-2, 2e-2, 1e-3);
    expectNoTensorLeak(() => head.forward(x).dispose());
    x.dispose();
    head.dispose();
  });
});
