import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose } from '@carl/core/testing';
import { supCon, weightedSupCon } from './index';
import { expectCarlError, randomLabels, randomMatrix, refDistances, refWeighted, scalar, t2, type Matrix } from './__fixtures__/reference';

const gaussian = (d: Matrix, sigma: number): Matrix => d.map((row) => row.map((x) => Math.exp(-(x * x) / (2 * sigma * sigma))));
const thresholded = (s: Matrix, threshold: number, binary = false): Matrix => s.map((row) => row.map((x) => (x >= threshold ? (binary ? 1 : x) : 0)));

describeWithBackends('weightedSupCon', () => {
  it('matches a hand-worked case: one positive above the threshold, one below', () => {
    // similarities [0.9, 0.2] with threshold 0.5 → only candidate 0 is a positive; logits [1, 0].
    const r = weightedSupCon({ queries: t2([[1, 0]]), keys: t2([[1, 0], [0, 1]]), labelSimilarity: t2([[0.9, 0.2]]), temperature: 1 });
    expectClose(scalar(r.loss), Math.log(1 + Math.exp(-1)), 1e-6);
  });

  it('weights positives by their kernel similarity and agrees with a float64 reference', () => {
    const rng = new Random(41);
    const q = randomMatrix(rng, 5, 4);
    const k = randomMatrix(rng, 5, 4);
    const queue = randomMatrix(rng, 6, 4);
    const ql = randomLabels(rng, 5);
    const el = randomLabels(rng, 6);
    const s = gaussian(refDistances(ql, [...ql, ...el]), 0.4);
    const input = { queries: q, candidates: [...k, ...queue], temperature: 0.2 };
    const common = { queries: t2(q), keys: t2(k), extraKeys: t2(queue), temperature: 0.2, threshold: 0.3 };
    const fromLabels = weightedSupCon({ ...common, queryLabels: ql, keyLabels: ql, extraKeyLabels: el, bandwidth: 0.4 });
    const fromMatrix = weightedSupCon({ ...common, labelSimilarity: t2(s) });
    const ref = refWeighted(input, thresholded(s, 0.3));
    expectClose(scalar(fromLabels.loss), ref.loss, 1e-5, 1e-5);
    expectClose(scalar(fromMatrix.loss), ref.loss, 1e-5, 1e-5);
    const binary = weightedSupCon({ ...common, labelSimilarity: t2(s), weighting: 'binary' });
    expectClose(scalar(binary.loss), refWeighted(input, thresholded(s, 0.3, true)).loss, 1e-5, 1e-5);
  });

  it('equals SupCon when binary positives are exactly the identical labels', () => {
    const rng = new Random(42);
    const q = randomMatrix(rng, 6, 3);
    const ql = randomLabels(rng, 6, 1); // snapped to {−1, 0, 1}²: some labels coincide
    const soft = weightedSupCon({ queries: t2(q), queryLabels: ql, threshold: 0.999, weighting: 'binary', bandwidth: 0.1 });
    const hard = supCon({ queries: t2(q), queryLabels: ql.map((row) => row.join(',')) });
    expectClose(scalar(soft.loss), scalar(hard.loss), 1e-5, 1e-5);
    expect([soft.validAnchors, soft.skippedAnchorIndices]).toEqual([hard.validAnchors, hard.skippedAnchorIndices]);
  });

  it('skips and counts anchors with no candidate above the threshold', () => {
    const r = weightedSupCon({
      queries: t2([[1, 0], [0, 1]]),
      keys: t2([[1, 0], [0, 1]]),
      queryLabels: [[0, 0], [1, 1]],
      keyLabels: [[0.05, 0], [-1, -1]],
      bandwidth: 0.25,
    });
    expect([r.validAnchors, r.skippedAnchors, r.skippedAnchorIndices]).toEqual([1, 1, [1]]);
    expect(Number.isFinite(scalar(r.loss))).toBe(true);
  });

  it('has gradients equal to finite differences', () => {
    const rng = new Random(43);
    const q = t2(randomMatrix(rng, 4, 3));
    const ql = randomLabels(rng, 4);
    expectGradientsClose((x) => weightedSupCon({ queries: x as tf.Tensor2D, queryLabels: ql, bandwidth: 1, threshold: 0.2, temperature: 0.5 }).loss, q);
  });

  it('reports bad options by field', () => {
    const q = t2([[1, 0], [0, 1]]);
    expectCarlError(() => weightedSupCon({ queries: q } as never), 'labelSimilarity');
    expectCarlError(() => weightedSupCon({ queries: q, labelSimilarity: t2([[1, 0], [0, 1]]), threshold: -0.5 }), 'threshold');
    expectCarlError(() => weightedSupCon({ queries: q, queryLabels: [[0], [1]], bandwidth: 0 }), 'bandwidth');
    expectCarlError(() => weightedSupCon({ queries: q, labelSimilarity: t2([[1, 0]]) }), 'labelSimilarity');
  });
});
