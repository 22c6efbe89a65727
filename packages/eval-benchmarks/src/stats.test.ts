import { isCarlError } from '@carl/core';
import { accuracy, pearson } from './metrics';
import { bootstrapMean, holm, logGamma, meanStd, pairedBootstrap, pairedTest, quantileSorted, regularizedIncompleteBeta, studentTwoSidedP } from './stats';

describe('meanStd', () => {
  it('uses the n − 1 denominator', () => {
    const r = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(r.mean).toBe(5);
    expect(r.std).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(r.n).toBe(8);
  });

  it('handles one value, none, and skips NaN runs', () => {
    expect(meanStd([0.5])).toEqual({ mean: 0.5, std: 0, n: 1 });
    expect(meanStd([]).mean).toBeNaN();
    expect(meanStd([1, Number.NaN, 3])).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
  });

  it('rejects infinities', () => {
    expect(() => meanStd([1, Infinity])).toThrow(/finite/);
  });
});

describe('special functions', () => {
  it('logGamma matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(20.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)) + [...Array(20).keys()].reduce((s, k) => s + Math.log(k + 0.5), 0), 9);
  });

  it('regularised incomplete beta matches closed forms', () => {
    // I_x(a, 1) = x^a and I_x(1, b) = 1 − (1 − x)^b
    expect(regularizedIncompleteBeta(0.3, 2.5, 1)).toBeCloseTo(0.3 ** 2.5, 12);
    expect(regularizedIncompleteBeta(0.7, 1, 3.5)).toBeCloseTo(1 - 0.3 ** 3.5, 12);
    // symmetric case: I_{1/2}(a, a) = 1/2
    expect(regularizedIncompleteBeta(0.5, 7, 7)).toBeCloseTo(0.5, 12);
  });

  it('Student-t p-values match the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [0.1, 1, 2.5, 12]) {
      expect(studentTwoSidedP(t, 1)).toBeCloseTo(1 - (2 / Math.PI) * Math.atan(t), 10); // Cauchy
      expect(studentTwoSidedP(-t, 2)).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 10);
    }
  });

  it('reproduces textbook critical values', () => {
    expect(studentTwoSidedP(2.228138851986274, 10)).toBeCloseTo(0.05, 9); // t₀.₉₇₅(10)
    expect(studentTwoSidedP(4.302652729911275, 2)).toBeCloseTo(0.05, 9); // t₀.₉₇₅(2)
    expect(studentTwoSidedP(1.959963984540054, 1e7)).toBeCloseTo(0.05, 5); // → normal
    expect(studentTwoSidedP(0, 5)).toBeCloseTo(1, 12);
  });
});

