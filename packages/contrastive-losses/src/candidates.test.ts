import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose } from '@carl/core/testing';
import { l2Normalize, resolveCandidates } from './candidates';
import { supCon } from './index';
import { randomMatrix, scalar, t2 } from './__fixtures__/reference';

describeWithBackends('candidates', () => {
  it('reads selfMask as nested booleans, a bool tensor, a 0/1 tensor or "diagonal" alike', () => {
    const q = t2([[1, 0], [0, 1]]);
    const rows = [[true, false, false], [false, true, false]];
    const extra = t2([[1, 1]]);
    const masks = [rows, tf.tensor2d(rows.flat().map(Number), [2, 3], 'bool'), tf.tensor2d(rows.flat().map(Number), [2, 3]), 'diagonal' as const];
    for (const selfMask of masks) {
      const r = resolveCandidates({ queries: q, keys: q, extraKeys: extra, selfMask }, 0.1);
      expect(Array.from(r.excluded ?? [])).toEqual([1, 0, 0, 0, 1, 0]);
    }
  });

  it('makes omitted keys mean "the queries, minus each one itself"', () => {
    const rng = new Random(71);
    const q = t2(randomMatrix(rng, 4, 3));
    const labels = [0, 1, 0, 1];
    const implicit = supCon({ queries: q, queryLabels: labels, temperature: 0.3 });
    const explicit = supCon({ queries: q, keys: q, queryLabels: labels, keyLabels: labels, selfMask: 'diagonal', temperature: 0.3 });
    expectClose(scalar(implicit.loss), scalar(explicit.loss), 1e-6);
    const withSelf = supCon({ queries: q, keys: q, queryLabels: labels, keyLabels: labels, temperature: 0.3 });
    expect(Math.abs(scalar(withSelf.loss) - scalar(implicit.loss))).toBeGreaterThan(1e-3);
  });

  it('normalises rows to unit length and leaves a zero row at zero', () => {
    expectClose(l2Normalize(t2([[3, 4], [0, 0]])), [0.6, 0.8, 0, 0], 1e-6);
  });
});
