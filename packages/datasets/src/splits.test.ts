import type { LabeledText } from '@carl/core';
import { kFold, trainTestSplit } from './splits';

function rows(counts: Record<string, number>): LabeledText[] {
  const out: LabeledText[] = [];
  for (const [label, n] of Object.entries(counts)) for (let i = 0; i < n; i++) out.push({ id: `${label}-${i}`, text: `${label} ${i}`, labels: [label] });
  return out;
}

const count = (list: readonly LabeledText[], label: string): number => list.filter((r) => r.labels?.[0] === label).length;

describe('kFold', () => {
  const data = rows({ a: 23, b: 11, c: 5 }); // 39 rows, deliberately not divisible by k

  it('partitions the rows: every row in exactly one test fold, train = the rest', () => {
    const folds = kFold(data, 5, { seed: 3 });
    expect(folds).toHaveLength(5);
    const seen = folds.flatMap((f) => f.test.map((r) => r.id));
    expect(new Set(seen).size).toBe(39);
    expect(seen).toHaveLength(39);
    for (const f of folds) {
      expect(f.train.length + f.test.length).toBe(39);
      expect(f.train.some((r) => f.test.includes(r))).toBe(false);
    }
  });

  it('balances fold sizes and every stratum within one row', () => {
    const folds = kFold(data, 5, { seed: 3 });
    const sizes = folds.map((f) => f.test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const label of ['a', 'b', 'c']) {
      const per = folds.map((f) => count(f.test, label));
      expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(1);
      expect(per.reduce((s, x) => s + x, 0)).toBe(label === 'a' ? 23 : label === 'b' ? 11 : 5);
    }
  });

  it('is reproducible for a seed and differs across seeds; order of the input does not matter', () => {
    const ids = (seed: number, input = data): string[][] => kFold(input, 4, { seed }).map((f) => f.test.map((r) => r.id).sort());
    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
    expect(ids(7, [...data].reverse())).toEqual(ids(7));
  });

  it('without stratification, a rare class can be missing from a fold (so stratify is the default)', () => {
    const skewed = rows({ common: 38, rare: 2 });
    const plain = kFold(skewed, 10, { seed: 1, stratify: false });
    const strat = kFold(skewed, 10, { seed: 1 });
    expect(strat.map((f) => count(f.test, 'rare')).sort()).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(plain.map((f) => f.test.length)).toEqual(new Array(10).fill(4));
  });

  it('stratifies VA rows by quadrant and accepts a custom key', () => {
    const va: LabeledText[] = Array.from({ length: 40 }, (_, i) => ({ id: String(i), text: 't', va: { valence: i < 10 ? -0.5 : 0.5, arousal: i % 2 === 0 ? 0.3 : -0.3 } }));
    const folds = kFold(va, 5, { seed: 2 });
    for (const f of folds) expect(f.test.filter((r) => (r.va?.valence ?? 0) < 0)).toHaveLength(2);
    const byParity = kFold(va, 2, { seed: 2, stratify: (r) => String(Number(r.id) % 2) });
    for (const f of byParity) expect(f.test.filter((r) => Number(r.id) % 2 === 0)).toHaveLength(10);
  });

  it('rejects k < 2, more folds than rows, and fractional seeds', () => {
    expect(() => kFold(data, 1)).toThrow(/k must be an integer ≥ 2/);
    expect(() => kFold(data.slice(0, 3), 4)).toThrow(/cannot make 4 folds from 3 rows/);
    expect(() => kFold(data, 3, { seed: 0.5 })).toThrow(/seed/);
  });
});

describe('trainTestSplit', () => {
  const data = rows({ a: 60, b: 30, c: 10 });

  it('takes round(n · fraction) test rows, in proportion per stratum, reproducibly', () => {
    const { train, test } = trainTestSplit(data, { testSize: 0.2, seed: 4 });
    expect(test).toHaveLength(20);
    expect(train).toHaveLength(80);
    expect([count(test, 'a'), count(test, 'b'), count(test, 'c')]).toEqual([12, 6, 2]);
    expect(trainTestSplit(data, { testSize: 0.2, seed: 4 }).test.map((r) => r.id)).toEqual(test.map((r) => r.id));
    expect(trainTestSplit(data, { testSize: 0.2, seed: 5 }).test.map((r) => r.id)).not.toEqual(test.map((r) => r.id));
  });

  it('accepts an absolute count, and odd fractions round to the nearest row', () => {
    expect(trainTestSplit(data, { testSize: 7, seed: 0 }).test).toHaveLength(7);
    expect(trainTestSplit(data, { testSize: 0.155, seed: 0 }).test).toHaveLength(16);
  });

  it('rejects sizes that are not a fraction in (0, 1) or a whole count ≤ n', () => {
    for (const testSize of [0, 1.5, -0.2, 101, NaN]) expect(() => trainTestSplit(data, { testSize })).toThrow(/testSize/);
  });
});
