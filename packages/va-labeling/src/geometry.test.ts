import * as tf from '@tensorflow/tfjs-core';
import { Random, isCarlError, type VA } from '@carl/core';
import { describeWithBackends, expectClose, expectNoTensorLeak } from '@carl/core/testing';
import {
  binVA,
  gaussianKernel,
  labelSimilarityMatrix,
  linearKernel,
  softmaxKernel,
  vaDistance,
  vaDistanceMatrix,
  vaQuadrant,
  vaQuadrantIndex,
} from './geometry';

const O: VA = { valence: 0, arousal: 0 };
const P: VA = { valence: 0.3, arousal: 0.4 };

describe('vaDistance', () => {
  it('is the 3-4-5 triangle in L2 and |0.3| + |0.4| in L1', () => {
    expect(vaDistance(O, P)).toBeCloseTo(0.5, 12);
    expect(vaDistance(O, P, { metric: 'l1' })).toBeCloseTo(0.7, 12);
  });

  it('weights axes: sqrt(2·0.09 + 0.16) and 2·0.3 + 0.4', () => {
    expect(vaDistance(O, P, { weights: { valence: 2 } })).toBeCloseTo(Math.sqrt(0.34), 12);
    expect(vaDistance(O, P, { metric: 'l1', weights: { valence: 2, arousal: 1 } })).toBeCloseTo(1.0, 12);
    expect(vaDistance(O, P, { weights: { arousal: 0 } })).toBeCloseTo(0.3, 12);
  });

  it('uses dominance only when weighted, and then demands it', () => {
    const a = { valence: 0, arousal: 0, dominance: 0.2 };
    const b = { valence: 0.3, arousal: 0.4, dominance: -0.4 };
    expect(vaDistance(a, b)).toBeCloseTo(0.5, 12);
    expect(vaDistance(a, b, { weights: { dominance: 1 } })).toBeCloseTo(Math.sqrt(0.61), 12);
    expect(() => vaDistance(O, b, { weights: { dominance: 1 } })).toThrow(/first point has no dominance/);
  });

  it('is symmetric, zero on equal points, and rejects bad options', () => {
    expect(vaDistance(P, O)).toBe(vaDistance(O, P));
    expect(vaDistance(P, P)).toBe(0);
    expect(() => vaDistance(O, P, { weights: { valence: -1 } })).toThrow(/weight of valence/);
    expect(() => vaDistance(O, P, { weights: { valence: 0, arousal: 0 } })).toThrow(/at least one/);
    expect(() => vaDistance(O, P, { metric: 'cosine' as 'l1' })).toThrow(/metric/);
  });
});

describe('kernels on plain numbers', () => {
  it('gaussian: exp(-d²/2σ²) — 1, e^-0.5, e^-2 at d = 0, σ, 2σ', () => {
    expectClose(gaussianKernel(0.5).applyRow([0, 0.5, 1]), [1, Math.exp(-0.5), Math.exp(-2)], 1e-12);
  });

  it('softmax: weights exp(0) : exp(-ln 2) = 2 : 1', () => {
    expectClose(softmaxKernel(1).applyRow([0, Math.LN2]), [2 / 3, 1 / 3], 1e-12);
  });

  it('softmax renormalises over kept entries and gives a zero row when nothing is kept', () => {
    expect(softmaxKernel(0.1).applyRow([0.3, 0.1, 0.2], [true, false, true])).toEqual([expect.closeTo(1 / (1 + Math.exp(1)), 12), 0, expect.closeTo(1 / (1 + Math.exp(-1)), 12)]);
    expect(softmaxKernel(0.1).applyRow([0.3, 0.1], [false, false])).toEqual([0, 0]);
  });

  it('softmax survives tiny temperatures (no overflow to NaN)', () => {
    const w = softmaxKernel(1e-6).applyRow([0.5, 0.2, 2]);
    expectClose(w, [0, 1, 0], 1e-12);
  });

  it('linear: 1 − d/m, clipped at 0', () => {
    expect(linearKernel(2).applyRow([0, 1, 3])).toEqual([1, 0.5, 0]);
  });

  it('rejects non-positive parameters', () => {
    expect(() => gaussianKernel(0)).toThrow(/bandwidth/);
    expect(() => softmaxKernel(-1)).toThrow(/temperature/);
    expect(() => linearKernel(NaN)).toThrow(/maxDistance/);
  });
});

