import * as tf from '@tensorflow/tfjs-core';
import { namedGradients } from '@carl/core';
import { createToyEncoder, describeWithBackends, expectCarlError, expectClose } from '@carl/core/testing';
import { MomentumTarget } from './index';

const values = (v: tf.Tensor): number[] => Array.from(v.dataSync());

describeWithBackends('MomentumTarget', () => {
  it('starts as a non-trainable copy of the encoder and moves by θ_k ← m·θ_k + (1 − m)·θ_q', () => {
    const online = createToyEncoder({ words: ['happy', 'sad'], hiddenSize: 4, seed: 3 });
    const target = MomentumTarget.fromEncoder(online, { momentum: 0.9 });
    const name = 'dense.weight';
    const onlineVar = online.variables().get(name) as tf.Variable;
    const targetVar = target.variables.get(name) as tf.Variable;
    expect(values(targetVar)).toEqual(values(onlineVar));
    expect([...target.variables.values()].every((v) => !v.trainable)).toBe(true);
    expect(target.encoder.variables().get(name)).toBe(targetVar);

    const before = values(targetVar);
    onlineVar.assign(tf.add(onlineVar, 1)); // the optimiser moved the online weights
    const moved = values(onlineVar);
    target.update(online);
    expectClose(values(targetVar), before.map((t, i) => 0.9 * t + 0.1 * (moved[i] as number)), 1e-6);

    const again = values(targetVar);
    target.update(online, 0.5);
    expectClose(values(targetVar), again.map((t, i) => 0.5 * t + 0.5 * (moved[i] as number)), 1e-6);
    target.update(online, 1);
    expectClose(values(targetVar), again.map((t, i) => 0.5 * t + 0.5 * (moved[i] as number)), 1e-6);
    target.update(online, 0);
    expect(values(targetVar)).toEqual(moved);
    // The copy is independent: changing the online weights again leaves the target alone.
    onlineVar.assign(tf.zerosLike(onlineVar));
    expect(values(targetVar)).toEqual(moved);
    target.dispose();
    online.dispose();
  });

  it('never receives gradients, even when its keys enter the loss', () => {
    const online = createToyEncoder({ words: ['calm', 'angry'], hiddenSize: 4, seed: 5 });
    const target = MomentumTarget.fromEncoder(online);
    const inputs = {
      inputIds: tf.tensor2d([[2, 5, 3]], [1, 3], 'int32'),
      attentionMask: tf.tensor2d([[1, 1, 1]], [1, 3], 'int32'),
    };
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(tf.mul(online.forward(inputs).pooled, target.encoder.forward(inputs).pooled)) as tf.Scalar,
    );
    const targetNames = new Set([...target.variables.values()].map((v) => v.name));
    expect(Object.keys(grads).some((n) => targetNames.has(n))).toBe(false);
    expect(Object.keys(grads).length).toBe(online.variables().size);
    // A loss of the target alone has no trainable variable to differentiate at all.
    expect(() => namedGradients(() => tf.sum(target.encoder.forward(inputs).pooled) as tf.Scalar, target.variables)).toThrow(/trainable/);
    tf.dispose([value, ...Object.values(grads), inputs.inputIds, inputs.attentionMask]);
    target.dispose();
    online.dispose();
  });

  it('works on any named variables, keeps tf.memory() flat over many updates, and frees everything', () => {
    const w = tf.tidy(() => tf.variable(tf.tensor2d([[1, 2], [3, 4]])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([0.5, -0.5])));
    const start = tf.memory().numTensors;
    const online = new Map<string, tf.Variable>([['w', w], ['b', b]]);
    const target = MomentumTarget.fromVariables(online, { momentum: 0.99 });
    const afterCreate = tf.memory().numTensors;
    for (let step = 0; step < 200; step++) {
      tf.tidy(() => w.assign(tf.add(w, 0.01)));
      target.update(online);
    }
    expect(tf.memory().numTensors).toBe(afterCreate);
    // Closed form of 200 EMA steps chasing a target that rises by 0.01 per step.
    let t = 1;
    for (let step = 1; step <= 200; step++) t = 0.99 * t + 0.01 * (1 + 0.01 * step);
    expectClose((target.variables.get('w') as tf.Variable).dataSync()[0] as number, t, 1e-4);
    expect(values(target.variables.get('b') as tf.Variable)).toEqual([0.5, -0.5]);
    target.dispose();
    expect(tf.memory().numTensors).toBe(start);
    w.dispose();
    b.dispose();
    expectCarlError(() => target.update(online), undefined, { field: 'MomentumTarget' });
  });

  it('reports mismatched parameters and bad momenta by name', () => {
    const w = tf.variable(tf.tensor1d([1, 2]));
    const target = MomentumTarget.fromVariables(new Map([['w', w]]));
    expectCarlError(() => target.update(new Map([['v', w]])), undefined, { field: 'w' });
    expectCarlError(() => target.update(new Map([['w', w], ['extra', w]])), undefined, { field: 'extra' });
    const wide = tf.variable(tf.tensor1d([1, 2, 3]));
    expectCarlError(() => target.update(new Map([['w', wide]])), undefined, { field: 'w' });
    expectCarlError(() => target.update(new Map([['w', w]]), 1.5), undefined, { field: 'momentum' });
    expectCarlError(() => MomentumTarget.fromVariables(new Map([['w', w]]), { momentum: Number.NaN }), undefined, { field: 'momentum' });
    expectCarlError(() => {
      target.momentum = -0.1;
    }, undefined, { field: 'momentum' });
    target.momentum = 0.5;
    expect(target.momentum).toBe(0.5);
    target.dispose();
    tf.dispose([w, wide]);
  });
});
