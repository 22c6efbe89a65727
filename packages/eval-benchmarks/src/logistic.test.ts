import { isCarlError, Random } from '@carl/core';
import { fitLogistic, minimize, softmaxObjective, type SoftmaxProblem } from './logistic';
import { toSparse } from './__fixtures__/sparse';

function problemOf(z: number[][], y: number[], classes: number): SoftmaxProblem {
  const d = (z[0] as number[]).length;
  return {
    n: z.length,
    d,
    classes,
    z: Float64Array.from(z.flat()),
    y: Int32Array.from(y),
    mean: new Float64Array(d),
    scale: new Float64Array(d).fill(1),
  };
}

/** Binary L2 logistic regression by Newton's method (IRLS) — an independent reference. */
function newtonBinary(z: number[][], y: number[], lambda: number): { w: number[]; b: number } {
  const n = z.length;
  const d = (z[0] as number[]).length;
  let theta = new Array<number>(d + 1).fill(0); // [w, b]
  for (let it = 0; it < 50; it++) {
    const g = new Array<number>(d + 1).fill(0);
    const h = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    z.forEach((row, i) => {
      const xi = [...row, 1];
      const p = 1 / (1 + Math.exp(-xi.reduce((s, v, j) => s + v * (theta[j] as number), 0)));
      xi.forEach((vj, j) => {
        g[j] = (g[j] as number) + ((p - (y[i] as number)) * vj) / n;
        xi.forEach((vk, k) => ((h[j] as number[])[k] = ((h[j] as number[])[k] as number) + (p * (1 - p) * vj * vk) / n));
      });
    });
    for (let j = 0; j < d; j++) {
      g[j] = (g[j] as number) + lambda * (theta[j] as number);
      (h[j] as number[])[j] = ((h[j] as number[])[j] as number) + lambda;
    }
    // solve H·step = g (small: Gauss–Jordan)
    const m = h.map((row, i) => [...row, g[i] as number]);
    for (let c = 0; c <= d; c++) {
      for (let r = 0; r <= d; r++) {
        if (r === c) continue;
        const f = ((m[r] as number[])[c] as number) / ((m[c] as number[])[c] as number);
        for (let k = c; k <= d + 1; k++) (m[r] as number[])[k] = ((m[r] as number[])[k] as number) - f * ((m[c] as number[])[k] as number);
      }
    }
    const step = m.map((row, i) => (row[d + 1] as number) / (row[i] as number));
    theta = theta.map((t, j) => t - (step[j] as number));
  }
  return { w: theta.slice(0, d), b: theta[d] as number };
}

describe('softmaxObjective', () => {
  it('has the gradient of its value (central finite differences)', () => {
    const rng = new Random(11);
    const z = Array.from({ length: 9 }, () => Array.from({ length: 4 }, () => rng.normal()));
    const y = [0, 1, 2, 2, 1, 0, 0, 2, 1];
    const problem = problemOf(z, y, 3);
    const theta = Float64Array.from({ length: 15 }, () => 0.5 * rng.normal());
    const grad = new Float64Array(15);
    const lambda = 0.3;
    softmaxObjective(problem, lambda, theta, grad);
    const h = 1e-6;
    const scratch = new Float64Array(15);
    for (let p = 0; p < 15; p++) {
      const plus = Float64Array.from(theta);
      const minus = Float64Array.from(theta);
      plus[p] = (plus[p] as number) + h;
      minus[p] = (minus[p] as number) - h;
      const numeric = (softmaxObjective(problem, lambda, plus, scratch) - softmaxObjective(problem, lambda, minus, scratch)) / (2 * h);
      expect(grad[p]).toBeCloseTo(numeric, 7);
    }
  });

  it('is log(K) at θ = 0 whatever the data', () => {
    const problem = problemOf([[1, 2], [3, -1], [0, 0]], [0, 3, 1], 4);
    expect(softmaxObjective(problem, 5, new Float64Array(12), new Float64Array(12))).toBeCloseTo(Math.log(4), 12);
  });

  it('stays finite for huge scores (log-sum-exp)', () => {
    const problem = problemOf([[1000]], [0], 2);
    const theta = Float64Array.from([5, -5, 0, 0]);
    const value = softmaxObjective(problem, 0, theta, new Float64Array(4));
    expect(value).toBeCloseTo(0, 12); // class 0 wins by 10,000: −log p ≈ e^{−10000}
    expect(softmaxObjective(problemOf([[1000]], [1], 2), 0, theta, new Float64Array(4))).toBeCloseTo(10000, 6);
  });
});

