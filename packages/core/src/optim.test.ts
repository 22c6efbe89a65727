import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends, expectClose } from './testing';
import { GradientAccumulator } from './accumulate';
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
  for (const stateLocation of ['heap', 'outside'] as const) {
    it(`AdamW steps, state round-trips and clipping leave no tensor behind (moments: ${stateLocation})`, () => {
      const w = tf.variable(tf.tensor1d([1, 2, 3]));
      const params = new Map([['w', w]]);
      const opt = new AdamW({ learningRate: 0.1, stateLocation });
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        const { value, grads } = namedGradients(() => tf.sum(tf.square(w)), params);
        const { grads: clipped } = clipByGlobalNorm(grads, 0.5);
        opt.step(params, clipped);
        value.dispose();
        clipped.forEach((g) => g.dispose());
      }
      opt.setState(opt.getState(), params);
      // Only the two moment variables remain, and none when the moments live outside the heap.
      expect(tf.memory().numTensors - before).toBe(stateLocation === 'heap' ? 2 : 0);
      expect(opt.stateLocation).toBe(stateLocation);
      expect(opt.stateBytes()).toEqual(stateLocation === 'heap' ? { inHeap: 24, outside: 0 } : { inHeap: 0, outside: 24 });
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      w.dispose();
    });
  }
});

/** Seeded normal values (Box–Muller on a tiny LCG), independent of tfjs. */
function randn(n: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / 4294967297;
  };
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

describeWithBackends('AdamW with moments outside the heap', () => {
  const shapes = new Map<string, number[]>([['dense.weight', [37, 11]], ['dense.bias', [11]], ['LayerNorm.weight', [11]]]);
  const run = (stateLocation: 'heap' | 'outside', steps: number, resumeAt?: { at: number; as: 'heap' | 'outside' }): Map<string, number[]> => {
    const params = new Map([...shapes].map(([name, shape], i) => [name, tf.variable(tf.tensor(randn(shape.reduce((a, b) => a * b), 1 + i), shape))]));
    let opt = new AdamW({ learningRate: 0.01, weightDecay: 0.1, stateLocation });
    for (let s = 0; s < steps; s++) {
      if (s === resumeAt?.at) {
        const state = opt.getState();
        opt.dispose();
        opt = new AdamW({ learningRate: 0.01, weightDecay: 0.1, stateLocation: resumeAt.as });
        opt.setState(state, params);
      }
      const grads = new Map([...shapes].map(([name, shape], i) => [name, tf.tensor(randn(shape.reduce((a, b) => a * b), 100 * s + i), shape)]));
      opt.step(params, grads, 0.01 * (1 + s)); // a changing rate, as a schedule gives
      grads.forEach((g) => g.dispose());
    }
    const out = new Map([...params].map(([name, v]) => [name, Array.from(v.dataSync())]));
    params.forEach((v) => v.dispose());
    opt.dispose();
    return out;
  };

  it('gives the parameters of the in-heap update bit for bit over several steps (decayed and exempt parameters)', () => {
    const heap = run('heap', 5);
    const outside = run('outside', 5);
    for (const [name, values] of heap) expect(outside.get(name)).toEqual(values);
    // …and the update did move them (the comparison has teeth).
    const first = run('heap', 0);
    expect(heap.get('dense.weight')).not.toEqual(first.get('dense.weight'));
  });

  it('checkpoints restore across locations: outside → heap and heap → outside resume the same run', () => {
    const straight = run('outside', 4);
    for (const [from, to] of [['outside', 'heap'], ['heap', 'outside']] as const) {
      const resumed = run(from, 4, { at: 2, as: to });
      for (const [name, values] of straight) expect(resumed.get(name)).toEqual(values);
    }
  });

  it('never writes through to a variable sharing the parameter\'s buffer (a fresh momentum target)', () => {
    const w = tf.variable(tf.tensor1d([1, 2, 3]));
    const shadow = tf.variable(w, false); // tfjs shares the buffer until one of them is assigned
    const opt = new AdamW({ learningRate: 0.5, stateLocation: 'outside' });
    const g = tf.tensor1d([1, 1, 1]);
    opt.step(new Map([['w', w]]), new Map([['w', g]]));
    expect(Array.from(shadow.dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(w.dataSync())).not.toEqual([1, 2, 3]);
    const live = opt.getState({ live: true }).moments['w'];
    opt.step(new Map([['w', w]]), new Map([['w', g]]));
    expect(live?.m).toBe(opt.getState({ live: true }).moments['w']?.m); // the same array, no copy
    tf.dispose([w, shadow, g]);
    opt.dispose();
  });

  it('rejects a gradient of the wrong shape, an unknown location and a state of the wrong size with typed errors', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const opt = new AdamW({ learningRate: 0.1, stateLocation: 'outside' });
    const g = tf.tensor1d([1, 2, 3]);
    expect(() => opt.step(new Map([['w', w]]), new Map([['w', g]]))).toThrow(/\[w\].*gradient has shape \[3\]/);
    expect(() => new AdamW({ learningRate: 0.1, stateLocation: 'gpu' as 'heap' })).toThrow(/stateLocation must be/);
    expect(() => opt.setState({ step: 1, moments: { w: { m: new Float32Array(3), v: new Float32Array(3) } } }, new Map([['w', w]]))).toThrow(/3 values/);
    tf.dispose([w, g]);
  });
});

