import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createToyEncoder, describeWithBackends, expectClose } from '@carl/core/testing';
import { SAMPLE_WORDS } from './__fixtures__/affect-sample';
import { embedTexts } from '@carl/encoder';
import { variablesStore } from './encoder-store';
import { MODEL_INFO_FILE, loadCarlModel, writeModelDir, type VAHead } from './model';

const texts = ['i am so happy today', 'the box is on the table', 'i feel sad and tired today'];

describeWithBackends('CarlModel', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-model-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const toy = () => createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 4, seed: 2, dropout: 0 });
  const head: VAHead = {
    kind: 'ridge',
    alpha: [1, 1],
    weights: [
      [0.5, -0.25],
      [1, 0],
      [-2, 0.5],
      [0, 3],
    ],
    intercept: [0.1, -0.2],
    trainedOn: 10,
  };

  it('round-trips the encoder and head, and predicts x·W + b clipped to [−1, 1]', async () => {
    const dir = path.join(root, 'm1');
    const source = toy();
    await writeModelDir(dir, source, variablesStore(source), { method: 'carl', pooling: 'mean', maxLength: 16, vaHead: head, training: null });
    expect(JSON.parse(fs.readFileSync(path.join(dir, MODEL_INFO_FILE), 'utf8'))).toMatchObject({ format: 'carl-model', version: 1, method: 'carl' });
    const target = createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 4, seed: 77, dropout: 0 });
    const model = await loadCarlModel(dir, { encoderStore: variablesStore(target) });
    const expectedEmbeddings = embedTexts(source, texts);
    const embeddings = model.embed(texts);
    embeddings.forEach((e, i) => expectClose(e, expectedEmbeddings[i] as Float32Array));
    const predicted = model.predictVA(texts);
    embeddings.forEach((x, i) => {
      const raw = [0, 1].map((axis) => (head.intercept[axis] as number) + Array.from(x).reduce((s, v, f) => s + v * ((head.weights[f] as number[])[axis] as number), 0));
      expect(predicted[i]?.valence).toBeCloseTo(Math.max(-1, Math.min(1, raw[0] as number)), 5);
      expect(predicted[i]?.arousal).toBeCloseTo(Math.max(-1, Math.min(1, raw[1] as number)), 5);
    });
    const explanation = model.explain('i am so happy today', { target: 'arousal' });
    expect(explanation.tokens.filter((t) => !t.special).map((t) => t.token)).toEqual(['i', 'am', 'so', 'happy', 'today']);
    model.dispose();
    source.dispose();
  });

  it('explains clearly what is wrong with a model folder', async () => {
    await expect(loadCarlModel(path.join(root, 'none'))).rejects.toThrow(/model folder not found/);
    const file = path.join(root, 'file');
    fs.writeFileSync(file, 'x');
    await expect(loadCarlModel(file)).rejects.toThrow(/expected a model folder, found a file/);
    const broken = path.join(root, 'broken');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, MODEL_INFO_FILE), '{"format":"carl-model","version":1,"maxLength":16,"vaHead":{"weights":[[1]],"intercept":[0,0]}}');
    await expect(loadCarlModel(broken)).rejects.toThrow(/broken\/carl.json \[vaHead\]: the VA head must have weights \[hidden\]\[2\]/);
    const empty = path.join(root, 'empty');
    fs.mkdirSync(empty);
    await expect(loadCarlModel(empty)).rejects.toThrow(/not an encoder folder: config.json is missing/);
  });

  it('rejects a head whose width is not the encoder’s, and predicts nothing without a head', async () => {
    const dir = path.join(root, 'm2');
    const source = toy();
    await writeModelDir(dir, source, variablesStore(source), { method: null, pooling: null, maxLength: 16, vaHead: { ...head, weights: head.weights.slice(0, 3) }, training: null });
    await expect(loadCarlModel(dir, { encoderStore: variablesStore(toy()) })).rejects.toThrow(/the VA head has 3 input weights but the encoder's hidden size is 4/);
    const bare = path.join(root, 'm3');
    await writeModelDir(bare, source, variablesStore(source), { method: null, pooling: null, maxLength: 16, vaHead: null, training: null });
    const model = await loadCarlModel(bare, { encoderStore: variablesStore(toy()) });
    expect(model.hasVAHead).toBe(false);
    expect(() => model.predictVA(['x'])).toThrow(/this model has no valence–arousal head/);
    model.dispose();
    source.dispose();
  });
});

describeWithBackends('embedTexts', () => {
  it('returns the pooled output in input order, whatever the batch size', () => {
    const encoder = createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 4, seed: 3, dropout: 0.5 });
    const one = tf.tidy(() => {
      const inputs = encoder.tokenizer.encodeBatch([texts[2] as string]);
      const t = { inputIds: tf.tensor2d(inputs.inputIds as number[][], undefined, 'int32'), attentionMask: tf.tensor2d(inputs.attentionMask as number[][], undefined, 'int32') };
      return encoder.forward(t as never).pooled.dataSync();
    });
    for (const batchSize of [1, 2, 64]) {
      const out = embedTexts(encoder, texts, { batchSize });
      expect(out).toHaveLength(3);
      expectClose(out[2] as Float32Array, one); // dropout is off: same as a single eval-mode pass
    }
    expect(embedTexts(encoder, [])).toEqual([]);
    expect(() => embedTexts(encoder, texts, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    encoder.dispose();
  });
});
