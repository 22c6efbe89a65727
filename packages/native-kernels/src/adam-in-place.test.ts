import * as tf from '@tensorflow/tfjs-core';
import { AdamW, GradientAccumulator, namedGradients } from '@carl/core';
import { describeNative, randn, withStockKernels } from './__fixtures__/helpers';

/** Four steps of core's AdamW on the same parameters and gradients; the gradients as tensors or as Float32Arrays. */
function run(stateLocation: 'heap' | 'outside', gradsAs: 'tensor' | 'array'): Float32Array[] {
  const shapes = [[64, 9], [9]];
  const params = new Map(shapes.map((s, i) => [i === 0 ? 'dense.weight' : 'dense.bias', tf.variable(randn(s, 3 + i))]));
  const opt = new AdamW({ learningRate: 0.05, weightDecay: 0.1, stateLocation });
  for (let step = 0; step < 4; step++) {
    // Seeds from 1: tfjs draws a fresh random seed for seed 0.
    const grads = new Map([...params.keys()].map((name, i) => [name, randn(shapes[i] as number[], 50 * step + i + 1)]));
    opt.step(params, gradsAs === 'tensor' ? grads : new Map([...grads].map(([n, g]) => [n, Float32Array.from(g.dataSync())])), 0.05 / (step + 1));
    grads.forEach((g) => g.dispose());
  }
  const out = [...params.values()].map((v) => Float32Array.from(v.dataSync()));
  params.forEach((v) => v.dispose());
  opt.dispose();
  return out;
}

describeNative('CarlAdamWInPlace (AdamW with moments outside the heap)', () => {
  it('is registered and serves AdamW on wasm by default, bit for bit equal to the in-heap kernel and to the JavaScript loop', () => {
    expect(tf.getKernel('CarlAdamWInPlace', 'wasm')).toBeDefined();
    expect(new AdamW({ learningRate: 1 }).stateLocation).toBe('outside');
    const native = run('outside', 'tensor');
    const heap = run('heap', 'tensor');
    const fromArrays = run('outside', 'array');
    const javascript = withStockKernels(() => run('outside', 'tensor'));
    for (const [i, values] of native.entries()) {
      expect(Array.from(values)).toEqual(Array.from(heap[i] as Float32Array));
      expect(Array.from(values)).toEqual(Array.from(fromArrays[i] as Float32Array));
      expect(Array.from(values)).toEqual(Array.from(javascript[i] as Float32Array));
    }
    // …and the steps did move the parameters.
    const initial = randn([64, 9], 3);
    expect(Array.from(native[0] as Float32Array)).not.toEqual(Array.from(initial.dataSync()));
    initial.dispose();
  });

  it('never writes through to a variable sharing the parameter\'s buffer, and allocates nothing per step', () => {
    const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const target = tf.variable(w, false); // shares w's buffer until one of them is assigned
    const opt = new AdamW({ learningRate: 0.5 });
    const params = new Map([['w', w]]);
    const acc = new GradientAccumulator();
    const loss = (): tf.Scalar => tf.sum(tf.square(w));
    namedGradients(loss, params, { onGradient: (n, g) => acc.add(n, g) }).value.dispose();
    opt.step(params, acc.grads);
    expect(Array.from(target.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(w.dataSync())).not.toEqual([1, 2, 3, 4]);
    const before = tf.memory().numTensors;
    opt.step(params, acc.grads);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, target]);
    opt.dispose();
  });
});
