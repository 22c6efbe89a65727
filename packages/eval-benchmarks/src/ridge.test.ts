import { isCarlError, Random } from '@carl/core';
import { assignFolds, splitByFold } from './folds';
import { fitRidge, sparseRidgeSolve } from './ridge';
import { toSparse } from './__fixtures__/sparse';

/** Solves A·x = b by Gauss–Jordan elimination with partial pivoting (independent of the Cholesky path). */
function gaussSolve(a: number[][], b: number[]): number[] {
  const n = a.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[p] as number[])[c] as number)) p = r;
    [m[c], m[p]] = [m[p] as number[], m[c] as number[]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = ((m[r] as number[])[c] as number) / ((m[c] as number[])[c] as number);
      for (let k = c; k <= n; k++) (m[r] as number[])[k] = ((m[r] as number[])[k] as number) - f * ((m[c] as number[])[k] as number);
    }
  }
  return m.map((row, i) => (row[n] as number) / (row[i] as number));
}

/** Reference ridge: standardise, then solve (ZᵀZ + αI)w = Zᵀ(y − ȳ) directly; returns raw-feature weights and intercept. */
function referenceRidge(x: number[][], y: number[], alpha: number): { w: number[]; b: number } {
  const n = x.length;
  const d = (x[0] as number[]).length;
  const mu = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + (r[j] as number), 0) / n);
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(x.reduce((s, r) => s + ((r[j] as number) - (mu[j] as number)) ** 2, 0) / n));
  const z = x.map((r) => r.map((v, j) => (v - (mu[j] as number)) / (sd[j] as number)));
  const ybar = y.reduce((s, v) => s + v, 0) / n;
  const a = Array.from({ length: d }, (_, j) => Array.from({ length: d }, (_, k) => z.reduce((s, r) => s + (r[j] as number) * (r[k] as number), 0) + (j === k ? alpha : 0)));
  const rhs = Array.from({ length: d }, (_, j) => z.reduce((s, r, i) => s + (r[j] as number) * ((y[i] as number) - ybar), 0));
  const wz = gaussSolve(a, rhs);
  const w = wz.map((v, j) => v / (sd[j] as number));
  return { w, b: ybar - w.reduce((s, v, j) => s + v * (mu[j] as number), 0) };
}

function randomData(n: number, d: number, seed: number, noise: number): { x: number[][]; y: number[]; trueW: number[] } {
  const rng = new Random(seed);
  const trueW = Array.from({ length: d }, () => rng.normal());
  const x = Array.from({ length: n }, () => Array.from({ length: d }, (_, j) => 3 + (j + 1) * rng.normal()));
  const y = x.map((r) => r.reduce((s, v, j) => s + v * (trueW[j] as number), 0.5) + noise * rng.normal());
  return { x, y, trueW };
}

