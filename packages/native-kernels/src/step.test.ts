import * as tf from '@tensorflow/tfjs-core';
import { dense, gelu, layerNorm, matMul, softmax } from '@carl/core';
import { describeNative, expectMatchesStock, randn } from './__fixtures__/helpers';

// A one-layer BERT-style encoder and SimCSE-style loss at toy size, written with stock tfjs ops the way
// @carl/encoder writes them: the whole forward and backward pass must agree with the stock kernels.
const B = 4;
const S = 8;
const H = 16;
const NH = 2;
const V = 50;

interface Params {
  tok: tf.Tensor2D;
  pos: tf.Tensor2D;
  qkv: tf.Tensor2D;
  qkvB: tf.Tensor1D;
  o: tf.Tensor2D;
  f1: tf.Tensor2D;
  f2: tf.Tensor2D;
  g: tf.Tensor1D;
  b: tf.Tensor1D;
}

function stockLayerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.mul(centred, centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-12))), g), b);
}

function encode(p: Params, ids: tf.Tensor2D, mask: tf.Tensor2D, fused: boolean): tf.Tensor2D {
  const ln = fused ? layerNorm : stockLayerNorm;
  const act = fused ? gelu : (t: tf.Tensor) => tf.mul(tf.mul(t, 0.5), tf.add(tf.erf(tf.mul(t, Math.SQRT1_2)), 1));
  const sm = fused ? softmax : (t: tf.Tensor) => tf.softmax(t, -1);
  let x = tf.add(tf.reshape(tf.gather(p.tok, tf.reshape(ids, [-1])), [B, S, H]), p.pos);
  x = ln(x, p.g, p.b);
  const qkv = tf.transpose(tf.reshape(dense(x, p.qkv, p.qkvB), [B, S, 3, NH, H / NH]), [2, 0, 3, 1, 4]);
  const [q, k, v] = tf.unstack(qkv, 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
  const maskAdd = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [B, 1, 1, S]);
  const att = sm(tf.add(tf.mul(matMul(q, k, false, true), 1 / Math.sqrt(H / NH)), maskAdd));
  const ctx = tf.reshape(tf.transpose(matMul(att, v), [0, 2, 1, 3]), [B, S, H]);
  x = ln(tf.add(x, dense(ctx, p.o)), p.g, p.b);
  x = ln(tf.add(x, dense(act(dense(x, p.f1)), p.f2)), p.g, p.b);
  const m = tf.expandDims(mask, -1);
  const pooled = tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1));
  return tf.div(pooled, tf.norm(pooled, 'euclidean', -1, true)) as tf.Tensor2D;
}

describeNative('a whole encoder training step', () => {
  let params: Params;
  let ids: tf.Tensor2D;
  let mask: tf.Tensor2D;
  beforeAll(() => {
    params = {
      tok: randn([V, H], 1, 0.5) as tf.Tensor2D,
      pos: randn([S, H], 2, 0.1) as tf.Tensor2D,
      qkv: randn([H, 3 * H], 3, 0.3) as tf.Tensor2D,
      qkvB: randn([3 * H], 4, 0.1) as tf.Tensor1D,
      o: randn([H, H], 5, 0.3) as tf.Tensor2D,
      f1: randn([H, 4 * H], 6, 0.3) as tf.Tensor2D,
      f2: randn([4 * H, H], 7, 0.2) as tf.Tensor2D,
      g: tf.add(randn([H], 8, 0.1), 1) as tf.Tensor1D,
      b: randn([H], 9, 0.1) as tf.Tensor1D,
    };
    ids = tf.tensor2d([[1, 5, 9, 9, 3, 0, 0, 0], [2, 4, 6, 8, 10, 12, 14, 16], [7, 7, 7, 7, 7, 7, 7, 7], [49, 1, 0, 0, 0, 0, 0, 0]], undefined, 'int32');
    mask = tf.cast(tf.greater(ids, 0), 'float32') as tf.Tensor2D;
  });

  const lossAndGrads = (fused: boolean) => (): tf.Tensor[] => {
    const names = Object.keys(params) as Array<keyof Params>;
    const f = (...xs: tf.Tensor[]): tf.Scalar => {
      const p = Object.fromEntries(names.map((n, i) => [n, xs[i]])) as unknown as Params;
      const e1 = encode(p, ids, mask, fused);
      const e2 = encode(p, ids, tf.onesLike(mask) as tf.Tensor2D, fused);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.range(0, B, 1, 'int32'), B), tf.mul(matMul(e1, e2, false, true), 20)) as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(names.map((n) => params[n]));
    return [value, ...grads];
  };

  it('gives the stock loss and every parameter gradient with the stock-op model', () => {
    expectMatchesStock(lossAndGrads(false), 1e-5, 1e-3);
  });

  it('gives the same loss and gradients with the fused ops as with the stock-op model', () => {
    expectMatchesStock(lossAndGrads(true), 1e-5, 1e-3);
    const fused = tf.tidy(() => lossAndGrads(true)().map((t) => Array.from(t.dataSync())));
    const plain = tf.tidy(() => lossAndGrads(false)().map((t) => Array.from(t.dataSync())));
    fused.forEach((g, i) => g.forEach((v, j) => expect(Math.abs(v - (plain[i]?.[j] as number))).toBeLessThan(1e-5 + 1e-3 * Math.abs(v))));
  });
});
