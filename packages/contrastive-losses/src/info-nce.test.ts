import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { infoNCE } from './index';
import { expectCarlError, randomMatrix, refWeighted, scalar, t2, type Matrix } from './__fixtures__/reference';

const oneHotRows = (own: number[], c: number): Matrix => own.map((j) => Array.from({ length: c }, (_, k) => (k === j ? 1 : 0)));

describeWithBackends('infoNCE', () => {
  it('matches −log(e^{1/τ} / (e^{1/τ} + e^0)) for one anchor with one orthogonal negative', () => {
    const r = infoNCE({ queries: t2([[1, 0]]), keys: t2([[1, 0], [0, 1]]), ownKeyIndex: [0], temperature: 1 });
    expectClose(scalar(r.loss), Math.log(1 + Math.exp(-1)), 1e-6);
    expect([r.validAnchors, r.skippedAnchors]).toEqual([1, 0]);
    r.loss.dispose();
  });

  it('pairs query i with key i by default (SimCSE) and is scale-invariant with normalize', () => {
    const r = infoNCE({ queries: t2([[3, 0], [0, 2]]), keys: t2([[1, 0], [0, 5]]), temperature: 0.5 });
    expectClose(scalar(r.loss), Math.log(1 + Math.exp(-2)), 1e-6);
    const raw = infoNCE({ queries: t2([[3, 0], [0, 2]]), keys: t2([[1, 0], [0, 5]]), temperature: 0.5, normalize: false });
    // Unnormalised logits: row 0 = [3, 0]/0.5, row 1 = [0, 10]/0.5.
    expectClose(scalar(raw.loss), (Math.log(1 + Math.exp(-6)) + Math.log(1 + Math.exp(-20))) / 2, 1e-6);
  });

  it('agrees with a float64 reference with a queue, a mask and explicit positives', () => {
    const rng = new Random(7);
    const q = randomMatrix(rng, 5, 4);
    const k = randomMatrix(rng, 5, 4);
    const queue = randomMatrix(rng, 6, 4);
    const own = [4, 3, 2, 1, 0];
    const excluded = q.map((_, i) => Array.from({ length: 11 }, (_, j) => j === 5 + i));
    const r = infoNCE({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), ownKeyIndex: own, selfMask: excluded, temperature: 0.3 });
    const ref = refWeighted({ queries: q, candidates: [...k, ...queue], temperature: 0.3, excluded }, oneHotRows(own, 11));
    expectClose(scalar(r.loss), ref.loss, 1e-5, 1e-5);
    expect(r.validAnchors).toBe(5);
  });

  it('has gradients equal to finite differences for queries, keys and queue keys', () => {
    const rng = new Random(3);
    const q = t2(randomMatrix(rng, 3, 3));
    const k = t2(randomMatrix(rng, 3, 3));
    const queue = t2(randomMatrix(rng, 4, 3));
    expectGradientsClose((x) => infoNCE({ queries: x as tf.Tensor2D, keys: k, extraKeys: queue, temperature: 0.5 }).loss, q);
    expectGradientsClose((x) => infoNCE({ queries: q, keys: x as tf.Tensor2D, extraKeys: queue, temperature: 0.5 }).loss, k);
    expectGradientsClose((x) => infoNCE({ queries: q, keys: k, extraKeys: x as tf.Tensor2D, temperature: 0.5 }).loss, queue);
  });

  it('is invariant to permuting the batch (queries with their keys) and the queue', () => {
    const rng = new Random(11);
    const q = randomMatrix(rng, 4, 3);
    const k = randomMatrix(rng, 4, 3);
    const queue = randomMatrix(rng, 5, 3);
    const perm = [2, 0, 3, 1];
    const qperm = [4, 1, 0, 3, 2];
    const a = infoNCE({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), temperature: 0.2 });
    const b = infoNCE({
      queries: t2(perm.map((i) => q[i] as number[])),
      keys: t2(perm.map((i) => k[i] as number[])),
      extraKeys: t2(qperm.map((i) => queue[i] as number[])),
      temperature: 0.2,
    });
    expectClose(scalar(b.loss), scalar(a.loss), 1e-6, 1e-5);
  });

  it('skips and counts anchors whose positive is missing or masked, and never returns NaN', () => {
    const q = t2([[1, 0], [0, 1], [1, 1]]);
    const k = t2([[1, 0], [0, 1], [1, -1]]);
    const mask = [[false, false, false], [false, true, false], [false, false, false]];
    const r = infoNCE({ queries: q, keys: k, ownKeyIndex: [0, 1, -1], selfMask: mask, temperature: 1 });
    expect([r.validAnchors, r.skippedAnchors, r.skippedAnchorIndices]).toEqual([1, 2, [1, 2]]);
    const ref = refWeighted({ queries: [[1, 0]], candidates: [[1, 0], [0, 1], [1, -1]], temperature: 1 }, [[1, 0, 0]]);
    expectClose(scalar(r.loss), ref.loss, 1e-6);

    const none = infoNCE({ queries: q, keys: k, ownKeyIndex: [-1, -1, -1], temperature: 1 });
    expect([scalar(none.loss), none.validAnchors, none.skippedAnchors]).toEqual([0, 0, 3]);
    const grad = tf.grad((x) => infoNCE({ queries: x as tf.Tensor2D, keys: k, ownKeyIndex: [-1, -1, -1] }).loss)(q);
    expect(Array.from(grad.dataSync()).every((g) => g === 0)).toBe(true);
  });

  it('handles a batch of one, an empty queue and extreme temperatures', () => {
    const one = infoNCE({ queries: t2([[0.3, 0.4]]), keys: t2([[1, 2]]) });
    expect([scalar(one.loss), one.validAnchors]).toEqual([0, 1]);
    const rng = new Random(5);
    const q = randomMatrix(rng, 3, 4);
    const k = randomMatrix(rng, 3, 4);
    const plain = infoNCE({ queries: t2(q), keys: t2(k), temperature: 0.1 });
    const empty = infoNCE({ queries: t2(q), keys: t2(k), extraKeys: tf.zeros([0, 4]) as tf.Tensor2D, temperature: 0.1 });
    expectClose(scalar(empty.loss), scalar(plain.loss), 1e-6);
    const cold = infoNCE({ queries: t2(q), keys: t2(k), temperature: 1e-4 });
    const ref = refWeighted({ queries: q, candidates: k, temperature: 1e-4 }, oneHotRows([0, 1, 2], 3));
    expect(Number.isFinite(scalar(cold.loss))).toBe(true);
    expectClose(scalar(cold.loss), ref.loss, 1e-2, 1e-4);
  });

  it('works inside tf.variableGrads and leaves no tensor behind', () => {
    const w = tf.variable(tf.tensor2d([[1, 0.5], [-0.2, 1]]));
    const x = t2([[1, 2], [3, -1], [0.5, 0.5]]);
    const k = t2([[1, 2.1], [2.9, -1], [0.4, 0.6]]);
    expectNoTensorLeak(() => {
      const { value, grads } = tf.variableGrads(() => infoNCE({ queries: tf.matMul(x, w), keys: k, temperature: 0.1 }).loss);
      expect(Number.isFinite(scalar(value))).toBe(true);
      expect(Object.keys(grads)).toHaveLength(1);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    });
    w.dispose();
  });

  it('reports bad input as CarlErrors naming the field', () => {
    const q = t2([[1, 0], [0, 1]]);
    expectCarlError(() => infoNCE({ queries: q, keys: t2([[1, 0, 0], [0, 1, 0]]) }), 'keys');
    expectCarlError(() => infoNCE({ queries: q, keys: t2([[1, 0], [0, 1], [1, 1]]) }), 'ownKeyIndex');
    expectCarlError(() => infoNCE({ queries: q, keys: q, ownKeyIndex: [0, 2] }), 'ownKeyIndex[1]');
    expectCarlError(() => infoNCE({ queries: q, keys: q, temperature: 0 }), 'temperature');
    expectCarlError(() => infoNCE({ queries: q, keys: q, selfMask: [[true, false]] }), 'selfMask');
    expectCarlError(() => infoNCE({ queries: tf.zeros([0, 2]) as tf.Tensor2D, keys: q }), 'queries');
    expectCarlError(() => infoNCE({ queries: q, keys: q, extraKeys: tf.zeros([2, 2], 'int32') as tf.Tensor2D }), 'extraKeys');
  });
});
