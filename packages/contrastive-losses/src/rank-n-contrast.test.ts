import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { rankNContrast } from './index';
import { logCumSumExp } from './rank-n-contrast';
import { expectCarlError, randomLabels, randomMatrix, refDistances, refRankNContrast, scalar, t2 } from './__fixtures__/reference';

describeWithBackends('rankNContrast', () => {
  it('matches a hand-worked case with three candidates at label distances 0, 1, 2', () => {
    const r = rankNContrast({
      queries: t2([[1, 0]]),
      keys: t2([[1, 0], [0, 1], [-1, 0]]),
      queryLabels: [[0]],
      keyLabels: [[0], [1], [2]],
      temperature: 1,
    });
    const e = Math.E;
    const terms = [Math.log(e + 1 + 1 / e) - 1, Math.log(1 + 1 / e) - 0, 0];
    expectClose(scalar(r.loss), (terms[0]! + terms[1]! + terms[2]!) / 3, 1e-6);
  });

  it('agrees with the O(N·C²) definition, with label ties, a queue and a mask', () => {
    const rng = new Random(51);
    const q = randomMatrix(rng, 5, 4);
    const k = randomMatrix(rng, 5, 4);
    const queue = randomMatrix(rng, 7, 4);
    const ql = randomLabels(rng, 5, 2); // a coarse grid: many equal distances
    const el = randomLabels(rng, 7, 2);
    const excluded = q.map((_, i) => Array.from({ length: 12 }, (_, j) => (i + j) % 5 === 0 && j >= 5));
    const input = { queries: q, candidates: [...k, ...queue], temperature: 0.3, excluded };
    const d = refDistances(ql, [...ql, ...el], 'l1');
    const r = rankNContrast({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), queryLabels: ql, keyLabels: ql, extraKeyLabels: el, selfMask: excluded, temperature: 0.3 });
    const ref = refRankNContrast(input, d);
    expectClose(scalar(r.loss), ref.loss, 1e-5, 1e-5);
    // The same ranking from a similarity matrix (higher = closer).
    const viaSimilarity = rankNContrast({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), labelSimilarity: t2(d.map((row) => row.map((x) => 1 / (1 + x)))), selfMask: excluded, temperature: 0.3 });
    expectClose(scalar(viaSimilarity.loss), ref.loss, 1e-5, 1e-5);
    const l2 = rankNContrast({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), queryLabels: ql, keyLabels: ql, extraKeyLabels: el, selfMask: excluded, temperature: 0.3, labelDistance: { metric: 'l2' } });
    expectClose(scalar(l2.loss), refRankNContrast(input, refDistances(ql, [...ql, ...el], 'l2')).loss, 1e-5, 1e-5);
  });

  it('treats label distances equal up to float rounding as ties (|0.3 − 0.1| vs |0.5 − 0.3|)', () => {
    const q = [[1, 0]];
    const k = [[0.6, 0.8], [0, 1], [1, 0.2]];
    expect(Math.abs(0.3 - 0.1) === Math.abs(0.5 - 0.3)).toBe(false); // the float64 rounding this guards against
    const r = rankNContrast({ queries: t2(q), keys: t2(k), queryLabels: [[0.3]], keyLabels: [[0.3], [0.1], [0.5]], temperature: 0.5 });
    const tied = refRankNContrast({ queries: q, candidates: k, temperature: 0.5 }, [[0, 0.2, 0.2]]);
    const split = refRankNContrast({ queries: q, candidates: k, temperature: 0.5 }, [[0, 0.19999999999999998, 0.2]]);
    expect(Math.abs(tied.loss - split.loss)).toBeGreaterThan(1e-3);
    expectClose(scalar(r.loss), tied.loss, 1e-6);
  });

  it('stays finite and exact at a tiny temperature, where a plain cumsum of exp underflows', () => {
    const rng = new Random(52);
    const q = randomMatrix(rng, 4, 3);
    const ql = randomLabels(rng, 4);
    const r = rankNContrast({ queries: t2(q), queryLabels: ql, temperature: 0.005 });
    const excluded = q.map((_, i) => q.map((__, j) => i === j));
    const ref = refRankNContrast({ queries: q, candidates: q, temperature: 0.005, excluded }, refDistances(ql, ql, 'l1'));
    expect(Number.isFinite(scalar(r.loss))).toBe(true);
    expectClose(scalar(r.loss), ref.loss, 1e-2, 1e-4);
  });

  it('has gradients equal to finite differences, ties included', () => {
    const rng = new Random(53);
    const q = t2(randomMatrix(rng, 4, 3));
    const k = t2(randomMatrix(rng, 4, 3));
    const ql = [[0], [1], [1], [0]];
    expectGradientsClose((x) => rankNContrast({ queries: x as tf.Tensor2D, keys: k, queryLabels: ql, keyLabels: ql, temperature: 0.5 }).loss, q);
    expectGradientsClose((x) => rankNContrast({ queries: q, keys: x as tf.Tensor2D, queryLabels: ql, keyLabels: ql, temperature: 0.5 }).loss, k);
  });

  it('is invariant to permuting the anchors with their labels', () => {
    const rng = new Random(54);
    const q = randomMatrix(rng, 5, 3);
    const ql = randomLabels(rng, 5, 2);
    const p = [4, 2, 0, 1, 3];
    const a = rankNContrast({ queries: t2(q), queryLabels: ql, temperature: 0.2 });
    const b = rankNContrast({ queries: t2(p.map((i) => q[i] as number[])), queryLabels: p.map((i) => ql[i] as number[]), temperature: 0.2 });
    expectClose(scalar(b.loss), scalar(a.loss), 1e-6, 1e-5);
  });

  it('skips anchors without candidates, handles a batch of one, and leaks nothing', () => {
    const q = t2([[1, 0], [0, 1]]);
    const single = [t2([[1, 2]]), t2([[2, 1]])] as const;
    expectNoTensorLeak(() => {
      const r = rankNContrast({ queries: q, keys: q, queryLabels: [[0], [1]], keyLabels: [[0], [1]], selfMask: [[true, true], [false, false]] });
      expect([r.validAnchors, r.skippedAnchorIndices]).toEqual([1, [0]]);
      r.loss.dispose();
      const one = rankNContrast({ queries: single[0], keys: single[1], queryLabels: [[0.5]], keyLabels: [[0.1]] });
      expect([scalar(one.loss), one.validAnchors]).toEqual([0, 1]);
      tf.dispose(one.loss);
    });
    expectCarlError(() => rankNContrast({ queries: q } as never), 'labelSimilarity');
  });
});

describeWithBackends('logCumSumExp', () => {
  it('equals a float64 prefix log-sum-exp, even across a 400-nat range, and differentiates correctly', () => {
    const x = [[3, -200, 0.5, 0.5, 200, -1, 2], [0, 0, 0, 0, 0, 0, 0]];
    const expected = x.map((row) => {
      let acc = -Infinity;
      return row.map((v) => {
        const m = Math.max(acc, v);
        acc = m + Math.log(Math.exp(acc - m) + Math.exp(v - m));
        return acc;
      });
    });
    expectClose(logCumSumExp(t2(x)), expected.flat(), 1e-4, 1e-6);
    expectGradientsClose((t) => tf.sum(tf.mul(logCumSumExp(t as tf.Tensor2D), tf.linspace(1, 2, 5))) as tf.Scalar, t2([[0.3, -1, 0.3, 2, 0.1]]));
  });
});
