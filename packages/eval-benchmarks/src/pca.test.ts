import { Random } from '@carl/core';
import { symmetricEigen } from './linalg';
import { pca } from './pca';

describe('pca', () => {
  it('matches a hand-worked 2-D case', () => {
    // Σxxᵀ/(n−1) = [[20, 16], [16, 20]] / 3 → eigenvalues 12 and 4/3, axes (1, 1)/√2 and (1, −1)/√2
    const rows = [[3, 3], [-3, -3], [1, -1], [-1, 1]];
    const r = pca(rows, { components: 2 });
    expect(r.variances[0]).toBeCloseTo(12, 9);
    expect(r.variances[1]).toBeCloseTo(4 / 3, 9);
    expect(r.explainedRatio[0]).toBeCloseTo(0.9, 9);
    expect(r.components[0]?.[0]).toBeCloseTo(Math.SQRT1_2, 9);
    expect(r.components[0]?.[1]).toBeCloseTo(Math.SQRT1_2, 9);
    // sign rule: the largest-magnitude entry is positive (ties → the first)
    expect(r.components[1]?.[0]).toBeCloseTo(Math.SQRT1_2, 9);
    expect(r.components[1]?.[1]).toBeCloseTo(-Math.SQRT1_2, 9);
    expect(r.projected[0]?.[0]).toBeCloseTo(3 * Math.SQRT2, 9);
    expect(r.projected[2]?.[1]).toBeCloseTo(Math.SQRT2, 9);
    expect(r.mean).toEqual([0, 0]);
  });

  it('agrees with a Jacobi eigen-decomposition of the full covariance', () => {
    const rng = new Random(2);
    const d = 10;
    const mix = Array.from({ length: d }, () => Array.from({ length: d }, () => rng.normal()));
    const rows = Array.from({ length: 200 }, () => {
      const s = Array.from({ length: d }, (_, j) => rng.normal() * (j + 1));
      return mix.map((m) => m.reduce((acc, v, j) => acc + v * (s[j] as number), 5));
    });
    const cov = covariance(rows);
    const ref = symmetricEigen(cov);
    const r = pca(rows, { components: 3, seed: 4 });
    for (let c = 0; c < 3; c++) {
      expect(r.variances[c]).toBeCloseTo(ref.values[c] as number, 6);
      const dot = (r.components[c] as number[]).reduce((s, v, j) => s + v * ((ref.vectors[c] as number[])[j] as number), 0);
      expect(Math.abs(dot)).toBeCloseTo(1, 6);
    }
    const total = cov.reduce((s, row, i) => s + (row[i] as number), 0);
    expect(r.explainedRatio[0]).toBeCloseTo((ref.values[0] as number) / total, 8);
  });

  it('converges when the two leading variances are nearly equal', () => {
    const rng = new Random(6);
    const rows = Array.from({ length: 300 }, () => [rng.normal() * 3, rng.normal() * 2.97, rng.normal() * 0.5, rng.normal() * 0.1]);
    const r = pca(rows, { components: 2 });
    const ref = symmetricEigen(covariance(rows));
    expect(r.variances[0]).toBeCloseTo(ref.values[0] as number, 6);
    expect(r.variances[1]).toBeCloseTo(ref.values[1] as number, 6);
  });

  it('handles rank-deficient data: extra axes are orthonormal with zero variance', () => {
    const rows = [1, 2, 3, 4, 5].map((t) => [t, 2 * t, -t, 0]);
    const r = pca(rows, { components: 2 });
    expect(r.variances[1]).toBeCloseTo(0, 9);
    const c0 = r.components[0] as number[];
    const c1 = r.components[1] as number[];
    expect(c0.reduce((s, v, j) => s + v * (c1[j] as number), 0)).toBeCloseTo(0, 9);
    expect(Math.hypot(...c1)).toBeCloseTo(1, 9);
    expect(r.explainedRatio[0]).toBeCloseTo(1, 9);
  });

  it('is deterministic for a seed and rejects bad input', () => {
    const rows = [[1, 2, 3], [2, 1, 0], [0, 0, 1], [5, 1, 2]];
    expect(pca(rows, { seed: 1 }).projected).toEqual(pca(rows, { seed: 1 }).projected);
    expect(() => pca([[1, 2]])).toThrow(/at least 2 rows/);
    expect(() => pca(rows, { components: 4 })).toThrow(/components/);
    expect(() => pca([[1, 2], [Number.NaN, 1]])).toThrow(/finite/);
  });
});

function covariance(rows: number[][]): number[][] {
  const d = (rows[0] as number[]).length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((a, r) => a + (r[j] as number), 0) / rows.length);
  return Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) => rows.reduce((s, r) => s + ((r[a] as number) - (mean[a] as number)) * ((r[b] as number) - (mean[b] as number)), 0) / (rows.length - 1)),
  );
}
