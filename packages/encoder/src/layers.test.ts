import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose } from '@carl/core/testing';
import { additiveMask, selfAttention, type AttentionWeights } from './attention';
import { activation, layerNorm, linear } from './layers';

/** Plain-JS reference of multi-head attention (loops, float64), for [batch][seq][hidden] inputs. */
function referenceAttention(x: number[][][], w: { q: number[][]; k: number[][]; v: number[][]; bq: number[]; bk: number[]; bv: number[] }, mask: number[][], heads: number): number[][][] {
  const lin = (row: number[], W: number[][], b: number[]): number[] => W.map((out, o) => out.reduce((s, wi, i) => s + wi * (row[i] as number), b[o] as number));
  const hidden = x[0]?.[0]?.length as number;
  const d = hidden / heads;
  return x.map((seq, bIdx) => {
    const q = seq.map((r) => lin(r, w.q, w.bq));
    const k = seq.map((r) => lin(r, w.k, w.bk));
    const v = seq.map((r) => lin(r, w.v, w.bv));
    return seq.map((_, i) => {
      const out = new Array<number>(hidden).fill(0);
      for (let h = 0; h < heads; h++) {
        const scores = seq.map((__, j) => {
          if ((mask[bIdx] as number[])[j] === 0) return -Infinity;
          let s = 0;
          for (let c = h * d; c < (h + 1) * d; c++) s += (q[i] as number[])[c]! * (k[j] as number[])[c]!;
          return s / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        e.forEach((p, j) => {
          for (let c = h * d; c < (h + 1) * d; c++) out[c] = (out[c] as number) + (p / z) * (v[j] as number[])[c]!;
        });
      }
      return out;
    });
  });
}

describeWithBackends('layers', () => {
  it('GELU is the exact erf form; gelu_new the tanh approximation (values from the closed forms)', () => {
    const x = tf.tensor1d([-2, -0.5, 0, 1, 3]);
    // torch.nn.functional.gelu(x) and gelu(x, approximate='tanh') in float64 at these points.
    expectClose(activation(x, 'gelu'), [-0.04550026389635842, -0.15426876936299344, 0, 0.841344746068543, 2.99595030590511], 1e-6, 1e-6);
    expectClose(activation(x, 'gelu_new'), [-0.04540230591222494, -0.15428599017485606, 0, 0.8411919906082768, 2.996362607918227], 1e-6, 1e-6);
    expectClose(activation(x, 'relu'), [0, 0, 0, 1, 3]);
    x.dispose();
  });

  it('layerNorm uses the biased variance with eps inside the root', () => {
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const y = layerNorm(x, tf.tensor1d([1, 1, 2, 2]), tf.tensor1d([0, 0, 0, 1]), 1e-5);
    // mean 2.5, variance 1.25 → (x − 2.5)/√(1.25 + 1e-5)
    const s = Math.sqrt(1.25 + 1e-5);
    expectClose(y, [-1.5 / s, -0.5 / s, (2 * 0.5) / s, (2 * 1.5) / s + 1], 1e-5, 1e-5);
  });

  it('gradients of GELU, layerNorm and linear match finite differences', () => {
    const rng = new Random(3);
    const data = (n: number): number[] => Array.from({ length: n }, () => rng.normal());
    const x = tf.tensor2d(data(12), [3, 4]);
    const gamma = tf.tensor1d(data(4));
    const beta = tf.tensor1d(data(4));
    const w = tf.tensor2d(data(20), [5, 4]);
    const b = tf.tensor1d(data(5));
    const probe = tf.tensor2d(data(15), [3, 5]);
    expectGradientsClose((t) => tf.sum(tf.mul(activation(t, 'gelu'), t)), x);
    expectGradientsClose((t) => tf.sum(tf.mul(activation(t, 'gelu_new'), t)), x);
    expectGradientsClose((t) => tf.sum(tf.mul(layerNorm(t, gamma, beta, 1e-5), tf.sin(t))), x);
    expectGradientsClose((t) => tf.sum(tf.mul(linear(t, w, b), probe)), x);
    expectGradientsClose((t) => tf.sum(tf.mul(linear(x, t as tf.Tensor2D, b), probe)), w);
  });

  it('linear uses the PyTorch [out, in] weight layout on rank-3 input', () => {
    const x = tf.tensor3d([[[1, 2]], [[3, 4]]]);
    const w = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 1],
    ]);
    const y = linear(x, w, tf.tensor1d([0, 0, 10]));
    expect(y.shape).toEqual([2, 1, 3]);
    expectClose(y, [1, 2, 13, 3, 4, 17]);
  });
});

describeWithBackends('selfAttention', () => {
  const rng = new Random(11);
  const mat = (r: number, c: number): number[][] => Array.from({ length: r }, () => Array.from({ length: c }, () => rng.normal() * 0.5));
  const vec = (n: number): number[] => Array.from({ length: n }, () => rng.normal() * 0.1);
  const H = 8;
  const raw = { q: mat(H, H), k: mat(H, H), v: mat(H, H), bq: vec(H), bk: vec(H), bv: vec(H) };
  const x = Array.from({ length: 2 }, () => mat(5, H));
  const mask = [
    [1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1],
  ];
  const weights = (): AttentionWeights => ({
    query: { weight: tf.tensor2d(raw.q), bias: tf.tensor1d(raw.bq) },
    key: { weight: tf.tensor2d(raw.k), bias: tf.tensor1d(raw.bk) },
    value: { weight: tf.tensor2d(raw.v), bias: tf.tensor1d(raw.bv) },
  });

  it('matches a plain loop implementation, padding keys masked out', () => {
    const out = tf.tidy(() => selfAttention(tf.tensor3d(x), weights(), additiveMask(tf.tensor2d(mask)), 2, 0, undefined).arraySync());
    expectClose(out.flat(2), referenceAttention(x, raw, mask, 2).flat(2), 1e-5, 1e-4);
  });

  it('has gradients with respect to its input that match finite differences', () => {
    const w = weights();
    const m = additiveMask(tf.tensor2d(mask));
    const probe = tf.tensor3d(x.map((s) => s.map((r) => r.map((_, i) => Math.cos(i)))));
    expectGradientsClose((t) => tf.sum(tf.mul(selfAttention(t as tf.Tensor3D, w, m, 2, 0, undefined), probe)), tf.tensor3d(x), 3e-2, 3e-2);
  });

  it('drops attention probabilities only with a seed, reproducibly', () => {
    const run = (seed: number | undefined): number[] =>
      tf.tidy(() => Array.from(selfAttention(tf.tensor3d(x), weights(), additiveMask(tf.tensor2d(mask)), 2, 0.5, seed).dataSync()));
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expectClose(run(undefined), referenceAttention(x, raw, mask, 2).flat(2), 1e-5, 1e-4);
  });
});
