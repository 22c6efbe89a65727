import * as tf from '@tensorflow/tfjs-core';
import { namedGradients } from './optim';
import { gradientsFreeingAsItGoes } from './tape';
import { describeWithBackends } from './testing';

/**
 * A loss that exercises what the freeing must get right: a weight used twice (two "views"), a reshape (shares its
 * buffer), broadcasting, a variable the loss does not use, and a customGrad that saves a tensor and hands its dy
 * back unchanged as the input's gradient.
 */
function setup(): { w: tf.Variable; b: tf.Variable; unused: tf.Variable; x: tf.Tensor; loss: () => tf.Scalar } {
  const w = tf.variable(tf.tensor2d([[0.5, -1, 2], [1.5, 0.25, -0.75]]));
  const b = tf.variable(tf.tensor1d([0.1, -0.2, 0.3]));
  const unused = tf.variable(tf.tensor1d([7]));
  const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5]]);
  const passThrough = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([t]);
    return { value: tf.mul(t, 1), gradFunc: (dy: tf.Tensor) => dy };
  });
  const view = (scale: number): tf.Tensor => tf.tanh(tf.add(tf.matMul(tf.mul(x, scale), w), b));
  const loss = (): tf.Scalar => {
    const a = passThrough(view(1)) as tf.Tensor;
    const c = tf.reshape(view(-0.5), [9]);
    return tf.add(tf.sum(tf.square(a)), tf.sum(tf.mul(c, tf.range(0, 9)))) as tf.Scalar;
  };
  return { w, b, unused, x, loss };
}

describeWithBackends('gradientsFreeingAsItGoes', () => {
  it("gives tfjs's own gradients, value for value, and leaves only the results behind", () => {
    const { w, b, unused, x, loss } = setup();
    const reference = tf.variableGrads(loss, [w, b, unused]);
    const expected = { value: reference.value.dataSync()[0], w: Array.from(reference.grads[w.name]?.dataSync() ?? []), b: Array.from(reference.grads[b.name]?.dataSync() ?? []) };
    expect(reference.grads[unused.name]).toBeUndefined();
    tf.dispose([reference.value, ...Object.values(reference.grads)]);

    const before = tf.memory().numTensors;
    const { value, grads } = gradientsFreeingAsItGoes(loss, [w, b, unused]);
    expect(value.dataSync()[0]).toBe(expected.value);
    expect(Array.from(grads[0]?.dataSync() ?? [])).toEqual(expected.w);
    expect(Array.from(grads[1]?.dataSync() ?? [])).toEqual(expected.b);
    expect(grads[2]).toBeUndefined();
    expect(tf.memory().numTensors - before).toBe(3); // value and two gradients
    tf.dispose([value, ...grads.filter((g): g is tf.Tensor => g !== undefined)]);
    tf.dispose([w, b, unused, x]);
  });

  it('holds fewer tensors at its peak than tfjs (intermediate gradients are freed on the way)', () => {
    const { w, b, unused, x, loss } = setup();
    // Counts live tensors after every kernel of the backward pass.
    const peakOf = (run: () => void): number => {
      let peak = 0;
      const engine = tf.engine() as unknown as { runKernel: (...args: unknown[]) => unknown };
      const original = engine.runKernel.bind(engine);
      engine.runKernel = (...args: unknown[]) => {
        const out = original(...args);
        peak = Math.max(peak, tf.memory().numTensors);
        return out;
      };
      try {
        run();
      } finally {
        engine.runKernel = original;
      }
      return peak;
    };
    const theirs = peakOf(() => {
      const r = tf.variableGrads(loss, [w, b]);
      tf.dispose([r.value, ...Object.values(r.grads)]);
    });
    const ours = peakOf(() => {
      const r = gradientsFreeingAsItGoes(loss, [w, b]);
      tf.dispose([r.value, ...r.grads.filter((g): g is tf.Tensor => g !== undefined)]);
    });
    expect(ours).toBeLessThan(theirs);
    tf.dispose([w, b, unused, x]);
  });

  it('frees nothing early inside another gradient (second derivatives stay right)', () => {
    const x = tf.scalar(1.5);
    // d/dx of (d/dx x⁴) = 12x²
    const second = tf.grad((t: tf.Tensor) => {
      const { value, grads } = gradientsFreeingAsItGoes(() => tf.pow(t, 4), [t]);
      value.dispose();
      return grads[0] as tf.Tensor;
    })(x);
    expect(second.dataSync()[0]).toBeCloseTo(12 * 1.5 ** 2, 4);
    tf.dispose([x, second]);
  });
});

describeWithBackends('namedGradients edge cases', () => {
  it('rejects a set without trainable parameters and a non-scalar loss with typed errors', () => {
    const frozen = tf.variable(tf.tensor1d([1, 2]), false);
    const live = tf.variable(tf.tensor1d([1, 2]));
    expect(() => namedGradients(() => tf.sum(frozen), new Map([['frozen', frozen]]))).toThrow(/none of the 1 parameters is trainable/);
    expect(() => namedGradients(() => tf.mul(live, 2) as unknown as tf.Scalar, new Map([['live', live]]))).toThrow(/must be a scalar/);
    tf.dispose([frozen, live]);
  });
});
