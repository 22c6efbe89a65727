import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose, expectGradientsClose } from '@carl/core/testing';
import { maskedLogSoftmax, normalizeTargets, softmaxTargets } from './targets';
import { t2 } from './__fixtures__/reference';

const bool = (rows: boolean[][]): tf.Tensor2D => tf.tensor2d(rows.flat().map(Number), [rows.length, rows[0]?.length ?? 0], 'bool');

describeWithBackends('target helpers', () => {
  it('log-softmaxes over valid entries only and keeps fully masked rows finite', () => {
    const out = maskedLogSoftmax(t2([[1, 2, 3], [5, 5, 5]]), bool([[true, false, true], [false, false, false]])).arraySync();
    const lse = Math.log(Math.exp(1) + Math.exp(3));
    expectClose([out[0]?.[0] as number, out[0]?.[2] as number], [1 - lse, 3 - lse], 1e-6);
    expect(out.flat().every(Number.isFinite)).toBe(true);
    // A masked entry far above the valid ones must not leak into the normaliser.
    const big = maskedLogSoftmax(t2([[0, 1000]]), bool([[true, false]])).arraySync();
    expectClose(big[0]?.[0] as number, 0, 1e-6);
  });

  it('has finite-difference gradients through the mask', () => {
    const valid = bool([[true, false, true]]);
    expectGradientsClose((x) => tf.sum(tf.mul(maskedLogSoftmax(x as tf.Tensor2D, valid), t2([[0.3, 0, 0.7]]))) as tf.Scalar, t2([[0.2, -0.4, 1.1]]));
  });

  it('normalises targets over valid entries, leaving rows without mass at zero (not NaN)', () => {
    const valid = bool([[true, true, false], [true, true, true]]);
    expectClose(normalizeTargets(t2([[1, 3, 100], [0, 0, 0]]), valid), [0.25, 0.75, 0, 0, 0, 0], 1e-7);
    expectClose(softmaxTargets(t2([[0, Math.log(3), 9], [1, 1, 1]]), valid), [0.25, 0.75, 0, 1 / 3, 1 / 3, 1 / 3], 1e-6);
    expectClose(softmaxTargets(t2([[0, 0]]), bool([[false, false]])), [0, 0]);
  });
});