describe('fitRidge', () => {
  it('matches the hand-worked one-feature closed form', () => {
    // x = 1..4 (μ = 2.5, σ² = 1.25), y = [2, 4, 5, 9] (ȳ = 5), Σ(x−μ)(y−ȳ) = 11:
    // w_raw = 11 / (σ²·(n + α)) = 11 / (1.25 · 5) = 1.76 for α = 1; b = 5 − 2.5 · 1.76 = 0.6
    const probe = fitRidge([[1], [2], [3], [4]], [[2], [4], [5], [9]], { alphas: [1] });
    expect(probe.weights[0]?.[0]).toBeCloseTo(1.76, 12);
    expect(probe.intercept[0]).toBeCloseTo(0.6, 12);
    expect(probe.predict([[10]])[0]?.[0]).toBeCloseTo(0.6 + 17.6, 10);
    expect(probe.cvError).toEqual([]);
  });

  it('agrees with an independent normal-equation solve on random multi-feature data', () => {
    const { x, y } = randomData(40, 6, 1, 0.5);
    for (const alpha of [0.01, 3, 250]) {
      const probe = fitRidge(x, y.map((v) => [v]), { alphas: [alpha] });
      const ref = referenceRidge(x, y, alpha);
      probe.weights.forEach((row, j) => expect(row[0]).toBeCloseTo(ref.w[j] as number, 8));
      expect(probe.intercept[0]).toBeCloseTo(ref.b, 8);
    }
  });

  it('fits several targets at once exactly as it fits each alone', () => {
    const { x, y } = randomData(30, 4, 2, 0.3);
    const y2 = y.map((v, i) => -2 * v + Math.cos(i));
    const both = fitRidge(x, y.map((v, i) => [v, y2[i] as number]), { alphas: [2] });
    const second = fitRidge(x, y2.map((v) => [v]), { alphas: [2] });
    both.weights.forEach((row, j) => expect(row[1]).toBeCloseTo(second.weights[j]?.[0] as number, 10));
    expect(both.intercept[1]).toBeCloseTo(second.intercept[0] as number, 10);
  });

  it('computes the same cross-validation error as refitting on every fold by brute force', () => {
    const { x, y } = randomData(37, 5, 3, 2);
    const alphas = [0.1, 10, 1000];
    const probe = fitRidge(x, y.map((v) => [v]), { alphas, folds: 4, seed: 9 });
    const fold = assignFolds(x.length, 4, { seed: 9 });
    alphas.forEach((alpha, ai) => {
      let sse = 0;
      for (let f = 0; f < 4; f++) {
        const { train, test } = splitByFold(fold, f);
        const sub = fitRidge(train.map((i) => x[i] as number[]), train.map((i) => [y[i] as number]), { alphas: [alpha] });
        const pred = sub.predict(test.map((i) => x[i] as number[]));
        test.forEach((i, t) => (sse += ((pred[t]?.[0] as number) - (y[i] as number)) ** 2));
      }
      expect(probe.cvError[ai]?.[0]).toBeCloseTo(sse / x.length, 8);
    });
  });

  it('picks a small penalty for clean linear data and the largest for pure noise, per target', () => {
    const rng = new Random(5);
    const x = Array.from({ length: 120 }, () => Array.from({ length: 8 }, () => rng.normal()));
    const clean = x.map((r) => r[0] as number - 2 * (r[3] as number));
    const noise = x.map(() => rng.normal());
    const probe = fitRidge(x, clean.map((v, i) => [v, noise[i] as number]), { seed: 1 });
    expect(probe.alpha[0]).toBe(probe.alphas[0]);
    expect(probe.alpha[1]).toBeGreaterThanOrEqual(1e4);
    expect(probe.alphaAtEdge[0]).toBe(true);
    const shared = fitRidge(x, clean.map((v, i) => [v, noise[i] as number]), { seed: 1, alphaPerTarget: false });
    expect(shared.alpha[0]).toBe(shared.alpha[1]);
  });

  it('gives a constant feature zero weight and survives duplicated columns', () => {
    const { x, y } = randomData(25, 3, 4, 0.1);
    const withConst = x.map((r) => [...r, 7, r[0] as number]);
    const probe = fitRidge(withConst, y.map((v) => [v]), { alphas: [1] });
    expect(probe.weights[3]?.[0]).toBeCloseTo(0, 12);
    // the duplicated column shares the weight of its twin equally
    expect(probe.weights[4]?.[0]).toBeCloseTo(probe.weights[0]?.[0] as number, 8);
    const pred = probe.predict(withConst);
    expect(pred.every((row) => Number.isFinite(row[0]))).toBe(true);
  });

  it('predicts the mean for a constant target', () => {
    const { x } = randomData(20, 3, 6, 0);
    const probe = fitRidge(x, x.map(() => [0.25]), { alphas: [1, 10] });
    expect(probe.predict([[1, 2, 3]])[0]?.[0]).toBeCloseTo(0.25, 12);
  });

  it('rejects bad input with typed errors naming the field', () => {
    const cases: Array<[() => unknown, string, string]> = [
      [() => fitRidge([[1], [2]], [[1]]), 'SHAPE_MISMATCH', 'y'],
      [() => fitRidge([[1], [Number.NaN]], [[1], [2]]), 'INVALID_ARGUMENT', 'x[1][0]'],
      [() => fitRidge([[1], [2, 3]], [[1], [2]]), 'SHAPE_MISMATCH', 'x[1]'],
      [() => fitRidge([[1], [2]], [[1], [2]], { alphas: [0] }), 'INVALID_ARGUMENT', 'alphas[0]'],
      [() => fitRidge([[1]], [[1]]), 'INVALID_ARGUMENT', 'x'],
      [() => fitRidge([[1], [2], [3]], [[1], [2], [3]]).predict([[1, 2]]), 'SHAPE_MISMATCH', 'rows'],
    ];
    for (const [fn, code, field] of cases) {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(isCarlError(caught, code as 'INVALID_ARGUMENT')).toBe(true);
      if (isCarlError(caught)) expect(caught.location.field).toBe(field);
    }
  });
});

