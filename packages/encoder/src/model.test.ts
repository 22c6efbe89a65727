import * as tf from '@tensorflow/tfjs-core';
import { disposeInputs, namedGradients, toEncoderInputs } from '@carl/core';
import type { EncoderInputs } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import type { EncoderConfig } from './config';
import { createEncoder } from './create';
import type { TransformerEncoder } from './model';
import { WordPieceTokenizer } from './wordpiece';

const WORDS = ['i', 'am', 'so', 'happy', 'sad', 'today', 'not', 'very', 'really', 'this', 'is', 'great'];
// RoBERTa-style ids: <s>=0, <pad>=1, </s>=2, so the position offset (padding_idx + 1 = 2) matters.
const tokenizer = new WordPieceTokenizer(['[CLS]', '[PAD]', '[SEP]', '[UNK]', '[MASK]', ...WORDS]);

function small(over: Partial<EncoderConfig> = {}, seed = 1): TransformerEncoder {
  // A large init range so attention is far from uniform and the invariance checks have teeth.
  return createEncoder({
    tokenizer,
    seed,
    config: { hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 32, maxPositionEmbeddings: 24, initializerRange: 0.5, ...over },
  });
}

function inputs(texts: string[], maxLength?: number): EncoderInputs {
  return toEncoderInputs(tokenizer.encodeBatch(texts, maxLength === undefined ? {} : { maxLength }));
}

function run(encoder: TransformerEncoder, batch: EncoderInputs, training = false, seed?: number): { hidden: number[][][]; pooled: number[][] } {
  return tf.tidy(() => {
    const out = encoder.forward(batch, { training, ...(seed === undefined ? {} : { seed }) });
    return { hidden: out.hiddenStates.arraySync(), pooled: out.pooled.arraySync() };
  });
}

/** Ids/mask rows with `left` padding tokens in front (pad id 1, mask 0). */
function leftPadded(ids: number[], left: number): EncoderInputs {
  const row = [...Array<number>(left).fill(1), ...ids];
  const mask = [...Array<number>(left).fill(0), ...ids.map(() => 1)];
  return { inputIds: tf.tensor2d([row], undefined, 'int32'), attentionMask: tf.tensor2d([mask], undefined, 'int32') };
}