describe('pairedTest', () => {
  it('t-test: hand-worked case with 2 degrees of freedom', () => {
    // d = [1, 2, 4]: mean 7/3, s² = 7/3, t = (7/3)/√(7/9) = √7
    const r = pairedTest([3, 5, 9], [2, 3, 5]);
    expect(r.method).toBe('t');
    expect(r.df).toBe(2);
    expect(r.meanDifference).toBeCloseTo(7 / 3, 12);
    expect(r.statistic).toBeCloseTo(Math.sqrt(7), 12);
    expect(r.p).toBeCloseTo(1 - Math.sqrt(7) / 3, 10);
  });

  it('t-test: symmetric in the sign, and degenerate cases', () => {
    expect(pairedTest([2, 3, 5], [3, 5, 9]).p).toBeCloseTo(pairedTest([3, 5, 9], [2, 3, 5]).p, 12);
    expect(pairedTest([1, 2, 3], [1, 2, 3]).p).toBe(1);
    const constant = pairedTest([1.5, 2.5, 3.5], [1, 2, 3]);
    expect(constant.p).toBe(0);
    expect(constant.statistic).toBe(Infinity);
  });

  it('permutation test: exact p for 3 pairs is never below 2/8', () => {
    // all differences positive: only "no flip" and "flip all" reach |Σd| → 2/8
    const r = pairedTest([0.64, 0.66, 0.65], [0.6, 0.63, 0.61], { method: 'permutation' });
    expect(r.exact).toBe(true);
    expect(r.p).toBeCloseTo(0.25, 12);
    // d = [1, −1, 2], |Σd| = 2. Signed sums of the 8 flips: 2, −2, 4, 0, 0, −4, 2, −2 → 6 reach |2| → 6/8
    expect(pairedTest([1, 0, 2], [0, 1, 0], { method: 'permutation' }).p).toBeCloseTo(0.75, 12);
  });

  it('permutation test: Monte-Carlo p agrees with the t-test on a large clear effect and is seeded', () => {
    const a = Array.from({ length: 30 }, (_, i) => 1 + Math.sin(i));
    const b = a.map((v, i) => v - 0.5 - 0.1 * Math.cos(3 * i));
    const r1 = pairedTest(a, b, { method: 'permutation', permutations: 2000, seed: 3 });
    const r2 = pairedTest(a, b, { method: 'permutation', permutations: 2000, seed: 3 });
    expect(r1.exact).toBe(false);
    expect(r1.p).toBe(r2.p);
    expect(r1.p).toBeCloseTo(1 / 2001, 12); // no random flip reaches the observed sum
    const null0 = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (1 + (i % 3)));
    expect(pairedTest(null0, new Array<number>(30).fill(0), { method: 'permutation', permutations: 2000 }).p).toBeGreaterThan(0.3);
  });

  it('rejects too few pairs, mismatched lengths and unknown methods', () => {
    expect(() => pairedTest([1], [2])).toThrow(/at least 2/);
    expect(() => pairedTest([1, 2], [2])).toThrow(/lengths differ/);
    try {
      pairedTest([1, 2], [2, 3], { method: 'wilcoxon' as 't' });
      throw new Error('no error');
    } catch (e) {
      expect(isCarlError(e, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});

describe('pairedBootstrap', () => {
  const truth = Array.from({ length: 200 }, (_, i) => Math.sin(i * 0.7));
  const good = truth.map((v, i) => v + 0.3 * Math.cos(i * 1.3));
  const bad = truth.map((v, i) => v + 1.5 * Math.cos(i * 1.3 + 1));

  it('finds a clear difference and brackets it', () => {
    const r = pairedBootstrap({ truth, a: good, b: bad, metric: pearson, resamples: 500, seed: 7 });
    expect(r.difference).toBeCloseTo(pearson(truth, good) - pearson(truth, bad), 12);
    expect(r.interval[0]).toBeLessThan(r.difference);
    expect(r.interval[1]).toBeGreaterThan(r.difference);
    expect(r.interval[0]).toBeGreaterThan(0);
    expect(r.p).toBe(0);
    expect(r.resamples).toBe(500);
  });

  it('gives p = 1 and a zero-width interval for identical systems', () => {
    const r = pairedBootstrap({ truth, a: good, b: good, metric: pearson, resamples: 100 });
    expect(r.difference).toBe(0);
    expect(r.interval).toEqual([0, 0]);
    expect(r.p).toBe(1);
  });

  it('works with class labels and is reproducible by seed', () => {
    const y = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 'pos' : 'neg'));
    const a = y.map((v, i) => (i % 10 === 0 ? 'pos' : v));
    const b = y.map((v, i) => (i % 4 === 0 ? 'pos' : v));
    const r1 = pairedBootstrap({ truth: y, a, b, metric: accuracy, resamples: 300, seed: 1 });
    const r2 = pairedBootstrap({ truth: y, a, b, metric: accuracy, resamples: 300, seed: 1 });
    expect(r1).toEqual(r2);
    expect(r1.difference).toBeCloseTo(accuracy(y, a) - accuracy(y, b), 12);
  });

  it('rejects a bad confidence level', () => {
    expect(() => pairedBootstrap({ truth, a: good, b: bad, metric: pearson, confidence: 1.5 })).toThrow(/confidence|\(0, 1\)/);
  });
});

describe('quantileSorted', () => {
  it('interpolates linearly like numpy', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(quantileSorted([5], 0.9)).toBe(5);
  });
});

describe('holm', () => {
  it('adjusts a known p-vector by hand (step-down, monotone, in input order)', () => {
    // sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → raised to 0.06 (monotone)
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    [0.03, 0.06, 0.06, 0.02].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
  });

  it('caps at 1, keeps NaN out of the family and rejects values outside [0, 1]', () => {
    const adjusted = holm([0.5, Number.NaN, 0.4]);
    expect(adjusted[0]).toBeCloseTo(0.8, 12); // m = 2: 0.4·2 = 0.8, then max(0.8, 0.5·1)
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.8, 12);
    expect(holm([0.9, 0.6])).toEqual([1, 1]);
    expect(() => holm([1.2])).toThrow(/\[0, 1\]/);
  });
});

describe('bootstrapMean', () => {
  it('matches the exact bootstrap distribution of two values: means 0, ½, 1 with mass ¼, ½, ¼', () => {
    const r = bootstrapMean([0, 1], { resamples: 20_000, seed: 3 });
    expect(r.mean).toBe(0.5);
    expect(r.interval).toEqual([0, 1]);
    // a 40 % interval sits inside the central mass at ½
    expect(bootstrapMean([0, 1], { resamples: 20_000, seed: 3, confidence: 0.4 }).interval).toEqual([0.5, 0.5]);
  });

  it('matches the exact distribution of [0, 0, 3]: P(mean ≤ 2) = 26/27, so the 90 % interval is [0, 2] and the 95 % one [0, 3]', () => {
    expect(bootstrapMean([0, 0, 3], { resamples: 40_000, seed: 5, confidence: 0.9 }).interval).toEqual([0, 2]);
    expect(bootstrapMean([0, 0, 3], { resamples: 40_000, seed: 5 }).interval).toEqual([0, 3]);
  });

  it('is deterministic for a seed, degenerate for constant values, and checks its input', () => {
    const values = [0.012, -0.004, 0.02, 0.007, 0.001];
    expect(bootstrapMean(values, { seed: 1 })).toEqual(bootstrapMean(values, { seed: 1 }));
    expect(bootstrapMean([0.3, 0.3, 0.3]).interval).toEqual([0.3, 0.3]);
    expect(() => bootstrapMean([])).toThrow();
    expect(() => bootstrapMean([1, Number.NaN])).toThrow();
  });
});
