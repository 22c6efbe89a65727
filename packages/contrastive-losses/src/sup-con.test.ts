import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { supCon } from './index';
import { expectCarlError, randomMatrix, refWeighted, scalar, t2, type Matrix } from './__fixtures__/reference';

const sameLabel = (a: readonly (string | number)[], b: readonly (string | number)[]): Matrix => a.map((x) => b.map((y) => (x === y ? 1 : 0)));

describeWithBackends('supCon', () => {
  it('matches a hand-worked single-view case and skips the anchor with no positive', () => {
    // Queries are their own candidates (no keys): anchor 0's candidates are rows 1 (cos 0) and 2 (cos 1, same class).
    const r = supCon({ queries: t2([[1, 0], [0, 1], [1, 0]]), queryLabels: ['a', 'b', 'a'], temperature: 1 });
    expectClose(scalar(r.loss), -Math.log(Math.E / (Math.E + 1)), 1e-6);
    expect([r.validAnchors, r.skippedAnchors, r.skippedAnchorIndices]).toEqual([2, 1, [1]]);
  });

  it('averages over several positives (L_out) and agrees with a float64 reference with keys, queue and mask', () => {
    const rng = new Random(21);
    const q = randomMatrix(rng, 6, 5);
    const k = randomMatrix(rng, 6, 5);
    const queue = randomMatrix(rng, 7, 5);
    const ql = [0, 1, 2, 0, 1, 3];
    const ql2 = [1, 1, 0, 2, 2, 0, 9];
    const excluded = q.map((_, i) => Array.from({ length: 13 }, (_, j) => j === 6 + i));
    const r = supCon({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), queryLabels: ql, keyLabels: ql, extraKeyLabels: ql2, selfMask: excluded, temperature: 0.2 });
    const ref = refWeighted({ queries: q, candidates: [...k, ...queue], temperature: 0.2, excluded }, sameLabel(ql, [...ql, ...ql2]));
    expectClose(scalar(r.loss), ref.loss, 1e-5, 1e-5);
    expect(r.validAnchors).toBe(ref.valid);
  });

  it('treats every candidate as a positive when all labels are equal', () => {
    const rng = new Random(4);
    const q = randomMatrix(rng, 4, 3);
    const r = supCon({ queries: t2(q), queryLabels: ['x', 'x', 'x', 'x'], temperature: 0.5 });
    const excluded = q.map((_, i) => q.map((__, j) => i === j));
    const ref = refWeighted({ queries: q, candidates: q, temperature: 0.5, excluded }, q.map(() => q.map(() => 1)));
    expectClose(scalar(r.loss), ref.loss, 1e-5);
    expect(r.validAnchors).toBe(4);
  });

  it('has gradients equal to finite differences, single-view and two-view', () => {
    const rng = new Random(8);
    const q = t2(randomMatrix(rng, 4, 3));
    const k = t2(randomMatrix(rng, 4, 3));
    const labels = [1, 2, 1, 2];
    expectGradientsClose((x) => supCon({ queries: x as tf.Tensor2D, queryLabels: labels, temperature: 0.5 }).loss, q);
    expectGradientsClose((x) => supCon({ queries: x as tf.Tensor2D, keys: k, queryLabels: labels, keyLabels: labels, temperature: 0.5 }).loss, q);
  });

  it('is invariant to permuting the anchors with their labels', () => {
    const rng = new Random(12);
    const q = randomMatrix(rng, 5, 3);
    const labels = ['a', 'b', 'a', 'c', 'b'];
    const perm = [3, 1, 4, 0, 2];
    const a = supCon({ queries: t2(q), queryLabels: labels, temperature: 0.3 });
    const b = supCon({ queries: t2(perm.map((i) => q[i] as number[])), queryLabels: perm.map((i) => labels[i] as string), temperature: 0.3 });
    expectClose(scalar(b.loss), scalar(a.loss), 1e-6, 1e-5);
    expect(b.skippedAnchors).toBe(a.skippedAnchors);
  });

  it('returns 0 with zero gradients (not NaN) when no anchor has a positive, and leaks nothing', () => {
    const q = t2([[1, 0], [0, 1]]);
    expectNoTensorLeak(() => {
      const r = supCon({ queries: q, queryLabels: ['a', 'b'] });
      expect([scalar(r.loss), r.validAnchors, r.skippedAnchors]).toEqual([0, 0, 2]);
      r.loss.dispose();
      const g = tf.grad((x) => supCon({ queries: x as tf.Tensor2D, queryLabels: ['a', 'b'] }).loss)(q);
      expect(Array.from(g.dataSync())).toEqual([0, 0, 0, 0]);
      g.dispose();
    });
  });

  it('reports missing or inconsistent labels by field', () => {
    const q = t2([[1, 0], [0, 1]]);
    expectCarlError(() => supCon({ queries: q, keys: q, queryLabels: [1, 2] }), 'keyLabels');
    expectCarlError(() => supCon({ queries: q, queryLabels: [1, 2], keyLabels: [1, 2] }), 'keyLabels');
    expectCarlError(() => supCon({ queries: q, queryLabels: [1, 2], extraKeys: q }), 'extraKeyLabels');
    expectCarlError(() => supCon({ queries: q, queryLabels: [1] }), 'queryLabels');
    expectCarlError(() => supCon({ queries: q, queryLabels: [1, Number.NaN] }), 'queryLabels[1]');
  });
});