describeWithBackends('TransformerEncoder', () => {
  for (const architecture of ['bert', 'roberta'] as const) {
    it(`${architecture}: padding never changes real tokens, and a sentence encodes the same alone or in a batch`, () => {
      const encoder = small({ architecture });
      const alone = inputs(['i am so happy']);
      const batch = inputs(['this is not very great today really', 'i am so happy', 'sad']);
      const a = run(encoder, alone);
      const b = run(encoder, batch);
      const real = a.hidden[0]?.length as number; // 6 tokens: [CLS] i am so happy [SEP]
      expect(real).toBe(6);
      expectClose((b.hidden[1] as number[][]).slice(0, real).flat(), (a.hidden[0] as number[][]).flat(), 1e-5, 1e-4);
      expectClose(b.pooled[1] as number[], a.pooled[0] as number[], 1e-5, 1e-4);
      // …and the sentence really is padded there, and different sentences do differ.
      expect(b.hidden[1]?.length).toBe(9);
      expect(Math.abs((b.pooled[0] as number[])[0]! - (b.pooled[1] as number[])[0]!)).toBeGreaterThan(1e-3);
      disposeInputs(alone);
      disposeInputs(batch);
      encoder.dispose();
    });
  }

  it('roberta: positions are padding_idx + 1 + running count of real tokens (so left padding changes nothing)', () => {
    const roberta = small({ architecture: 'roberta', typeVocabSize: 1 });
    const pad = roberta.config.padTokenId;
    expect(pad).toBe(1);
    // An equivalent BERT whose position table is RoBERTa's shifted by padding_idx + 1 rows.
    const bert = small({ architecture: 'bert', typeVocabSize: 1, maxPositionEmbeddings: 24 - pad - 1 }, 2);
    for (const [name, v] of bert.variables()) {
      const source = roberta.variables().get(name) as tf.Variable;
      if (name === 'embeddings.position_embeddings.weight') v.assign(tf.slice(source, [pad + 1, 0], [24 - pad - 1, 16]));
      else v.assign(source);
    }
    const ids = [0, 5, 6, 7, 8, 2];
    const plain = leftPadded(ids, 0);
    const r = run(roberta, plain);
    expectClose(run(bert, plain).hidden.flat(2), r.hidden.flat(2), 1e-5, 1e-4);
    const padded = leftPadded(ids, 3);
    const rPadded = run(roberta, padded);
    expectClose((rPadded.hidden[0] as number[][]).slice(3).flat(), (r.hidden[0] as number[][]).flat(), 1e-5, 1e-4);
    expectClose(rPadded.pooled.flat(), r.pooled.flat(), 1e-5, 1e-4);
    // BERT has no such offset: left padding shifts its positions and changes its outputs.
    const bPadded = run(bert, padded);
    expect(Math.max(...(bPadded.hidden[0] as number[][]).slice(3).flat().map((x, i) => Math.abs(x - (r.hidden[0] as number[][]).flat()[i]!)))).toBeGreaterThan(1e-2);
    for (const t of [plain, padded]) disposeInputs(t);
    roberta.dispose();
    bert.dispose();
  });

  it('embedTokens returns only the word-embedding rows', () => {
    const encoder = small();
    const batch = inputs(['so happy']);
    const table = (encoder.variables().get('embeddings.word_embeddings.weight') as tf.Variable).arraySync() as number[][];
    const ids = batch.inputIds.arraySync()[0] as number[];
    const emb = encoder.embedTokens(batch.inputIds);
    expectClose(emb, ids.map((id) => table[id] as number[]).flat(), 0, 0);
    emb.dispose();
    disposeInputs(batch);
    encoder.dispose();
  });

  it('pools by masked mean (default), [CLS] or the pooler', () => {
    const encoder = small();
    const batch = inputs(['i am happy', 'sad']);
    const { hidden, pooled } = run(encoder, batch);
    const mask = batch.attentionMask.arraySync();
    const mean = hidden.map((rows, b) => {
      const real = rows.filter((_, j) => (mask[b] as number[])[j] === 1);
      return real[0]!.map((_, c) => real.reduce((s, r) => s + r[c]!, 0) / real.length);
    });
    expectClose(pooled.flat(), mean.flat(), 1e-5, 1e-4);
    const cls = encoder.clone({ pooling: 'cls' });
    expectClose(run(cls, batch).pooled.flat(), hidden.map((rows) => rows[0] as number[]).flat(), 1e-6, 1e-6);
    const pooler = encoder.clone({ pooling: 'pooler' });
    const w = (pooler.variables().get('pooler.dense.weight') as tf.Variable).arraySync() as number[][];
    const bias = (pooler.variables().get('pooler.dense.bias') as tf.Variable).arraySync() as number[];
    const want = hidden.map((rows) => w.map((row, o) => Math.tanh(row.reduce((s, x, i) => s + x * rows[0]![i]!, bias[o]!))));
    expectClose(run(pooler, batch).pooled.flat(), want.flat(), 1e-5, 1e-4);
    for (const e of [encoder, cls, pooler]) e.dispose();
    disposeInputs(batch);
  });

  it('gradients with respect to the token embeddings match finite differences (the saliency path)', () => {
    const encoder = small({ hiddenSize: 8, numAttentionHeads: 2, intermediateSize: 12, numHiddenLayers: 1 });
    const batch = inputs(['i am happy', 'sad']);
    const emb = encoder.embedTokens(batch.inputIds);
    const probe = tf.randomNormal([2, 8], 0, 1, 'float32', 5);
    const f = (e: tf.Tensor): tf.Scalar => tf.sum(tf.mul(encoder.forwardFromEmbeddings(e as tf.Tensor3D, batch).pooled, probe));
    expectGradientsClose(f, emb, 3e-2, 3e-2);
    // Padding tokens get exactly zero gradient: nothing attends to them and mean pooling skips them.
    const g = tf.grad(f)(emb).arraySync() as number[][][];
    expect(g[1]!.slice(3).flat().every((x) => x === 0)).toBe(true);
    for (const t of [emb, probe]) t.dispose();
    disposeInputs(batch);
    encoder.dispose();
  });

  it('the word-embedding gradient is the scatter-sum of the per-token gradients (gather backward)', () => {
    const encoder = small({ hiddenSize: 8, numAttentionHeads: 2, intermediateSize: 12, numHiddenLayers: 1 });
    const batch = inputs(['happy happy sad', 'happy']);
    const probe = tf.randomNormal([2, 8], 0, 1, 'float32', 9);
    const loss = (e: tf.Tensor3D): tf.Scalar => tf.sum(tf.mul(encoder.forwardFromEmbeddings(e, batch).pooled, probe));
    const emb = encoder.embedTokens(batch.inputIds);
    const perToken = tf.grad((e: tf.Tensor) => loss(e as tf.Tensor3D))(emb).arraySync() as number[][][];
    const table = new Map([['embeddings.word_embeddings.weight', encoder.variables().get('embeddings.word_embeddings.weight') as tf.Variable]]);
    const { value, grads } = namedGradients(() => loss(encoder.embedTokens(batch.inputIds)), table);
    const tableGrad = (grads.get('embeddings.word_embeddings.weight') as tf.Tensor).arraySync() as number[][];
    const ids = batch.inputIds.arraySync();
    const want = tableGrad.map((row) => row.map(() => 0));
    ids.forEach((row, b) => row.forEach((id, j) => perToken[b]![j]!.forEach((g, c) => (want[id]![c]! += g))));
    expectClose(tableGrad.flat(), want.flat(), 1e-6, 1e-4);
    for (const t of [value, emb, probe, ...grads.values()]) t.dispose();
    disposeInputs(batch);
    encoder.dispose();
  });

  it('dropout: only in training, reproducible from options.seed, different across seeds', () => {
    const encoder = small({ hiddenDropoutProb: 0.2, attentionProbsDropoutProb: 0.2 });
    const batch = inputs(['i am so happy today', 'sad']);
    const evalOut = run(encoder, batch).pooled.flat();
    expect(run(encoder, batch, false, 3).pooled.flat()).toEqual(evalOut);
    const a = run(encoder, batch, true, 3).pooled.flat();
    expect(run(encoder, batch, true, 3).pooled.flat()).toEqual(a);
    expect(run(encoder, batch, true, 4).pooled.flat()).not.toEqual(a);
    expect(a).not.toEqual(evalOut);
    // Without a seed, training draws fresh masks from the encoder's own stream.
    expect(run(encoder, batch, true).pooled.flat()).not.toEqual(run(encoder, batch, true).pooled.flat());
    disposeInputs(batch);
    encoder.dispose();
  });

  it('clone copies values into independent variables', () => {
    const encoder = small();
    const copy = encoder.clone({ trainable: false });
    const batch = inputs(['so happy']);
    expect(run(copy, batch).pooled).toEqual(run(encoder, batch).pooled);
    const w = copy.variables().get('encoder.layer.0.output.dense.weight') as tf.Variable;
    expect(w.trainable).toBe(false);
    w.assign(tf.zerosLike(w));
    expect(run(copy, batch).pooled).not.toEqual(run(encoder, batch).pooled);
    copy.dispose();
    expect(run(encoder, batch).pooled[0]?.length).toBe(16); // the original still works
    disposeInputs(batch);
    encoder.dispose();
  });

  it('same seed → same weights; the padding row of the word embeddings starts at zero', () => {
    const a = small({}, 42);
    const b = small({}, 42);
    for (const [name, v] of a.variables()) expect(Array.from(v.dataSync())).toEqual(Array.from((b.variables().get(name) as tf.Variable).dataSync()));
    const table = (a.variables().get('embeddings.word_embeddings.weight') as tf.Variable).arraySync() as number[][];
    expect(table[1]?.every((x) => x === 0)).toBe(true);
    a.dispose();
    b.dispose();
  });

  it('embed() returns sentence embeddings in input order, optionally unit length', () => {
    const encoder = small();
    const texts = ['i am so happy today really', 'sad', 'this is great'];
    const all = encoder.embed(texts, { batchSize: 2 });
    texts.forEach((t, i) => expectClose(all[i] as number[], encoder.embed([t])[0] as number[], 1e-5, 1e-4));
    for (const v of encoder.embed(texts, { normalize: true })) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(() => encoder.embed(texts, { batchSize: 0 })).toThrow(expect.objectContaining({ location: { field: 'batchSize' } }));
    encoder.dispose();
  });

  it('rejects bad input with typed errors before tfjs sees it', () => {
    const encoder = small();
    const tooLong = toEncoderInputs(tokenizer.encodeBatch([Array(30).fill('happy').join(' ')], { maxLength: 30 }));
    expect(() => encoder.forward(tooLong)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', location: { field: 'inputIds' } }));
    const badId = { inputIds: tf.tensor2d([[0, 999]], undefined, 'int32'), attentionMask: tf.tensor2d([[1, 1]], undefined, 'int32') };
    expect(() => encoder.forward(badId)).toThrow(/token id 999/);
    const badMask = { inputIds: tf.tensor2d([[0, 5]], undefined, 'int32'), attentionMask: tf.tensor2d([[1, 1, 1]], undefined, 'int32') };
    expect(() => encoder.forward(badMask)).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', location: { field: 'attentionMask' } }));
    const badType = { ...badId, inputIds: tf.tensor2d([[0, 5]], undefined, 'int32'), tokenTypeIds: tf.tensor2d([[0, 7]], undefined, 'int32') };
    expect(() => encoder.forward(badType)).toThrow(expect.objectContaining({ location: { field: 'tokenTypeIds' } }));
    for (const t of [tooLong, badId, badMask, badType]) disposeInputs(t);
    encoder.dispose();
  });

  it('a training step (forward + backward) leaves no tensor behind', () => {
    const encoder = small();
    const batch = inputs(['i am so happy', 'not great']);
    expectNoTensorLeak(() => {
      const { value, grads } = namedGradients(() => tf.mean(encoder.forward(batch, { training: true, seed: 1 }).pooled) as tf.Scalar, encoder.variables());
      // Every parameter but the pooler (unused by mean pooling) gets a gradient.
      expect(grads.size).toBe(encoder.variables().size - 2);
      value.dispose();
      for (const g of grads.values()) g.dispose();
    });
    disposeInputs(batch);
    encoder.dispose();
  });
});