function randomVA(rng: Random, n: number, withDominance = false): VA[] {
  return Array.from({ length: n }, () => {
    const p = { valence: rng.float() * 2 - 1, arousal: rng.float() * 2 - 1 };
    return withDominance ? { ...p, dominance: rng.float() * 2 - 1 } : p;
  });
}

/** Reference similarity computed with scalar Math, independently of the tensor code. */
function referenceMatrix(rows: VA[], cols: VA[], kind: 'gaussian' | 'softmax' | 'linear', p: number, l1 = false, wv = 1, wa = 1): number[] {
  const out: number[] = [];
  for (const r of rows) {
    const d = cols.map((c) => {
      const dv = Math.abs(r.valence - c.valence);
      const da = Math.abs(r.arousal - c.arousal);
      return l1 ? wv * dv + wa * da : Math.sqrt(wv * dv * dv + wa * da * da);
    });
    if (kind === 'gaussian') out.push(...d.map((x) => Math.exp(-(x * x) / (2 * p * p))));
    if (kind === 'linear') out.push(...d.map((x) => Math.max(0, 1 - x / p)));
    if (kind === 'softmax') {
      const e = d.map((x) => Math.exp(-x / p));
      const z = e.reduce((s, x) => s + x, 0);
      out.push(...e.map((x) => x / z));
    }
  }
  return out;
}

describeWithBackends('labelSimilarityMatrix', () => {
  const rng = new Random(7);
  const rows = randomVA(rng, 5);
  const cols = randomVA(rng, 8);

  it('matches a scalar reference for all three kernels', () => {
    for (const [kernel, kind, p] of [
      [gaussianKernel(0.4), 'gaussian', 0.4],
      [softmaxKernel(0.2), 'softmax', 0.2],
      [linearKernel(1.5), 'linear', 1.5],
    ] as const) {
      const s = labelSimilarityMatrix(rows, cols, kernel);
      expect(s.shape).toEqual([5, 8]);
      expectClose(s, referenceMatrix(rows, cols, kind, p), 1e-5);
      s.dispose();
    }
  });

  it('honours L1 and per-axis weights', () => {
    const s = labelSimilarityMatrix(rows, cols, gaussianKernel(0.5), { metric: 'l1', weights: { valence: 2, arousal: 0.5 } });
    expectClose(s, referenceMatrix(rows, cols, 'gaussian', 0.5, true, 2, 0.5), 1e-5);
    s.dispose();
  });

  it('accepts [n, 2] and [n, 3] tensors, and uses the dominance column only when weighted', () => {
    const r3 = randomVA(new Random(3), 4, true);
    const t = tf.tensor2d(r3.map((p) => [p.valence, p.arousal, p.dominance as number]));
    const fromTensor = vaDistanceMatrix(t, t);
    const fromObjects = vaDistanceMatrix(r3, r3);
    expectClose(fromTensor, fromObjects, 1e-6);
    const withD = vaDistanceMatrix(t, t, { weights: { dominance: 1 } });
    const expected = r3.flatMap((a) => r3.map((b) => vaDistance(a, b, { weights: { dominance: 1 } })));
    expectClose(withD, expected, 1e-5);
    const t2 = tf.tensor2d([[0, 0]]);
    expect(() => vaDistanceMatrix(t2, t2, { weights: { dominance: 1 } })).toThrow(/no dominance column/);
    tf.dispose([t, t2, fromTensor, fromObjects, withD]);
  });

  it('gives softmax rows that sum to 1 and a uniform row when all labels are equal', () => {
    const s = labelSimilarityMatrix(rows, cols, softmaxKernel(0.1));
    expectClose(tf.sum(s, 1), [1, 1, 1, 1, 1], 1e-5);
    const same = Array.from({ length: 4 }, () => ({ valence: 0.2, arousal: -0.3 }));
    const u = labelSimilarityMatrix(same.slice(0, 2), same, softmaxKernel(0.1));
    expectClose(u, new Array(8).fill(0.25), 1e-6);
    tf.dispose([s, u]);
  });

  it('masks entries: zero where excluded, renormalised softmax, zero row when all are excluded', () => {
    const r = [O, P];
    const c = [O, P, { valence: -0.5, arousal: 0.5 }];
    const mask = tf.tensor2d([[0, 1, 1], [0, 0, 0]]);
    const s = labelSimilarityMatrix(r, c, softmaxKernel(0.5), { mask });
    const d1 = vaDistance(O, P);
    const d2 = vaDistance(O, c[2] as VA);
    const z = Math.exp(-d1 / 0.5) + Math.exp(-d2 / 0.5);
    expectClose(s, [0, Math.exp(-d1 / 0.5) / z, Math.exp(-d2 / 0.5) / z, 0, 0, 0], 1e-5);
    const g = labelSimilarityMatrix(r, c, gaussianKernel(1), { mask });
    expectClose(g, [0, Math.exp(-(d1 * d1) / 2), Math.exp(-(d2 * d2) / 2), 0, 0, 0], 1e-5);
    expect(() => labelSimilarityMatrix(r, c, gaussianKernel(1), { mask: tf.ones([3, 2]) as tf.Tensor2D })).toThrow(/mask must be \[2, 3\]/);
    tf.dispose([mask, s, g]);
  });

  it('handles an empty candidate set and rejects malformed inputs', () => {
    const s = labelSimilarityMatrix(rows, [], gaussianKernel(1));
    expect(s.shape).toEqual([5, 0]);
    s.dispose();
    const bad = tf.zeros([3, 4]) as tf.Tensor2D;
    try {
      labelSimilarityMatrix(bad, rows, gaussianKernel(1));
      throw new Error('expected a throw');
    } catch (e) {
      expect(isCarlError(e, 'SHAPE_MISMATCH')).toBe(true);
    }
    bad.dispose();
    expect(() => labelSimilarityMatrix([{ valence: NaN, arousal: 0 }], rows, gaussianKernel(1))).toThrow(/rows\[0\]\.valence/);
  });

  it('leaves no tensor behind', () => {
    const mask = tf.ones([5, 8]) as tf.Tensor2D;
    expectNoTensorLeak(() => {
      labelSimilarityMatrix(rows, cols, softmaxKernel(0.3), { mask }).dispose();
      labelSimilarityMatrix(rows, cols, gaussianKernel(0.3)).dispose();
      labelSimilarityMatrix(rows, cols, linearKernel(1), { mask }).dispose();
    });
    mask.dispose();
  });
});

