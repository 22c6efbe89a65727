import * as tf from '@tensorflow/tfjs-core';
import { Random, va } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { softContrastiveLoss, supCon } from './index';
import {
  expectCarlError,
  randomLabels,
  randomMatrix,
  refDistances,
  refSoftmaxTargets,
  refWeighted,
  scalar,
  t2,
  type Matrix,
} from './__fixtures__/reference';

const scale = (m: Matrix, f: (x: number) => number): Matrix => m.map((row) => row.map(f));

describeWithBackends('softContrastiveLoss', () => {
  it('matches a hand-worked two-candidate case', () => {
    // logits [1, 0] (τ = 1); label distances [0, 1] (τ_y = 1) → w = softmax([0, −1]).
    const r = softContrastiveLoss({
      queries: t2([[1, 0]]),
      keys: t2([[1, 0], [0, 1]]),
      queryLabels: [[0, 0]],
      keyLabels: [[0, 0], [1, 0]],
      temperature: 1,
      labelTemperature: 1,
    });
    const w0 = 1 / (1 + Math.exp(-1));
    const logp0 = -Math.log(1 + Math.exp(-1));
    const logp1 = -1 - Math.log(1 + Math.exp(-1));
    expectClose(scalar(r.loss), -(w0 * logp0 + (1 - w0) * logp1), 1e-6);
    expect([r.validAnchors, r.skippedAnchors]).toEqual([1, 0]);
  });

  it('gives the same loss from labels, from −distance similarities and from kernel weights', () => {
    const rng = new Random(2);
    const q = randomMatrix(rng, 4, 3);
    const k = randomMatrix(rng, 4, 3);
    const queue = randomMatrix(rng, 5, 3);
    const ql = randomLabels(rng, 4);
    const el = randomLabels(rng, 5);
    const d = refDistances(ql, [...ql, ...el]);
    const common = { queries: t2(q), keys: t2(k), extraKeys: t2(queue), temperature: 0.2, labelTemperature: 0.3 };
    const fromLabels = softContrastiveLoss({ ...common, queryLabels: ql, keyLabels: ql, extraKeyLabels: el });
    const fromSimilarity = softContrastiveLoss({ ...common, labelSimilarity: t2(scale(d, (x) => -x)) });
    const fromWeights = softContrastiveLoss({ ...common, targetWeights: t2(scale(d, (x) => Math.exp(-x / 0.3))) });
    const ref = refWeighted({ queries: q, candidates: [...k, ...queue], temperature: 0.2 }, refSoftmaxTargets({ queries: q, candidates: [], temperature: 1 }, scale(d, (x) => -x / 0.3)));
    expectClose(scalar(fromLabels.loss), ref.loss, 1e-5, 1e-5);
    expectClose(scalar(fromSimilarity.loss), ref.loss, 1e-5, 1e-5);
    expectClose(scalar(fromWeights.loss), ref.loss, 1e-5, 1e-5);
  });

  it('accepts VA objects, masks the queue and supports l1 / squared-l2 / per-axis weights', () => {
    const rng = new Random(31);
    const q = randomMatrix(rng, 3, 4);
    const k = randomMatrix(rng, 3, 4);
    const queue = randomMatrix(rng, 4, 4);
    const ql = randomLabels(rng, 3);
    const el = randomLabels(rng, 4);
    const excluded = [[false, false, false, true, false, false, false], [false, false, false, false, false, false, false], [true, false, false, false, false, true, true]];
    for (const metric of ['l1', 'l2', 'squared-l2'] as const) {
      const weighted = (rows: Matrix): Matrix => rows.map(([v, a]) => [v as number, (a as number) * (metric === 'l1' ? 0.5 : Math.sqrt(0.5))]);
      const d = refDistances(weighted(ql), weighted([...ql, ...el]), metric);
      const r = softContrastiveLoss({
        queries: t2(q),
        keys: t2(k),
        extraKeys: t2(queue),
        queryLabels: ql.map(([v, a]) => va(v as number, a as number)),
        keyLabels: ql.map(([v, a]) => va(v as number, a as number)),
        extraKeyLabels: t2(el),
        labelDistance: { metric, axisWeights: [1, 0.5] },
        selfMask: excluded,
        temperature: 0.25,
        labelTemperature: 0.2,
      });
      const input = { queries: q, candidates: [...k, ...queue], temperature: 0.25, excluded };
      const ref = refWeighted(input, refSoftmaxTargets(input, scale(d, (x) => -x / 0.2)));
      expectClose(scalar(r.loss), ref.loss, 1e-5, 1e-5);
    }
  });

  it('tends to SupCon on identical labels as the label temperature goes to 0', () => {
    const rng = new Random(9);
    const q = randomMatrix(rng, 6, 4);
    const k = randomMatrix(rng, 6, 4);
    const queue = randomMatrix(rng, 5, 4);
    const classes: Matrix = [[0.5, 0.5], [-0.5, 0.2], [0, -0.8]];
    const ql = [0, 1, 2, 0, 1, 0].map((c) => classes[c] as number[]);
    const el = [2, 2, 0, 1, 1].map((c) => classes[c] as number[]);
    const name = (row: number[]): string => row.join(',');
    const common = { queries: t2(q), keys: t2(k), extraKeys: t2(queue), temperature: 0.1 };
    const soft = softContrastiveLoss({ ...common, queryLabels: ql, keyLabels: ql, extraKeyLabels: el, labelTemperature: 1e-6 });
    const hard = supCon({ ...common, queryLabels: ql.map(name), keyLabels: ql.map(name), extraKeyLabels: el.map(name) });
    expectClose(scalar(soft.loss), scalar(hard.loss), 1e-5, 1e-5);
    expect(soft.validAnchors).toBe(hard.validAnchors);
  });

  it('uses uniform targets when all labels are equal', () => {
    const rng = new Random(10);
    const q = randomMatrix(rng, 4, 3);
    const k = randomMatrix(rng, 4, 3);
    const same = [[0.3, -0.2], [0.3, -0.2], [0.3, -0.2], [0.3, -0.2]];
    const r = softContrastiveLoss({ queries: t2(q), keys: t2(k), queryLabels: same, keyLabels: same, temperature: 0.2, labelTemperature: 0.05 });
    const uniform = refWeighted({ queries: q, candidates: k, temperature: 0.2 }, q.map(() => k.map(() => 1)));
    expectClose(scalar(r.loss), uniform.loss, 1e-5, 1e-5);
    const ones = softContrastiveLoss({ queries: t2(q), keys: t2(k), targetWeights: tf.ones([4, 4]) as tf.Tensor2D, temperature: 0.2 });
    expectClose(scalar(ones.loss), uniform.loss, 1e-5, 1e-5);
  });

  it('excludes the own key, or gives it a fixed share α of the target mass', () => {
    const rng = new Random(13);
    const q = randomMatrix(rng, 3, 3);
    const k = randomMatrix(rng, 3, 3);
    const queue = randomMatrix(rng, 2, 3);
    const ql = randomLabels(rng, 3);
    const el = randomLabels(rng, 2);
    const scores = scale(refDistances(ql, [...ql, ...el]), (x) => -x / 0.5);
    const common = { queries: t2(q), keys: t2(k), extraKeys: t2(queue), queryLabels: ql, keyLabels: ql, extraKeyLabels: el, temperature: 0.3, labelTemperature: 0.5 };
    const diag = q.map((_, i) => Array.from({ length: 5 }, (_, j) => i === j));

    const excluded = softContrastiveLoss({ ...common, selfPositive: 'exclude' });
    const exInput = { queries: q, candidates: [...k, ...queue], temperature: 0.3, excluded: diag };
    expectClose(scalar(excluded.loss), refWeighted(exInput, refSoftmaxTargets(exInput, scores)).loss, 1e-5, 1e-5);

    const alpha = 0.6;
    const fixed = softContrastiveLoss({ ...common, selfPositive: { weight: alpha } });
    const rest = refSoftmaxTargets(exInput, scores);
    const targets = rest.map((row, i) => row.map((w, j) => (i === j ? alpha : (1 - alpha) * w)));
    expectClose(scalar(fixed.loss), refWeighted({ ...exInput, excluded: undefined }, targets).loss, 1e-5, 1e-5);

    // When the own key is the only candidate it takes all the mass: −log 1 = 0.
    const alone = softContrastiveLoss({ queries: t2([[1, 0]]), keys: t2([[0.5, 0.5]]), queryLabels: [[0, 0]], keyLabels: [[1, 1]], selfPositive: { weight: 0.3 } });
    expect([scalar(alone.loss), alone.validAnchors]).toEqual([0, 1]);
    // Other candidates with zero target weight stay negatives; the own key then gets all the mass, not just α.
    const onlyOwn = softContrastiveLoss({ queries: t2([[1, 0]]), keys: t2([[1, 0]]), extraKeys: t2([[0, 1]]), targetWeights: t2([[1, 0]]), selfPositive: { weight: 0.3 }, temperature: 1 });
    expectClose(scalar(onlyOwn.loss), Math.log(1 + Math.exp(-1)), 1e-6);
  });

  it('has gradients equal to finite differences (queries and queue keys, with α and a mask)', () => {
    const rng = new Random(17);
    const q = t2(randomMatrix(rng, 3, 3));
    const k = t2(randomMatrix(rng, 3, 3));
    const queue = t2(randomMatrix(rng, 3, 3));
    const ql = randomLabels(rng, 3);
    const el = randomLabels(rng, 3);
    const mask = [[false, false, false, true, false, false], [false, false, false, false, false, false], [false, true, false, false, false, true]];
    const loss = (over: { queries?: tf.Tensor2D; extraKeys?: tf.Tensor2D }): tf.Scalar =>
      softContrastiveLoss({ queries: q, keys: k, extraKeys: queue, ...over, queryLabels: ql, keyLabels: ql, extraKeyLabels: el, selfMask: mask, selfPositive: { weight: 0.5 }, temperature: 0.5, labelTemperature: 0.3 }).loss;
    expectGradientsClose((x) => loss({ queries: x as tf.Tensor2D }), q);
    expectGradientsClose((x) => loss({ extraKeys: x as tf.Tensor2D }), queue);
  });

  it('is invariant to permuting the batch (with labels and mask) and the queue', () => {
    const rng = new Random(23);
    const q = randomMatrix(rng, 4, 3);
    const k = randomMatrix(rng, 4, 3);
    const queue = randomMatrix(rng, 5, 3);
    const ql = randomLabels(rng, 4);
    const el = randomLabels(rng, 5);
    const p = [1, 3, 0, 2];
    const pq = [2, 4, 1, 0, 3];
    const pick = <T>(xs: T[], idx: number[]): T[] => idx.map((i) => xs[i] as T);
    const a = softContrastiveLoss({ queries: t2(q), keys: t2(k), extraKeys: t2(queue), queryLabels: ql, keyLabels: ql, extraKeyLabels: el, temperature: 0.2 });
    const b = softContrastiveLoss({
      queries: t2(pick(q, p)),
      keys: t2(pick(k, p)),
      extraKeys: t2(pick(queue, pq)),
      queryLabels: pick(ql, p),
      keyLabels: pick(ql, p),
      extraKeyLabels: pick(el, pq),
      temperature: 0.2,
    });
    expectClose(scalar(b.loss), scalar(a.loss), 1e-6, 1e-5);
  });

  it('skips anchors without target mass, handles a batch of one, an empty queue and zero embeddings', () => {
    const q = t2([[1, 0], [0, 1], [0, 0]]);
    const k = t2([[1, 0], [0, 1], [1, 1]]);
    const weights = t2([[1, 0, 2], [0, 0, 0], [1, 1, 1]]);
    const r = softContrastiveLoss({ queries: q, keys: k, targetWeights: weights, temperature: 1 });
    expect([r.validAnchors, r.skippedAnchors, r.skippedAnchorIndices]).toEqual([2, 1, [1]]);
    const ref = refWeighted({ queries: [[1, 0], [0, 0]], candidates: [[1, 0], [0, 1], [1, 1]], temperature: 1 }, [[1, 0, 2], [1, 1, 1]]);
    expectClose(scalar(r.loss), ref.loss, 1e-6);

    const allMasked = softContrastiveLoss({ queries: q, keys: k, targetWeights: weights, selfMask: [[true, true, true], [false, false, false], [true, true, true]] });
    expect([scalar(allMasked.loss), allMasked.validAnchors]).toEqual([0, 0]);

    const one = softContrastiveLoss({ queries: t2([[0.2, 0.1]]), keys: t2([[1, 1]]), queryLabels: [[0.1, 0.1]], keyLabels: [[0.1, 0.1]] });
    expect([scalar(one.loss), one.validAnchors]).toEqual([0, 1]);

    const labels = [[0.1, 0.2], [0.5, -0.5], [-1, 1]];
    const plain = softContrastiveLoss({ queries: q, keys: k, queryLabels: labels, keyLabels: labels });
    const empty = softContrastiveLoss({ queries: q, keys: k, queryLabels: labels, keyLabels: labels, extraKeys: tf.zeros([0, 2]) as tf.Tensor2D, extraKeyLabels: [] });
    expectClose(scalar(empty.loss), scalar(plain.loss), 1e-6);
    const g = tf.grad((x) => softContrastiveLoss({ queries: x as tf.Tensor2D, keys: k, queryLabels: labels, keyLabels: labels }).loss)(q);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('works inside tf.variableGrads and leaves no tensor behind', () => {
    const w = tf.variable(tf.tensor2d([[1, 0.5], [-0.2, 1]]));
    const x = t2([[1, 2], [3, -1], [0.5, 0.5]]);
    const k = t2([[1, 2.1], [2.9, -1], [0.4, 0.6]]);
    const labels = [va(0.5, 0.1), va(-0.3, 0.2), va(0.4, 0)];
    expectNoTensorLeak(() => {
      let valid = -1;
      const { value, grads } = tf.variableGrads(() => {
        const r = softContrastiveLoss({ queries: tf.matMul(x, w), keys: k, extraKeys: k, queryLabels: labels, keyLabels: labels, extraKeyLabels: labels, selfPositive: { weight: 0.5 } });
        valid = r.validAnchors;
        return r.loss;
      });
      expect(valid).toBe(3);
      expect(Array.from((Object.values(grads)[0] as tf.Tensor).dataSync()).every(Number.isFinite)).toBe(true);
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
    });
    w.dispose();
  });

  it('reports bad targets and options as CarlErrors naming the field', () => {
    const q = t2([[1, 0], [0, 1]]);
    const labels = [[0, 0], [1, 1]];
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q } as never), 'targetWeights');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, targetWeights: q, labelSimilarity: q } as never), 'targetWeights');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, targetWeights: t2([[1, -1], [0, 1]]) }), 'targetWeights');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, targetWeights: t2([[1, 0, 0], [0, 1, 0]]) }), 'targetWeights', 'SHAPE_MISMATCH');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, labelSimilarity: t2([[1, Number.NaN], [0, 1]]) }), 'labelSimilarity');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, queryLabels: labels, keyLabels: labels, labelTemperature: -1 }), 'labelTemperature');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, queryLabels: labels, keyLabels: labels, selfPositive: { weight: 0 } }), 'selfPositive.weight');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, queryLabels: labels, keyLabels: [[0, 0, 0], [1, 1, 1]] }), 'keyLabels');
    expectCarlError(() => softContrastiveLoss({ queries: q, keys: q, queryLabels: [[0, 0], [1]], keyLabels: labels }), 'queryLabels[1]');
  });
});
