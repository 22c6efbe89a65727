import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { detectionMetrics, perturbedTokenDetectionLoss } from './detection-loss';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The textbook weighted BCE in float64, for moderate logits. */
function referenceLoss(x: number[][], y: number[][], m: number[][], w = 1): number {
  let sum = 0;
  let count = 0;
  x.forEach((row, i) =>
    row.forEach((v, j) => {
      if ((m[i] as number[])[j] === 0) return;
      const t = (y[i] as number[])[j] as number;
      sum += -(w * t * Math.log(sigmoid(v)) + (1 - t) * Math.log(1 - sigmoid(v)));
      count++;
    }),
  );
  return sum / count;
}

const x = [
  [2, -1, 0.5, 7],
  [0, 3, -4, 1.5],
];
const y = [
  [1, 0, 1, 0],
  [0, 1, 1, 0],
];
const m = [
  [1, 1, 1, 0],
  [1, 1, 1, 0],
];

describeWithBackends('perturbedTokenDetectionLoss', () => {
  it('equals the hand-computed masked BCE, padding excluded', () => {
    const logits = tf.tensor2d(x);
    const loss = perturbedTokenDetectionLoss(logits, y, m);
    expectClose(loss, referenceLoss(x, y, m), 1e-5, 1e-5);
    // Spelled out for the first row only: (−log σ(2) − log(1 − σ(−1)) − log σ(0.5)) / 3.
    const first = tf.tensor2d([x[0] as number[]]);
    const row0 = perturbedTokenDetectionLoss(first, [y[0] as number[]], [m[0] as number[]]);
    expectClose(row0, (Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(-0.5))) / 3, 1e-6, 1e-5);
    tf.dispose([logits, loss, first, row0]);
  });

  it('weights positives by positiveWeight, or balances the classes', () => {
    const logits = tf.tensor2d(x);
    const weighted = perturbedTokenDetectionLoss(logits, y, m, { positiveWeight: 3 });
    expectClose(weighted, referenceLoss(x, y, m, 3), 1e-5, 1e-5);
    // Masked tokens: 4 positives, 2 negatives → w = 2/4.
    const balanced = perturbedTokenDetectionLoss(logits, y, m, { positiveWeight: 'balanced' });
    expectClose(balanced, referenceLoss(x, y, m, 0.5), 1e-5, 1e-5);
    tf.dispose([logits, weighted, balanced]);
  });

  it('stays exact and finite for huge logits', () => {
    const logits = tf.tensor2d([[100, 100, -100, -100, 30]]);
    const labels = [[1, 0, 1, 0, 0]];
    const mask = [[1, 1, 1, 1, 1]];
    const loss = perturbedTokenDetectionLoss(logits, labels, mask);
    expectClose(loss, (0 + 100 + 100 + 0 + 30) / 5, 1e-4, 1e-6);
    const grad = tf.grad((l: tf.Tensor) => perturbedTokenDetectionLoss(l as tf.Tensor2D, labels, mask))(logits);
    expectClose(grad, [0, 0.2, -0.2, 0, 0.2], 1e-6, 1e-5);
    tf.dispose([logits, loss, grad]);
  });

  it('has gradient (σ(x) − y)·mask / count, exactly at x = 0 too, matching finite differences', () => {
    const zeros = tf.zeros([2, 4]) as tf.Tensor2D;
    const grad = tf.grad((l: tf.Tensor) => perturbedTokenDetectionLoss(l as tf.Tensor2D, y, m))(zeros);
    expectClose(grad, y.flatMap((row, i) => row.map((t, j) => ((m[i] as number[])[j] === 1 ? (0.5 - t) / 6 : 0))), 1e-6, 1e-5);
    const logits = tf.tensor2d(x);
    expectGradientsClose((l) => perturbedTokenDetectionLoss(l as tf.Tensor2D, y, m, { positiveWeight: 2.5 }), logits, 1e-3, 1e-2, 1e-2);
    tf.dispose([zeros, grad, logits]);
  });

  it('gives 0 with a zero gradient when nothing is masked in, and accepts tensors', () => {
    const logits = tf.tensor2d(x);
    const none = [
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ];
    const { value, grad } = tf.valueAndGrad((l: tf.Tensor2D) => perturbedTokenDetectionLoss(l, y, none, { positiveWeight: 'balanced' }))(logits);
    expect(value.dataSync()[0]).toBe(0);
    expect(Array.from(grad.dataSync()).every((g) => g === 0)).toBe(true);
    const yt = tf.tensor2d(y, undefined, 'int32');
    const mt = tf.tensor2d(m);
    const fromTensors = perturbedTokenDetectionLoss(logits, yt, mt);
    expectClose(fromTensors, referenceLoss(x, y, m), 1e-5, 1e-5);
    tf.dispose([logits, value, grad, yt, mt, fromTensors]);
  });

  it('leaks nothing and rejects bad labels, masks and weights', () => {
    const logits = tf.tensor2d(x);
    expectNoTensorLeak(() => perturbedTokenDetectionLoss(logits, y, m, { positiveWeight: 'balanced' }).dispose());
    const fails = (fn: () => unknown, code: string, field: string): void =>
      expect(fn).toThrow(expect.objectContaining({ code, location: expect.objectContaining({ field }) }));
    expectNoTensorLeak(() => fails(() => perturbedTokenDetectionLoss(logits, [[1, 0, 1]], m), 'SHAPE_MISMATCH', 'labels'));
    fails(() => perturbedTokenDetectionLoss(logits, [[1, 0, 2, 0], [0, 0, 0, 0]], m), 'INVALID_ARGUMENT', 'labels[0][2]');
    fails(() => perturbedTokenDetectionLoss(logits, y, [[1, 1, 1, -1], [0, 0, 0, 0]]), 'INVALID_ARGUMENT', 'mask[0][3]');
    const wrongMask = tf.ones([2, 3]) as tf.Tensor2D;
    const rank1 = tf.ones([2]) as unknown as tf.Tensor2D;
    fails(() => perturbedTokenDetectionLoss(logits, y, wrongMask), 'SHAPE_MISMATCH', 'mask');
    fails(() => perturbedTokenDetectionLoss(logits, y, m, { positiveWeight: 0 }), 'INVALID_ARGUMENT', 'positiveWeight');
    fails(() => perturbedTokenDetectionLoss(rank1, y, m), 'SHAPE_MISMATCH', 'logits');
    tf.dispose([logits, wrongMask, rank1]);
  });
});

describeWithBackends('detectionMetrics', () => {
  it('counts masked tokens only, thresholding logits at 0', () => {
    // masked predictions (x > 0): [1, 0, 1], [0, 1, 0]; labels [1, 0, 1], [0, 1, 1] → TP 3, FP 0, FN 1, TN 2.
    const logits = tf.tensor2d(x);
    const metrics = detectionMetrics(logits, y, m);
    expect(metrics.count).toBe(6);
    expect(metrics.accuracy).toBeCloseTo(5 / 6, 10);
    expect(metrics.precision).toBe(1);
    expect(metrics.recall).toBeCloseTo(3 / 4, 10);
    expect(metrics.f1).toBeCloseTo((2 * 0.75) / 1.75, 10);
    expect(metrics.positiveRate).toBeCloseTo(4 / 6, 10);
    expect(detectionMetrics(logits, y, m, 1.8).recall).toBeCloseTo(2 / 4, 10); // 2 and 3 pass, 0.5 does not
    const empty = detectionMetrics(logits, y, [[0, 0, 0, 0], [0, 0, 0, 0]]);
    expect(empty).toEqual({ accuracy: 0, precision: 0, recall: 0, f1: 0, positiveRate: 0, count: 0 });
    logits.dispose();
  });
});