describe('quadrants and bins', () => {
  it('names the circumplex quadrants', () => {
    expect(vaQuadrant({ valence: 0.5, arousal: 0.5 })).toBe('HVHA');
    expect(vaQuadrant({ valence: -0.6, arousal: 0.7 })).toBe('LVHA');
    expect(vaQuadrant({ valence: -0.1, arousal: -0.1 })).toBe('LVLA');
    expect(vaQuadrant({ valence: 0.4, arousal: -0.3 })).toBe('HVLA');
    expect([0, 1, 2, 3].map((i) => vaQuadrantIndex([{ valence: 1, arousal: 1 }, { valence: -1, arousal: 1 }, { valence: -1, arousal: -1 }, { valence: 1, arousal: -1 }][i] as VA))).toEqual([0, 1, 2, 3]);
  });

  it('puts the origin in HVHA by default and in neutral with a radius', () => {
    expect(vaQuadrant(O)).toBe('HVHA');
    expect(vaQuadrant({ valence: 0.05, arousal: -0.02 }, { neutralRadius: 0.1 })).toBe('neutral');
    expect(vaQuadrant({ valence: 0.05, arousal: -0.2 }, { neutralRadius: 0.1 })).toBe('HVLA');
    expect(() => vaQuadrant({ valence: 1.5, arousal: 0 })).toThrow(/valence/);
  });

  it('bins on an equal-width grid, with +1 in the top bin', () => {
    expect(binVA({ valence: 0.9, arousal: -0.9 })).toEqual({ valence: 2, arousal: 0, index: 6, label: 'v2a0' });
    expect(binVA({ valence: -1, arousal: 1 })).toEqual({ valence: 0, arousal: 2, index: 2, label: 'v0a2' });
    expect(binVA({ valence: 1, arousal: 1 }).index).toBe(8);
    expect(binVA(O).index).toBe(4);
    expect(binVA(O, { binsPerAxis: 2 })).toEqual({ valence: 1, arousal: 1, index: 3, label: 'v1a1' });
    expect(binVA({ valence: -0.51, arousal: 0.49 }, { binsPerAxis: 4 })).toEqual({ valence: 0, arousal: 2, index: 2, label: 'v0a2' });
    expect(binVA({ valence: 0.3, arousal: -0.3 }, { binsPerAxis: 1 }).index).toBe(0);
    expect(() => binVA(O, { binsPerAxis: 0 })).toThrow(/binsPerAxis/);
    expect(() => binVA(O, { binsPerAxis: 2.5 })).toThrow(/binsPerAxis/);
  });
});
