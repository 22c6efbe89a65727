import { Random, isCarlError } from '@carl/core';
import { fitRidge } from '@carl/eval-benchmarks';
import { fitHeadOnEmbeddings } from './head-fit';

/** n rows of d features with targets linear in the first two features plus noise. */
function dataset(n: number, d: number, feature: (raw: number, j: number) => number, seed = 1): { x: number[][]; y: number[][]; clean: number[][] } {
  const rng = new Random(seed);
  const clean = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
  const y = clean.map((r) => [0.5 * (r[0] as number) - 0.2 * (r[1] as number) + 0.05 * rng.normal(), 0.3 * (r[1] as number) + 0.05 * rng.normal()]);
  return { x: clean.map((r) => r.map(feature)), y, clean };
}

const predict = (head: { weights: readonly (readonly number[])[]; intercept: readonly number[] }, row: readonly number[]): number[] =>
  head.intercept.map((b, c) => row.reduce((sum, v, j) => sum + v * ((head.weights[j] as readonly number[])[c] as number), b));

describe('fitHeadOnEmbeddings', () => {
  it('gives the same head as fitRidge on healthy embeddings (the pre-scaling changes nothing)', () => {
    const { x, y } = dataset(60, 6, (v, j) => 3 * v + j);
    const direct = fitRidge(x, y, { seed: 4 });
    const { head, alphas, note } = fitHeadOnEmbeddings(x, y, { seed: 4 });
    expect(head.alpha).toEqual(direct.alpha);
    expect(alphas).toHaveLength(9);
    expect(note).toBeUndefined();
    head.weights.forEach((w, j) => w.forEach((v, c) => expect(v).toBeCloseTo((direct.weights[j] as number[])[c] as number, 9)));
    head.intercept.forEach((b, c) => expect(b).toBeCloseTo(direct.intercept[c] as number, 9));
    expect(head.trainedOn).toBe(60);
  });

  it('fits a head on huge, nearly constant embeddings (a diverged encoder) where fitRidge fails', () => {
    // Offsets of 1e9 with unit spread: sums of squares lose the spread in float64.
    const { x, y, clean } = dataset(80, 8, (v, j) => 1e9 * (j + 1) + v);
    expect(() => fitRidge(x, y, { seed: 0 })).toThrow(/not positive definite/);
    const { head } = fitHeadOnEmbeddings(x, y);
    // It recovers the signal: predictions from the raw features match the clean linear targets.
    const errors = x.map((row, i) => Math.abs((predict(head, row)[0] as number) - (0.5 * ((clean[i] as number[])[0] as number) - 0.2 * ((clean[i] as number[])[1] as number))));
    expect(Math.max(...errors)).toBeLessThan(0.25);
  });

  it('gives constant features no weight', () => {
    const { x, y } = dataset(30, 3, (v, j) => (j === 2 ? 7 : v));
    const { head } = fitHeadOnEmbeddings(x, y);
    expect(head.weights[2]).toEqual([0, 0]);
  });

  it('uses a given penalty, and refuses non-finite embeddings with a typed error', () => {
    const { x, y } = dataset(20, 3, (v) => v);
    expect(fitHeadOnEmbeddings(x, y, { ridgeAlpha: 5 }).head.alpha).toEqual([5, 5]);
    x[3] = [Number.NaN, 1, 2];
    let error: unknown;
    try {
      fitHeadOnEmbeddings(x, y);
    } catch (e) {
      error = e;
    }
    expect(isCarlError(error, 'NUMERIC_INSTABILITY')).toBe(true);
    expect((error as Error).message).toMatch(/non-finite embeddings for 1 of 20 rows/);
  });
});
