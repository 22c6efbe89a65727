import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose } from './testing';
import { AdamW, clipByGlobalNorm, learningRateSchedule, namedGradients } from './optim';

describeWithBackends('AdamW', () => {
  it('matches a hand-computed first and second step with decoupled weight decay', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const params = new Map([['w', w]]);
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.5, epsilon: 0 });
    // loss = sum(w^2)/2 → grad = w
    const step = (): void => {
      const { value, grads } = namedGradients(() => tf.mul(tf.sum(tf.square(w)), 0.5), params);
      opt.step(params, grads);
      value.dispose();
      grads.forEach((g) => g.dispose());
    };
    step();
    // Step 1: mhat = g, vhat = g², update = sign(g) = ±1; w ← w(1 − lr·wd) − lr·update
    expectClose(w, [1 * 0.95 - 0.1, -2 * 0.95 + 0.1]);
    step();
    // Step 2 by hand: g2 = w1; m = 0.9·0.1·g1 … computed in plain JS.
    const g1 = [1, -2];
    const w1 = [0.85, -1.8];
    const expected = w1.map((wi, i) => {
      const m = 0.9 * 0.1 * (g1[i] as number) + 0.1 * wi;
      const v = 0.999 * 0.001 * (g1[i] as number) ** 2 + 0.001 * wi ** 2;
      const update = m / (1 - 0.9 ** 2) / Math.sqrt(v / (1 - 0.999 ** 2));
      return wi * 0.95 - 0.1 * update;
    });
    expectClose(w, expected, 1e-5, 1e-5);
    opt.dispose();
    w.dispose();
  });

  it('exempts biases and layer norms from weight decay', () => {
    const bias = tf.variable(tf.tensor1d([1]));
    const params = new Map([['layer.bias', bias]]);
    const opt = new AdamW({ learningRate: 0.1, weightDecay: 0.5 });
    opt.step(params, new Map([['layer.bias', tf.tensor1d([0])]]));
    expectClose(bias, [1]);
    opt.dispose();
  });

  it('saves and restores its state so a resumed run takes the same steps', () => {
    const run = (splitAt: number | undefined): number[] => {
      const w = tf.variable(tf.tensor1d([0.5, 1.5, -1]));
      const params = new Map([['w', w]]);
      let opt = new AdamW({ learningRate: 0.05 });
      for (let i = 0; i < 4; i++) {
        if (i === splitAt) {
          const saved = opt.getState();
          opt.dispose();
          opt = new AdamW({ learningRate: 0.05 });
          // Round-trip through JSON-able arrays, as a checkpoint would.
          const plain = JSON.parse(JSON.stringify(Object.entries(saved.moments).map(([k, s]) => [k, Array.from(s.m), Array.from(s.v)]))) as Array<[string, number[], number[]]>;
          opt.setState({ step: saved.step, moments: Object.fromEntries(plain.map(([k, m, v]) => [k, { m: Float32Array.from(m), v: Float32Array.from(v) }])) }, params);
        }
        const { value, grads } = namedGradients(() => tf.sum(tf.pow(w, 4)), params);
        opt.step(params, grads);
        value.dispose();
      }
      const out = Array.from(w.dataSync());
      opt.dispose();
      w.dispose();
      return out;
    };
    expect(run(2)).toEqual(run(undefined));
  });
});

describeWithBackends('clipByGlobalNorm', () => {
  it('rescales to the max norm and reports the original norm', () => {
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor1d([3])], ['b', tf.tensor1d([4])]]);
    const { grads: clipped, norm } = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 5);
    expectClose(clipped.get('a') as tf.Tensor, [0.6]);
    expectClose(clipped.get('b') as tf.Tensor, [0.8]);
    const small = new Map<string, tf.Tensor>([['a', tf.tensor1d([0.1])]]);
    expect(clipByGlobalNorm(small, 1).grads).toBe(small);
  });
});

describe('learningRateSchedule', () => {
  it('warms up linearly then decays linearly or by cosine', () => {
    const linear = learningRateSchedule({ peak: 1, warmupSteps: 4, totalSteps: 14 });
    expect([0, 1, 3].map(linear)).toEqual([0.25, 0.5, 1]);
    expect(linear(9)).toBeCloseTo(0.5);
    expect(linear(14)).toBe(0);
    const cosine = learningRateSchedule({ peak: 2, warmupSteps: 0, totalSteps: 10, decay: 'cosine', minRatio: 0.1 });
    expect(cosine(0)).toBeCloseTo(2);
    expect(cosine(5)).toBeCloseTo(2 * (0.1 + 0.9 * 0.5));
    expect(cosine(10)).toBeCloseTo(0.2);
  });
});

describeWithBackends('optimiser memory', () => {
  it('AdamW steps, state round-trips and clipping leave no tensor behind', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const params = new Map([['w', w]]);
    const opt = new AdamW({ learningRate: 0.1 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const { value, grads } = namedGradients(() => tf.sum(tf.square(w)), params);
      const { grads: clipped } = clipByGlobalNorm(grads, 0.5);
      opt.step(params, clipped);
      value.dispose();
      clipped.forEach((g) => g.dispose());
    }
    opt.setState(opt.getState(), params);
    // Only the two moment variables remain.
    expect(tf.memory().numTensors - before).toBe(2);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});
