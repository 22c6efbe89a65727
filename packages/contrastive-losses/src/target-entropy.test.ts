import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@carl/core/testing';
import { infoNCE, softContrastiveLoss, supCon } from './index';

describeWithBackends('targetEntropy', () => {
  it('is the mean entropy of the soft targets, so loss − entropy is the KL divergence (checked by hand)', () => {
    // Two anchors, two candidates; targetWeights rescaled per row: [0.5, 0.5] and [1, 0].
    const q = tf.tensor2d([[1, 0], [0, 1]]);
    const k = tf.tensor2d([[1, 0], [0, 1]]);
    const weights = tf.tensor2d([[1, 1], [2, 0]]);
    const r = softContrastiveLoss({ queries: q, keys: k, temperature: 1, targetWeights: weights });
    // H = (ln 2 + 0) / 2.
    expect(r.targetEntropy).toBeCloseTo(Math.log(2) / 2, 6);
    // p_i = softmax([1, 0]) or softmax([0, 1]): row 0: CE = −½ log p₀₀ − ½ log p₀₁; KL = CE − ln 2.
    const p = 1 / (1 + Math.exp(-1));
    const ce0 = -0.5 * Math.log(p) - 0.5 * Math.log(1 - p);
    const ce1 = -Math.log(1 - p);
    const loss = r.loss.dataSync()[0] as number;
    expect(loss).toBeCloseTo((ce0 + ce1) / 2, 5);
    expect(loss - (r.targetEntropy as number)).toBeCloseTo((ce0 - Math.log(2) + ce1) / 2, 5);
    expect(loss - (r.targetEntropy as number)).toBeGreaterThan(0);
    tf.dispose([q, k, weights, r.loss]);
  });

  it('is 0 for one-hot targets (InfoNCE) and ln(#positives) for SupCon', () => {
    const q = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const nce = infoNCE({ queries: q, keys: q, temperature: 0.5 });
    expect(nce.targetEntropy).toBeCloseTo(0, 6);
    // Labels 0, 0, 1 against the same three keys: anchors 0 and 1 have two positives, anchor 2 one.
    const sc = supCon({ queries: q, keys: q, queryLabels: [0, 0, 1], keyLabels: [0, 0, 1], temperature: 0.5 });
    expect(sc.targetEntropy).toBeCloseTo((2 * Math.log(2)) / 3, 6);
    tf.dispose([q, nce.loss, sc.loss]);
  });
});