describe('fitLogistic', () => {
  it('recovers the closed-form unregularised solution of a symmetric two-class case', () => {
    // x = +1: 3 of 4 are "b"; x = −1: 3 of 4 are "a". Standardised x is ±1 and, by symmetry, the bias is 0:
    // P(b | x = 1) = σ(v) = 3/4, so the optimum has v = w_b − w_a = log 3.
    const x = [[1], [1], [1], [1], [-1], [-1], [-1], [-1]];
    const y = ['b', 'b', 'b', 'a', 'a', 'a', 'a', 'b'];
    const probe = fitLogistic(x, y, { l2: 0, tolerance: 1e-10 });
    expect(probe.converged).toBe(true);
    expect(probe.labels).toEqual(['a', 'b']);
    const [pa, pb] = probe.predictProba([[1]])[0] as number[];
    expect(pb).toBeCloseTo(0.75, 8);
    expect(pa).toBeCloseTo(0.25, 8);
    expect(probe.loss).toBeCloseTo(-(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 10);
  });

  it('two-class softmax with λ equals binary logistic regression with λ/2 (Newton reference)', () => {
    // With penalty (λ/2)(‖w_a‖² + ‖w_b‖²) the optimum is w_b = −w_a = v/2, so the penalty on v is (λ/4)‖v‖².
    const rng = new Random(3);
    const z = Array.from({ length: 60 }, () => [rng.normal(), rng.normal(), rng.normal()]);
    const y = z.map((r) => ((r[0] as number) - 0.5 * (r[2] as number) + 0.8 * rng.normal() > 0 ? 1 : 0));
    const lambda = 0.05;
    const problem = problemOf(z, y, 2);
    const fit = minimize(problem, lambda, { maxIterations: 1000, tolerance: 1e-11 });
    const ref = newtonBinary(z, y, lambda / 2);
    for (let j = 0; j < 3; j++) expect((fit.theta[3 + j] as number) - (fit.theta[j] as number)).toBeCloseTo(ref.w[j] as number, 7);
    expect((fit.theta[7] as number) - (fit.theta[6] as number)).toBeCloseTo(ref.b, 7);
    // the penalty splits the weights symmetrically
    for (let j = 0; j < 3; j++) expect(fit.theta[j]).toBeCloseTo(-(fit.theta[3 + j] as number), 7);
  });

  it('reaches the same optimum from any start (convex; biases centred)', () => {
    const rng = new Random(8);
    const z = Array.from({ length: 40 }, () => [rng.normal(), rng.normal()]);
    const y = z.map((r, i) => ((r[0] as number) > 0.3 ? 2 : (r[1] as number) > 0 ? 1 : i % 3 === 0 ? 2 : 0));
    const problem = problemOf(z, y, 3);
    const solver = { maxIterations: 1000, tolerance: 1e-10 };
    const a = minimize(problem, 0.01, solver);
    const b = minimize(problem, 0.01, solver, Float64Array.from({ length: 9 }, () => 3 * rng.normal()));
    a.theta.forEach((v, p) => expect(v).toBeCloseTo(b.theta[p] as number, 6));
  });

  it('separates separable clusters perfectly, on training and new points', () => {
    const rng = new Random(1);
    const centers: Record<string, [number, number]> = { joy: [4, 0], fear: [-4, 0], anger: [0, 4] };
    const x: number[][] = [];
    const y: string[] = [];
    for (const [label, [cx, cy]] of Object.entries(centers)) {
      for (let i = 0; i < 20; i++) {
        x.push([cx + 0.5 * rng.normal(), cy + 0.5 * rng.normal(), rng.normal()]);
        y.push(label);
      }
    }
    const probe = fitLogistic(x, y, { l2: 1e-3 });
    expect(probe.predict(x)).toEqual(y);
    expect(probe.predict([[5, 0.2, 0], [-3.5, -0.3, 1], [0.1, 3.9, -1]])).toEqual(['joy', 'fear', 'anger']);
    const proba = probe.predictProba([[0, 0, 0]])[0] as number[];
    expect(proba.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('chooses λ by cross-validated accuracy on the training rows and reports the grid', () => {
    const rng = new Random(4);
    const x = Array.from({ length: 90 }, () => Array.from({ length: 5 }, () => rng.normal()));
    const y = x.map((r) => ((r[0] as number) + 0.7 * rng.normal() > 0 ? 'pos' : 'neg'));
    const probe = fitLogistic(x, y, { l2: [1e-3, 1e-1, 10], folds: 3, seed: 2 });
    expect(probe.l2Grid).toEqual([10, 1e-1, 1e-3]);
    expect(probe.cvAccuracy).toHaveLength(3);
    const best = Math.max(...probe.cvAccuracy);
    expect(probe.cvAccuracy[probe.l2Grid.indexOf(probe.l2)]).toBe(best);
    // same seed → same choice and same model
    const again = fitLogistic(x, y, { l2: [1e-3, 1e-1, 10], folds: 3, seed: 2 });
    expect(again.predictProba(x.slice(0, 3))).toEqual(probe.predictProba(x.slice(0, 3)));
  });

  it('keeps the column order of an explicit label list, including a class absent from training', () => {
    const x = [[0], [1], [2], [3]];
    const probe = fitLogistic(x, ['lo', 'lo', 'hi', 'hi'], { l2: 0.1, labels: ['hi', 'mid', 'lo'] });
    expect(probe.labels).toEqual(['hi', 'mid', 'lo']);
    const p = probe.predictProba([[3]])[0] as number[];
    expect(p[0]).toBeGreaterThan(p[2] as number);
    expect(p[1]).toBeLessThan(p[0] as number);
  });

  it('rejects bad input with typed errors', () => {
    const cases: Array<[() => unknown, string, string]> = [
      [() => fitLogistic([[1], [2]], ['a', 'a']), 'INVALID_ARGUMENT', 'y'],
      [() => fitLogistic([[1], [2]], ['a']), 'SHAPE_MISMATCH', 'y'],
      [() => fitLogistic([[1], [2]], ['a', 'b'], { labels: ['a'] }), 'INVALID_ARGUMENT', 'y[1]'],
      [() => fitLogistic([[1], [2]], ['a', 'b'], { l2: -1 }), 'INVALID_ARGUMENT', 'l2[0]'],
      [() => fitLogistic([[1], [Infinity]], ['a', 'b']), 'INVALID_ARGUMENT', 'x[1][0]'],
      [() => fitLogistic([[1], [2]], ['a', 'b'], { l2: 1 }).predict([[1, 2]]), 'SHAPE_MISMATCH', 'rows'],
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

describe('fitLogistic on sparse rows', () => {
  it('has the same objective, gradient and optimum as the dense design with the same numbers', () => {
    const rng = new Random(21);
    const z = Array.from({ length: 30 }, () => Array.from({ length: 6 }, () => (rng.float() < 0.5 ? 0 : rng.normal())));
    const y = z.map((r, i) => ((r[0] as number) + (r[3] as number) > 0 ? 2 : i % 2));
    const dense = problemOf(z, y, 3);
    const sparse: SoftmaxProblem = { ...dense, z: toSparse(z) };
    const theta = Float64Array.from({ length: 21 }, () => rng.normal());
    const g1 = new Float64Array(21);
    const g2 = new Float64Array(21);
    expect(softmaxObjective(sparse, 0.1, theta, g2)).toBeCloseTo(softmaxObjective(dense, 0.1, theta, g1), 12);
    g1.forEach((v, p) => expect(g2[p]).toBeCloseTo(v, 12));
    const solver = { maxIterations: 1000, tolerance: 1e-10 };
    const a = minimize(dense, 0.05, solver);
    const b = minimize(sparse, 0.05, solver);
    a.theta.forEach((v, p) => expect(b.theta[p]).toBeCloseTo(v, 7));
  });

  it('classifies bag-of-words rows and predicts from sparse rows', () => {
    // columns: 0 'great', 1 'awful', 2 'film' — the label follows the sentiment word
    const rows = [[1, 0, 1], [1, 0, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [0, 1, 1]];
    const y = ['pos', 'pos', 'neg', 'neg', 'pos', 'neg'];
    const probe = fitLogistic(toSparse(rows), y, { l2: 1e-2 });
    expect(probe.predict(toSparse([[1, 0, 0], [0, 1, 0], [0, 0, 1]])).slice(0, 2)).toEqual(['pos', 'neg']);
    expect(() => probe.predict(toSparse([[1, 0]]))).toThrow(/features/);
  });
});