describe('assignFolds', () => {
  it('balances sizes and class proportions and is seeded', () => {
    const strata = Array.from({ length: 50 }, (_, i) => (i < 30 ? 'a' : 'b'));
    const fold = assignFolds(50, 5, { seed: 2, strata });
    for (let f = 0; f < 5; f++) {
      const members = [...fold.keys()].filter((i) => fold[i] === f);
      expect(members).toHaveLength(10);
      expect(members.filter((i) => strata[i] === 'a')).toHaveLength(6);
    }
    expect(Array.from(assignFolds(50, 5, { seed: 2, strata }))).toEqual(Array.from(fold));
    expect(Array.from(assignFolds(50, 5, { seed: 3, strata }))).not.toEqual(Array.from(fold));
  });

  it('refuses more folds than items', () => {
    expect(() => assignFolds(3, 5)).toThrow(/3 items/);
  });
});

describe('fitRidge on sparse rows', () => {
  /** Independent reference: centred normal equations (XcᵀXc + αI)w = Xcᵀ(y − ȳ) by Gauss–Jordan, b = ȳ − μ·w. */
  function reference(x: number[][], y: number[], alpha: number): { w: number[]; b: number } {
    const n = x.length;
    const d = (x[0] as number[]).length;
    const mu = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + (r[j] as number), 0) / n);
    const ybar = y.reduce((s, v) => s + v, 0) / n;
    const a = Array.from({ length: d }, (_, j) => [
      ...Array.from({ length: d }, (_, k) => x.reduce((s, r) => s + ((r[j] as number) - (mu[j] as number)) * ((r[k] as number) - (mu[k] as number)), 0) + (j === k ? alpha : 0)),
      x.reduce((s, r, i) => s + ((r[j] as number) - (mu[j] as number)) * ((y[i] as number) - ybar), 0),
    ]);
    for (let c = 0; c < d; c++) {
      for (let r = 0; r < d; r++) {
        if (r === c) continue;
        const f = ((a[r] as number[])[c] as number) / ((a[c] as number[])[c] as number);
        for (let k = c; k <= d; k++) (a[r] as number[])[k] = ((a[r] as number[])[k] as number) - f * ((a[c] as number[])[k] as number);
      }
    }
    const w = a.map((row, j) => (row[d] as number) / (row[j] as number));
    return { w, b: ybar - w.reduce((s, v, j) => s + v * (mu[j] as number), 0) };
  }

  it('solves the centred ridge problem like the normal equations, for a single α and through the CV path', () => {
    const rng = new Random(13);
    const x = Array.from({ length: 40 }, () => Array.from({ length: 7 }, () => (rng.float() < 0.6 ? 0 : rng.float())));
    const y = x.map((r) => 2 * (r[0] as number) - (r[4] as number) + 0.1 * rng.normal());
    const ref = reference(x, y, 0.5);
    const solved = sparseRidgeSolve(toSparse(x), Float64Array.from(y), 0.5);
    ref.w.forEach((v, j) => expect(solved.w[j]).toBeCloseTo(v, 8));
    expect(solved.b).toBeCloseTo(ref.b, 8);
    const probe = fitRidge(toSparse(x), y.map((v) => [v, -v]), { alphas: [0.01, 0.5, 100], folds: 4, seed: 1 });
    const refChosen = reference(x, y, probe.alpha[0] as number);
    expect(probe.intercept[0]).toBeCloseTo(refChosen.b, 7);
    expect(probe.alpha[1]).toBe(probe.alpha[0]); // −y has the same CV errors
    const [pred] = probe.predict(toSparse([x[0] as number[]]));
    expect((pred as number[])[0]).toBeCloseTo(refChosen.b + refChosen.w.reduce((s, v, j) => s + v * ((x[0] as number[])[j] as number), 0), 7);
    expect(() => probe.predict([[1, 2, 3, 4, 5, 6, 7]])).toThrow(/sparse/);
  });
});
