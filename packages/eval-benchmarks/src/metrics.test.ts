import { expectCarlError } from '@carl/core/testing';
import {
  accuracy,
  alignment,
  averageRanks,
  confusionMatrix,
  macroF1,
  mae,
  pearson,
  perClassScores,
  rmse,
  spearman,
  uniformity,
} from './metrics';

describe('pearson', () => {
  it('matches a hand-worked case', () => {
    // mx = 2, my = 13/3; Σdxdy = 5, Σdx² = 2, Σdy² = 114/9 → r = 5 / √(228/9)
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(228 / 9), 12);
  });

  it('is ±1 for exact linear relations and invariant to affine maps', () => {
    const x = [0.3, -1.2, 4.4, 2.0, 0.0];
    expect(pearson(x, x.map((v) => 3 * v - 7))).toBeCloseTo(1, 12);
    expect(pearson(x, x.map((v) => -0.5 * v + 2))).toBeCloseTo(-1, 12);
    const y = [1, 5, 2, 2, 8];
    expect(pearson(x.map((v) => 100 * v + 1e6), y)).toBeCloseTo(pearson(x, y), 9);
  });

  it('keeps its digits when the mean dwarfs the spread', () => {
    const x = [1e9 + 1, 1e9 + 2, 1e9 + 3];
    expect(pearson(x, [1, 2, 3])).toBeCloseTo(1, 12);
  });

  it('returns NaN for a constant series (a collapsed model) instead of a made-up number', () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(spearman([1, 2, 3], [4, 4, 4])).toBeNaN();
  });

  it('rejects bad input with typed errors', () => {
    expectCarlError(() => pearson([1, 2], [1, 2, 3]), 'SHAPE_MISMATCH');
    expectCarlError(() => pearson([1], [1]), 'INVALID_ARGUMENT');
    expectCarlError(() => pearson([1, Number.NaN, 3], [1, 2, 3]), 'INVALID_ARGUMENT', { field: 'x[1]' });
  });
});

describe('averageRanks and spearman', () => {
  it('gives ties the average of the ranks they span', () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([3, 1, 3, 3]))).toEqual([3, 1, 3, 3]);
  });

  it('matches scipy.stats.spearmanr on a case with ties', () => {
    // ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: Σdxdy = 4.5, Σdx² = 4.5, Σdy² = 5 → 4.5/√22.5
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(4.5 / Math.sqrt(22.5), 12);
  });

  it('is 1 for any increasing transform and −1 for a decreasing one', () => {
    const x = [0.1, 5, -2, 3.3, 8];
    expect(spearman(x, x.map(Math.exp))).toBeCloseTo(1, 12);
    expect(spearman(x, x.map((v) => -(v ** 3)))).toBeCloseTo(-1, 12);
  });

  it('agrees with the no-ties formula 1 − 6Σd²/(n(n²−1))', () => {
    const x = [3, 1, 4, 1.5, 5, 9, 2.6];
    const y = [2.7, 1.8, 2.8, 1.9, 4.5, 0.5, 3.2];
    const rx = averageRanks(x);
    const ry = averageRanks(y);
    let sum = 0;
    for (let i = 0; i < x.length; i++) sum += ((rx[i] as number) - (ry[i] as number)) ** 2;
    const n = x.length;
    expect(spearman(x, y)).toBeCloseTo(1 - (6 * sum) / (n * (n * n - 1)), 12);
  });
});

describe('rmse and mae', () => {
  it('match hand-worked values', () => {
    expect(rmse([1, 2, 3], [1, 2, 5])).toBeCloseTo(Math.sqrt(4 / 3), 12);
    expect(mae([1, 2, 3], [0, 2, 5])).toBeCloseTo(1, 12);
    expect(rmse([0, 0], [3, 4])).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(mae([0, 0], [3, -4])).toBeCloseTo(3.5, 12);
  });

  it('are 0 for perfect predictions and reject empty input', () => {
    expect(rmse([0.5, -0.25], [0.5, -0.25])).toBe(0);
    expectCarlError(() => mae([], []), 'INVALID_ARGUMENT');
    expectCarlError(() => rmse([1, 2], [1, Infinity]), 'INVALID_ARGUMENT', { field: 'predicted[1]' });
  });
});