describeWithBackends('gradients handed over as they complete, summed outside the heap', () => {
  it('micro-batch gradients summed by GradientAccumulator give the full batch\'s AdamW step', () => {
    const shapes = new Map<string, number[]>([['w', [3, 4]], ['b', [4]]]);
    const make = (): Map<string, tf.Variable> =>
      new Map([...shapes].map(([name, shape], i) => [name, tf.variable(tf.tensor(randn(shape.reduce((a, c) => a * c), 7 + i), shape))]));
    const x = tf.tensor2d(randn(6 * 3, 99), [6, 3]);
    const loss = (p: ReadonlyMap<string, tf.Variable>, rows: [number, number]): tf.Scalar =>
      tf.sum(tf.square(tf.tanh(tf.add(tf.matMul(tf.slice(x, [rows[0], 0], [rows[1] - rows[0], 3]), p.get('w') as tf.Tensor), p.get('b') as tf.Tensor))));
    // Full batch, tensors in the heap.
    const full = make();
    const whole = namedGradients(() => loss(full, [0, 6]), full);
    const reference = new Map([...whole.grads].map(([n, g]) => [n, Array.from(g.dataSync())]));
    new AdamW({ learningRate: 0.1, stateLocation: 'heap' }).step(full, whole.grads);
    // Three micro-batches, each gradient handed over as soon as it is complete.
    const split = make();
    const acc = new GradientAccumulator();
    const seen: string[] = [];
    for (const rows of [[0, 2], [2, 4], [4, 6]] as Array<[number, number]>) {
      const before = tf.memory().numTensors;
      const { value, grads } = namedGradients(() => loss(split, rows), split, { onGradient: (name, g) => { seen.push(name); acc.add(name, g); } });
      expect(grads.size).toBe(0);
      value.dispose();
      expect(tf.memory().numTensors).toBe(before); // nothing left in the heap
    }
    expect(seen.sort()).toEqual(['b', 'b', 'b', 'w', 'w', 'w']);
    for (const [name, values] of reference) expectClose(Array.from(acc.grads.get(name) as Float32Array), values, 1e-6, 1e-5);
    expect(acc.bytes).toBe(16 * 4);
    const norm = Math.sqrt([...reference.values()].flat().reduce((s, v) => s + v * v, 0));
    expect(acc.globalNorm()).toBeCloseTo(norm, 4);
    new AdamW({ learningRate: 0.1, stateLocation: 'outside' }).step(split, acc.grads);
    for (const [name, v] of full) expectClose(Array.from((split.get(name) as tf.Variable).dataSync()), Array.from(v.dataSync()), 1e-6, 1e-5);
    // Float32Array gradients work with moments in the heap too, and a wrong length is a typed error.
    new AdamW({ learningRate: 0.1, stateLocation: 'heap' }).step(split, acc.grads);
    expect(() => new AdamW({ learningRate: 0.1 }).step(split, new Map([['b', new Float32Array(3)]]))).toThrow(/\[b\].*3 values/);
    // clipping scales in place and reports the norm before
    expect(acc.clipByGlobalNorm(norm / 2)).toBeCloseTo(norm, 4);
    expect(acc.globalNorm()).toBeCloseTo(norm / 2, 4);
    whole.value.dispose();
    whole.grads.forEach((g) => g.dispose());
    tf.dispose([x, ...full.values(), ...split.values()]);
  });
});
