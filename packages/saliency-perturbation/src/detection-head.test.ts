import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { PerturbedTokenDetectionHead } from './detection-head';

/** GELU (tanh form) and the head written out in float64, independently of the tensor code. */
const geluRef = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

function referenceLogit(h: number[], w1: number[][], b1: number[], w2: number[], b2: number, act: (x: number) => number): number {
  const inter = b1.map((b, k) => act(b + h.reduce((s, v, i) => s + v * ((w1[i] as number[])[k] as number), 0)));
  return b2 + inter.reduce((s, v, k) => s + v * (w2[k] as number), 0);
}

describeWithBackends('PerturbedTokenDetectionHead', () => {
  it('names its variables and shapes them [in, out]', () => {
    const head = new PerturbedTokenDetectionHead({ hiddenSize: 6, intermediateSize: 4, seed: 1 });
    const shapes = [...head.variables()].map(([name, v]) => [name, v.shape]);
    expect(shapes).toEqual([
      ['ptd_head.dense.weight', [6, 4]],
      ['ptd_head.dense.bias', [4]],
      ['ptd_head.dense_prediction.weight', [4, 1]],
      ['ptd_head.dense_prediction.bias', [1]],
    ]);
    const other = new PerturbedTokenDetectionHead({ hiddenSize: 6, prefix: 'target.ptd' }); // two heads coexist
    expect([...other.variables().keys()][0]).toBe('target.ptd.dense.weight');
    head.dispose();
    other.dispose();
  });

  it('computes dense → activation → dense per token, as written out by hand', () => {
    const w1 = [
      [0.5, -1, 0.25],
      [1.5, 0.2, -0.7],
    ];
    const b1 = [0.1, -0.2, 0.3];
    const w2 = [0.8, -1.2, 2];
    const b2 = -0.05;
    const hidden = [
      [[1, -2], [0.3, 0.4], [0, 0]],
      [[-1, 1], [2, 0.5], [3, -3]],
    ];
    for (const activation of ['gelu', 'tanh'] as const) {
      const head = new PerturbedTokenDetectionHead({ hiddenSize: 2, intermediateSize: 3, activation });
      const vars = head.variables();
      vars.get('ptd_head.dense.weight')?.assign(tf.tensor2d(w1));
      vars.get('ptd_head.dense.bias')?.assign(tf.tensor1d(b1));
      vars.get('ptd_head.dense_prediction.weight')?.assign(tf.tensor2d(w2.map((v) => [v])));
      vars.get('ptd_head.dense_prediction.bias')?.assign(tf.tensor1d([b2]));
      const h = tf.tensor3d(hidden);
      const logits = head.forward(h);
      expect(logits.shape).toEqual([2, 3]);
      const act = activation === 'gelu' ? geluRef : Math.tanh;
      expectClose(logits, hidden.flatMap((row) => row.map((t) => referenceLogit(t, w1, b1, w2, b2, act))), 1e-5, 1e-5);
      tf.dispose([h, logits]);
      head.dispose();
    }
  });

  it('initialises reproducibly from its seed, truncated at two standard deviations, biases zero', () => {
    const a = new PerturbedTokenDetectionHead({ hiddenSize: 16, seed: 3 });
    const b = new PerturbedTokenDetectionHead({ hiddenSize: 16, seed: 3 });
    const c = new PerturbedTokenDetectionHead({ hiddenSize: 16, seed: 4 });
    const w = (h: PerturbedTokenDetectionHead): Float32Array => h.variables().get('ptd_head.dense.weight')?.dataSync() as Float32Array;
    expect(Array.from(w(a))).toEqual(Array.from(w(b)));
    expect(Array.from(w(a))).not.toEqual(Array.from(w(c)));
    const values = Array.from(w(a));
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(0.04 + 1e-6);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeGreaterThan(0.012); // a N(0, 0.02) truncated at 2σ has s.d. ≈ 0.0176
    expect(std).toBeLessThan(0.022);
    expect(Array.from(a.variables().get('ptd_head.dense.bias')?.dataSync() as Float32Array).every((v) => v === 0)).toBe(true);
    [a, b, c].forEach((h) => h.dispose());
  });

  it('has gradients that match finite differences, and leaks nothing', () => {
    const head = new PerturbedTokenDetectionHead({ hiddenSize: 3, intermediateSize: 4, seed: 9, initStd: 0.5 });
    const h = tf.tensor3d([[[0.3, -0.8, 1.1], [0.5, 0.2, -0.4]]]);
    const weights = tf.tensor2d([[1, -2]]);
    expectGradientsClose((x) => tf.sum(tf.mul(head.forward(x as tf.Tensor3D), weights)), h, 1e-2, 1e-2, 1e-2);
    expectNoTensorLeak(() => head.forward(h).dispose());
    expectNoTensorLeak(() => new PerturbedTokenDetectionHead({ hiddenSize: 3 }).dispose());
    tf.dispose([h, weights]);
    head.dispose();
  });

  it('rejects a bad config or hidden states of the wrong width', () => {
    const head = new PerturbedTokenDetectionHead({ hiddenSize: 4 });
    const wrong = tf.zeros([1, 2, 3]) as tf.Tensor3D;
    expect(() => head.forward(wrong)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    expect(() => new PerturbedTokenDetectionHead({ hiddenSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new PerturbedTokenDetectionHead({ hiddenSize: 4, activation: 'relu' as 'gelu' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG', location: { field: 'activation' } }),
    );
    wrong.dispose();
    head.dispose();
  });
});
