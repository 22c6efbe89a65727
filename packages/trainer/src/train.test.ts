import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isCarlError, type Encoder } from '@carl/core';
import { createToyEncoder, describeWithBackends } from '@carl/core/testing';
import { AFFECT_SAMPLE, SAMPLE_WORDS } from './__fixtures__/affect-sample';
import { describeWithData } from './__fixtures__/data-dir';
import { TRAIN_METHODS, type TrainConfig } from './config';
import { variablesStore } from './encoder-store';
import { loadCarlModel } from './model';
import { trainCarl, type TrainOptions } from './train';

const toy = (seed = 3): Encoder => createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 16, seed, dropout: 0.1 });

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'carl-train-'));
}

describeWithBackends('trainCarl', (backend) => {
  const base: Partial<TrainConfig> = {
    backend,
    batchSize: 8,
    steps: 3,
    queueSize: 16,
    projectionDim: 8,
    learningRate: 1e-2,
    ptdWeight: 1,
    logEvery: 1,
    checkpointEvery: 0,
    maxLength: 16,
  };
  const dirs: string[] = [];
  const out = (): string => {
    const d = tmp();
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  async function run(config: Partial<TrainConfig>, options: Partial<TrainOptions> & { out: string }, encoder = toy()) {
    try {
      return await trainCarl({ ...base, ...config }, { data: AFFECT_SAMPLE, encoder, encoderStore: variablesStore(encoder), saveModel: false, ...options });
    } finally {
      encoder.dispose();
    }
  }

  it.each(TRAIN_METHODS.map((m) => [m]))('runs %s for a few steps with finite, decreasing-capable losses', async (method) => {
    const result = await run({ method }, { out: out() });
    expect(result.status).toBe('completed');
    expect(result.history.map((h) => h.step)).toEqual([1, 2, 3]);
    for (const h of result.history) {
      expect(Number.isFinite(h.loss)).toBe(true);
      expect(Number.isFinite(h.gradNorm)).toBe(true);
    }
    const parts = Object.keys(result.history[0]?.parts ?? {});
    const expected: Record<string, string[]> = {
      carl: ['mccl', 'ptd'],
      'carl-no-ptd': ['mccl'],
      'carl-no-momentum': ['mccl', 'ptd'],
      'carl-discrete': ['supcon', 'ptd'],
      'carl-random-tokens': ['mccl', 'ptd'],
      'mse-regression': ['mse'],
      simcse: ['infonce'],
      'supcon-binned': ['supcon'],
    };
    expect(parts.sort()).toEqual((expected[method] as string[]).sort());
    // The total is MCCL + λ·PTD with λ = 1 here.
    const first = result.history[0];
    if (first !== undefined && parts.length === 2) expect(first.loss).toBeCloseTo(Object.values(first.parts).reduce((a, b) => a + b, 0), 4);
    expect(result.checkpoint?.step).toBe(3);
  }, 60_000);

  it('gives the same loss trajectory for the same seed, and another for another seed', async () => {
    const a = await run({ method: 'carl', seed: 7 }, { out: out() });
    const b = await run({ method: 'carl', seed: 7 }, { out: out() });
    const c = await run({ method: 'carl', seed: 8 }, { out: out() });
    expect(b.history.map((h) => h.loss)).toEqual(a.history.map((h) => h.loss));
    expect(c.history.map((h) => h.loss)).not.toEqual(a.history.map((h) => h.loss));
  }, 60_000);

  it('resumes after a crash to exactly the result of an uninterrupted run', async () => {
    const config = { method: 'carl' as const, steps: 7, checkpointEvery: 2, seed: 11 };
    const whole = toy();
    let wholeParams: Float32Array[] = [];
    const uninterrupted = await trainCarl({ ...base, ...config }, { out: out(), data: AFFECT_SAMPLE, encoder: whole, encoderStore: variablesStore(whole), saveModel: false });
    wholeParams = [...whole.variables().values()].map((v) => v.dataSync() as Float32Array);
    whole.dispose();

    const dir = out();
    const first = toy();
    await expect(
      trainCarl({ ...base, ...config }, {
        out: dir,
        data: AFFECT_SAMPLE,
        encoder: first,
        encoderStore: variablesStore(first),
        saveModel: false,
        onStep: (r) => {
          if (r.step === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    first.dispose();
    // The last complete checkpoint is step 4; the resumed run repeats step 5 with the same data, dropout and perturbation.
    const second = toy(999); // constructed differently: everything must come from the checkpoint
    const resumed = await trainCarl({ ...base, ...config }, { out: dir, resume: true, data: AFFECT_SAMPLE, encoder: second, encoderStore: variablesStore(second), saveModel: false });
    const resumedParams = [...second.variables().values()].map((v) => v.dataSync() as Float32Array);
    second.dispose();
    expect(resumed.history.map((h) => h.loss)).toEqual(uninterrupted.history.map((h) => h.loss));
    expect(resumedParams).toEqual(wholeParams);
  }, 60_000);

  it('keeps the tensor count flat across steps and frees everything it made (no leak)', async () => {
    for (const method of ['carl', 'carl-no-momentum', 'carl-discrete', 'mse-regression', 'simcse'] as const) {
      const encoder = toy();
      const before = tf.memory().numTensors;
      const counts: number[] = [];
      await trainCarl(
        { ...base, method, steps: 6, checkpointEvery: 3 },
        { out: out(), data: AFFECT_SAMPLE, encoder, encoderStore: variablesStore(encoder), saveModel: false, onStep: () => counts.push(tf.memory().numTensors) },
      );
      expect({ method, counts }).toEqual({ method, counts: counts.map(() => counts[0]) });
      expect({ method, left: tf.memory().numTensors - before }).toEqual({ method, left: 0 });
      encoder.dispose();
    }
  }, 60_000);

  it('stops on a non-finite loss with a clear message and keeps the last good checkpoint', async () => {
    const dir = out();
    const inner = toy();
    let poison = false;
    // An encoder that starts producing NaN after step 2 (as a diverging run would).
    const encoder: Encoder = {
      ...inner,
      specificationVersion: 'v1',
      architecture: inner.architecture,
      hiddenSize: inner.hiddenSize,
      maxLength: inner.maxLength,
      tokenizer: inner.tokenizer,
      embedTokens: (ids) => inner.embedTokens(ids),
      forward: (inputs, options) => inner.forward(inputs, options),
      forwardFromEmbeddings: (e, inputs, options) => {
        const out = inner.forwardFromEmbeddings(e, inputs, options);
        if (!poison) return out;
        return tf.tidy(() => ({ hiddenStates: tf.mul(out.hiddenStates, Number.NaN) as tf.Tensor3D, pooled: tf.mul(out.pooled, Number.NaN) as tf.Tensor2D }));
      },
      variables: () => inner.variables(),
      clone: (o) => inner.clone(o),
      dispose: () => inner.dispose(),
    };
    const error = await trainCarl(
      { ...base, method: 'mse-regression', steps: 5, checkpointEvery: 2 },
      { out: dir, data: AFFECT_SAMPLE, encoder, encoderStore: variablesStore(encoder), saveModel: false, onStep: (r) => (poison = r.step >= 2) },
    ).catch((e: unknown) => e);
    inner.dispose();
    expect(isCarlError(error, 'NUMERIC_INSTABILITY')).toBe(true);
    expect((error as Error).message).toMatch(/training diverged at step 3: the loss is NaN \(mse NaN\); no update was applied\. Stopped; the last good checkpoint is .*step-00000002 \(step 2\)/);
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(['LATEST', 'step-00000002']);
  }, 60_000);

  it('never overwrites a run without force, and resumes only with the same configuration', async () => {
    const dir = out();
    await run({ method: 'simcse', steps: 2 }, { out: dir });
    await expect(run({ method: 'simcse', steps: 2 }, { out: dir })).rejects.toThrow(/already holds a training run \(checkpoints\); use --resume to continue it or --force to replace it/);
    await expect(run({ method: 'simcse', steps: 2, temperature: 0.5 }, { out: dir, resume: true })).rejects.toThrow(
      /\[temperature\]: is 0.5 but the run being resumed used 0.07/,
    );
    const again = await run({ method: 'simcse', steps: 2 }, { out: dir, resume: true });
    expect(again.history).toHaveLength(2); // already complete: nothing to do
    const replaced = await run({ method: 'simcse', steps: 3 }, { out: dir, force: true });
    expect(replaced.history).toHaveLength(3);
  }, 60_000);

  it('stops cleanly on abort with a checkpoint to resume from', async () => {
    const dir = out();
    const controller = new AbortController();
    const result = await run({ method: 'carl-no-ptd', steps: 5 }, { out: dir, signal: controller.signal, onStep: (r) => r.step === 2 && controller.abort() });
    expect(result.status).toBe('interrupted');
    expect(result.step).toBe(2);
    expect(result.checkpoint?.step).toBe(2);
    const resumed = await run({ method: 'carl-no-ptd', steps: 5 }, { out: dir, resume: true });
    expect(resumed.status).toBe('completed');
    expect(resumed.history.map((h) => h.step)).toEqual([1, 2, 3, 4, 5]);
  }, 60_000);
});

describeWithData('trainCarl on real EmoBank rows with the tiny transformer', (dataDir) => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it.each(TRAIN_METHODS.map((m) => [m]))('%s: a few steps from a fresh vocabulary, then a model that predicts VA', async (method) => {
    const out = tmp();
    dirs.push(out);
    const result = await trainCarl(
      { method, data: ['emobank'], dataDir, maxExamples: 48, vocabSize: 300, steps: 2, batchSize: 8, maxLength: 32, queueSize: 32, backend: 'wasm', checkpointEvery: 0 },
      { out },
    );
    expect(result.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    expect(result.corpora).toEqual([{ name: 'emobank', size: 48 }]);
    expect(result.vaHead?.trainedOn).toBe(48);
    const model = await loadCarlModel(result.modelDir as string);
    const [va] = model.predictVA(['What a wonderful surprise!']);
    expect(Math.abs(va?.valence ?? 2)).toBeLessThanOrEqual(1);
    expect(model.info.method).toBe(method);
    model.dispose();
  }, 120_000);
});
