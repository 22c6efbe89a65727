import * as tf from '@tensorflow/tfjs-core';
import { Random, toEncoderInputs } from '@carl/core';
import { createToyEncoder, describeWithBackends, expectClose } from '@carl/core/testing';
import { selectionSize } from '@carl/saliency-perturbation';
import { AFFECT_SAMPLE, SAMPLE_WORDS } from './__fixtures__/affect-sample';
import { resolveConfig, type TrainConfig } from './config';
import { TrainingModel, type StepRow } from './step';

const rows: StepRow[] = AFFECT_SAMPLE.slice(0, 6).map((r) => ({ id: r.id, text: r.text, va: r.va as { valence: number; arousal: number } }));

function model(config: Partial<TrainConfig>, dropout = 0.1): TrainingModel {
  const encoder = createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 8, seed: 5, dropout });
  return new TrainingModel(encoder, resolveConfig({ projectionDim: 4, queueSize: 32, maxLength: 16, ...config }), 9);
}

function dispose(m: TrainingModel): void {
  m.dispose();
  m.online.dispose();
}

describeWithBackends('TrainingModel.step', () => {
  it('mse-regression minimises the mean squared error of a linear VA head (checked by hand)', () => {
    const m = model({ method: 'mse-regression' }, 0);
    const head = m.vaHead;
    if (head === undefined) throw new Error('no VA head');
    // Expected loss from the initial weights, computed outside the trainer.
    const expected = tf.tidy(() => {
      const inputs = toEncoderInputs(m.online.tokenizer.encodeBatch(rows.map((r) => r.text), { maxLength: 16 }));
      const pred = head.forward(m.online.forward(inputs).pooled).arraySync();
      let sum = 0;
      rows.forEach((r, i) => {
        sum += ((pred[i] as number[])[0] as number - r.va.valence) ** 2 + ((pred[i] as number[])[1] as number - r.va.arousal) ** 2;
      });
      return sum / (rows.length * 2);
    });
    const outcome = m.step(rows, new Random(1), 1e-3, 0.99);
    expect(outcome.loss).toBeCloseTo(expected, 5);
    expect(outcome.parts).toEqual({ mse: outcome.loss });
    dispose(m);
  });

  it('carl perturbs ρ of each sentence’s real tokens, updates the target by EMA after the step and enqueues the keys', () => {
    const m = model({ method: 'carl', perturbRatio: 0.25, ptdWeight: 0.5 });
    const target = m.target;
    if (target === undefined) throw new Error('no target');
    const name = 'dense.weight';
    const before = (target.encoder.variables.get(name) as tf.Variable).dataSync().slice();
    const outcome = m.step(rows, new Random(2), 1e-2, 0.9);
    // Every selected token is replaced by a different, non-special id, so each counts as perturbed.
    const lengths = rows.map((r) => r.text.split(' ').length);
    expect(outcome.metrics['perturbedTokens']).toBe(lengths.reduce((s, n) => s + selectionSize(n, { ratio: 0.25, minTokens: 1 }), 0));
    expect(outcome.loss).toBeCloseTo((outcome.parts['mccl'] as number) + 0.5 * (outcome.parts['ptd'] as number), 4);
    // θ_k ← 0.9·θ_k + 0.1·θ_q, with θ_q the online weights after the optimiser step.
    const online = (m.online.variables().get(name) as tf.Variable).dataSync();
    expectClose(target.encoder.variables.get(name) as tf.Variable, Array.from(before, (b, i) => 0.9 * b + 0.1 * (online[i] as number)), 1e-6, 1e-5);
    expect(m.queue?.size).toBe(rows.length);
    const snap = m.queue?.snapshot();
    expect(snap?.ids).toEqual(rows.map((r) => r.id));
    // Keys are L2-normalised projections.
    const norms = tf.tidy(() => tf.norm(snap?.keys as tf.Tensor2D, 'euclidean', 1).dataSync());
    expectClose(norms, rows.map(() => 1), 1e-5);
    snap?.keys.dispose();
    dispose(m);
  });

  it('ptdView separate takes the MCCL query from the clean batch, so the perturbation leaves MCCL unchanged', () => {
    // Dropout off: the MCCL part then depends only on which batch feeds the query.
    const mccl = (config: Partial<TrainConfig>): number => {
      const m = model({ method: 'carl', ptdWeight: 0.5, perturbRatio: 0.5, ...config }, 0);
      const parts = m.step(rows, new Random(4), 1e-2, 0.9).parts;
      dispose(m);
      return parts['mccl'] as number;
    };
    const clean = mccl({ method: 'carl-no-ptd' });
    expect(mccl({ ptdView: 'separate' })).toBeCloseTo(clean, 5);
    expect(Math.abs(mccl({ ptdView: 'perturbed' }) - clean)).toBeGreaterThan(1e-4);
  });

  it('uses the queue as extra candidates on the next step, never a sentence’s own stale copy', () => {
    const m = model({ method: 'carl-no-ptd' });
    m.step(rows.slice(0, 3), new Random(3), 1e-3, 0.99);
    const second = m.step(rows.slice(1, 5), new Random(4), 1e-3, 0.99);
    // Rows 1 and 2 are in the batch again: only row 0's key is a queue candidate.
    expect(second.metrics['queueSize']).toBe(1);
    dispose(m);
  });

  it('leaves the parameters untouched when the loss is not finite', () => {
    const m = model({ method: 'simcse' });
    const bad: StepRow[] = rows.map((r) => ({ ...r }));
    const params = [...m.params.values()].map((v) => v.dataSync().slice());
    // A NaN learning rate would poison the update; the guard must trip on the loss first, so poison the data instead.
    const poisoned = m.projection?.variables().get('projection.0.weight') as tf.Variable;
    const saved = poisoned.dataSync().slice();
    poisoned.assign(tf.fill(poisoned.shape, Number.NaN));
    expect(() => m.step(bad, new Random(5), 1e-3, 0.99)).toThrow(/the loss is NaN \(infonce NaN\); no update was applied/);
    poisoned.assign(tf.tensor(saved, poisoned.shape));
    [...m.params.values()].forEach((v, i) => expectClose(v.dataSync(), params[i] as Float32Array));
    dispose(m);
  });
});
