import * as tf from '@tensorflow/tfjs-core';
import { AdamW, adamWUpdate, type AdamWUpdateOptions } from '@carl/core';
import { describeWithBackends, expectClose } from '@carl/core/testing';
import { describeNative, randn, withStockKernels } from './__fixtures__/helpers';

const HP = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

/** Three steps of core's AdamW and of adamWUpdate on the same parameters and gradients. */
function runBoth(weightDecay: number): { core: Float32Array[]; fused: Float32Array[] } {
  const shapes = [[40, 7], [7]];
  const init = shapes.map((s, i) => randn(s, 10 + i));
  const gradsPerStep = [1, 2, 3].map((step) => shapes.map((s, i) => randn(s, 100 * step + i)));
  const params = new Map(init.map((t, i) => [i === 0 ? 'dense.weight' : 'dense.bias', tf.variable(t.clone())]));
  const opt = new AdamW({ ...HP, weightDecay });
  for (const grads of gradsPerStep) opt.step(params, new Map([...params.keys()].map((name, i) => [name, grads[i] as tf.Tensor])));
  const core = [...params.values()].map((v) => Float32Array.from(v.dataSync()));
  let state = init.map((t) => ({ p: t, m: tf.zerosLike(t), v: tf.zerosLike(t) }));
  gradsPerStep.forEach((grads, s) => {
    state = state.map((st, i) => {
      // core's default: no decay for biases
      const options: AdamWUpdateOptions = { ...HP, weightDecay, step: s + 1, decay: i === 0 };
      const next = adamWUpdate(st.p, grads[i] as tf.Tensor, st.m, st.v, options);
      return { p: next.param, m: next.m, v: next.v };
    });
  });
  return { core, fused: state.map((st) => Float32Array.from(st.p.dataSync())) };
}

describeWithBackends('adamWUpdate on stock kernels', () => {
  it('matches a hand-worked first step (with and without decay)', () => {
    // m' = 0.05, v' = 0.00025, bias-corrected: 0.5 / √0.25 = 1 → p' = p·(1 − lr·wd) − lr·1
    const args = [tf.tensor1d([1]), tf.tensor1d([0.5]), tf.tensor1d([0]), tf.tensor1d([0])] as const;
    const plain = adamWUpdate(...args, { ...HP, weightDecay: 0, step: 1 });
    expectClose(plain.param, [0.9], 1e-6, 1e-6);
    expectClose(plain.m, [0.05], 1e-7, 1e-6);
    expectClose(plain.v, [0.00025], 1e-9, 1e-6);
    expectClose(adamWUpdate(...args, { ...HP, weightDecay: 0.01, step: 1 }).param, [0.899], 1e-6, 1e-6);
    expectClose(adamWUpdate(...args, { ...HP, weightDecay: 0.01, step: 1, decay: false }).param, [0.9], 1e-6, 1e-6);
  });

  it('is the arithmetic of core\'s AdamW, bit for bit, over several steps', () => {
    const { core, fused } = runBoth(0.01);
    fused.forEach((f, i) => expect(Array.from(f)).toEqual(Array.from(core[i] as Float32Array)));
  });

  it('rejects mismatched shapes and a bad step with typed errors', () => {
    const p = tf.ones([2]);
    expect(() => adamWUpdate(p, tf.ones([3]), p, p, { ...HP, weightDecay: 0, step: 1 })).toThrow(/\[grad\]/);
    expect(() => adamWUpdate(p, p, p, p, { ...HP, weightDecay: 0, step: 0 })).toThrow(/\[step\]/);
  });
});

describeNative('adamWUpdate on the fused kernel', () => {
  it('is served by CarlAdamW and equals core\'s AdamW bit for bit', () => {
    expect(tf.getKernel('CarlAdamW', 'wasm')).toBeDefined();
    const { core, fused } = runBoth(0.01);
    fused.forEach((f, i) => expect(Array.from(f)).toEqual(Array.from(core[i] as Float32Array)));
    const stock = withStockKernels(() => runBoth(0.01).fused);
    fused.forEach((f, i) => expect(Array.from(f)).toEqual(Array.from(stock[i] as Float32Array)));
  });
});