describe('classification metrics', () => {
  it('accuracy counts exact matches', () => {
    expect(accuracy(['joy', 'fear', 'joy'], ['joy', 'joy', 'joy'])).toBeCloseTo(2 / 3, 12);
    expect(accuracy([0, 1, 2, 3], [0, 1, 2, 3])).toBe(1);
  });

  it('builds the confusion matrix with true classes as rows', () => {
    const cm = confusionMatrix(['a', 'b', 'b', 'c'], ['a', 'a', 'b', 'b']);
    expect(cm.labels).toEqual(['a', 'b', 'c']);
    expect(cm.matrix).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [0, 1, 0],
    ]);
    // explicit labels fix the order and may include classes that never occur
    expect(confusionMatrix([1, 0], [1, 1], [1, 0, 2]).matrix).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('rejects a label outside an explicit list instead of dropping the item', () => {
    expectCarlError(() => confusionMatrix(['a', 'z'], ['a', 'a'], ['a', 'b']), 'INVALID_ARGUMENT', { field: 'truth[1]' });
    expectCarlError(() => confusionMatrix(['a'], ['a'], ['a', 'a']), 'INVALID_ARGUMENT', { field: 'labels' });
  });

  it('macro-F1 matches a hand-worked case', () => {
    // a: P = 1, R = 1/2 → F1 = 2/3; b: P = 2/3, R = 1 → F1 = 4/5
    expect(macroF1(['a', 'a', 'b', 'b'], ['a', 'b', 'b', 'b'])).toBeCloseTo((2 / 3 + 4 / 5) / 2, 12);
  });

  it('gives a never-predicted class F1 = 0 and lets rare classes weigh fully', () => {
    const truth = ['x', 'x', 'x', 'x', 'x', 'x', 'x', 'x', 'y', 'y'];
    const pred = new Array<string>(10).fill('x');
    // majority guess: accuracy 0.8 but F1(x) = 2·0.8/(1.8), F1(y) = 0
    expect(accuracy(truth, pred)).toBeCloseTo(0.8, 12);
    expect(macroF1(truth, pred)).toBeCloseTo((1.6 / 1.8 + 0) / 2, 12);
    const scores = perClassScores(truth, pred);
    expect(scores[1]).toEqual({ label: 'y', precision: 0, recall: 0, f1: 0, support: 2 });
  });

  it('counts a class that only appears in predictions (scikit-learn default labels)', () => {
    expect(macroF1(['a', 'a'], ['a', 'b'])).toBeCloseTo((2 / 3 + 0) / 2, 12);
  });
});

describe('alignment and uniformity', () => {
  it('alignment is the mean squared distance of L2-normalised pairs', () => {
    expect(alignment([[1, 0]], [[0, 1]])).toBeCloseTo(2, 12);
    // scale does not matter: both rows normalise to the same unit vector
    expect(alignment([[3, 4], [1, 0]], [[6, 8], [-2, 0]])).toBeCloseTo((0 + 4) / 2, 12);
    expect(alignment([[1, 0]], [[0, 1]], 1)).toBeCloseTo(Math.SQRT2, 12);
  });

  it('uniformity matches hand-worked cases', () => {
    // three points 120° apart: every squared distance is 3 → log e^{−6}
    const tri = [0, 1, 2].map((k) => [Math.cos((2 * Math.PI * k) / 3), Math.sin((2 * Math.PI * k) / 3)]);
    expect(uniformity(tri)).toBeCloseTo(-6, 10);
    // d² = 2, 4, 2 → log((2e^{−4} + e^{−8}) / 3)
    expect(uniformity([[1, 0], [0, 2], [-5, 0]])).toBeCloseTo(Math.log((2 * Math.exp(-4) + Math.exp(-8)) / 3), 12);
  });

  it('does not underflow for far-apart points with a large t', () => {
    expect(uniformity([[1, 0], [-1, 0]], 400)).toBeCloseTo(-1600, 8);
  });

  it('rejects zero vectors', () => {
    expectCarlError(() => uniformity([[0, 0], [1, 0]]), 'INVALID_ARGUMENT', { field: 'vectors[0]' });
  });
});
