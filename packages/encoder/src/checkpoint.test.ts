import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { isCarlError, toEncoderInputs, disposeInputs } from '@carl/core';
import { describeWithBackends, expectClose, expectNoTensorLeak } from '@carl/core/testing';
import { canonicalName, loadMlmHead, loadPretrained, savePretrained } from './checkpoint';
import { createEncoder } from './create';
import { MlmHead } from './mlm';
import type { TransformerEncoder } from './model';
import { readSafetensorsFile, writeSafetensorsFile, type TensorToWrite } from './safetensors';
import { WordPieceTokenizer } from './wordpiece';
import { tempDir, tinyBertDir } from './__fixtures__/paths';

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  last_hidden_state: number[][][];
  pooler_output: number[][];
}

const robertaDir = path.join(__dirname, '__fixtures__', 'tiny-roberta');

function inputsOf(ids: number[][], mask: number[][]): ReturnType<typeof toEncoderInputs> {
  return toEncoderInputs({ inputIds: ids, attentionMask: mask, specialTokensMask: mask, truncated: ids.map(() => 0) });
}

/** Copies a checkpoint folder, rewriting its tensor names (and optionally dtypes) through `rename`. */
function rewriteCheckpoint(from: string, rename: (name: string) => string | undefined, dtype?: 'F16' | 'BF16'): string {
  const dir = tempDir();
  for (const file of fs.readdirSync(from)) if (file !== 'model.safetensors') fs.copyFileSync(path.join(from, file), path.join(dir, file));
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, entry] of readSafetensorsFile(path.join(from, 'model.safetensors')).tensors) {
    const target = rename(name);
    if (target !== undefined) tensors.set(target, { shape: entry.shape, values: entry.read() as Float32Array, ...(dtype === undefined ? {} : { dtype }) });
  }
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), tensors);
  return dir;
}

function outputsOf(encoder: TransformerEncoder, ids: number[][], mask: number[][]): { hidden: Float32Array; pooler?: Float32Array } {
  const inputs = inputsOf(ids, mask);
  try {
    return tf.tidy(() => {
      const { hiddenStates } = encoder.forward(inputs);
      return {
        hidden: hiddenStates.dataSync() as Float32Array,
        ...(encoder.hasPooler ? { pooler: encoder.poolerOutput(hiddenStates).dataSync() as Float32Array } : {}),
      };
    });
  } finally {
    disposeInputs(inputs);
  }
}

describe('tiny-bert fixture', () => {
  describeWithBackends('loadPretrained reproduces the PyTorch reference', () => {
    const dir = tinyBertDir;
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;

    it('matches last_hidden_state and pooler_output to 1e-5', async () => {
      const encoder = await loadPretrained(dir);
      const { hidden, pooler } = outputsOf(encoder, expected.input_ids, expected.attention_mask);
      expectClose(hidden, expected.last_hidden_state.flat(2), 1e-5, 1e-5);
      expectClose(pooler as Float32Array, expected.pooler_output.flat(), 1e-5, 1e-5);
      expect(encoder.loadReport?.missing).toEqual([]);
      expect(encoder.loadReport?.unused).toEqual([]);
      expect(encoder.loadReport?.renamed.length).toBe(39); // every name lost its bert. prefix
      encoder.dispose();
    });

    it('pooling "pooler" makes `pooled` the pooler output, "cls" the first hidden state', async () => {
      for (const pooling of ['pooler', 'cls'] as const) {
        const encoder = await loadPretrained(dir, { pooling });
        const inputs = inputsOf(expected.input_ids, expected.attention_mask);
        const pooled = tf.tidy(() => encoder.forward(inputs).pooled.dataSync());
        const want = pooling === 'pooler' ? expected.pooler_output.flat() : expected.last_hidden_state.map((row) => row[0] as number[]).flat();
        expectClose(pooled, want, 1e-5, 1e-5);
        disposeInputs(inputs);
        encoder.dispose();
      }
    });

    it('accepts LayerNorm.gamma/.beta names and checkpoints without the bert. prefix', async () => {
      const renamed = rewriteCheckpoint(dir, (name) => name.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'));
      const encoder = await loadPretrained(renamed);
      const { hidden, pooler } = outputsOf(encoder, expected.input_ids, expected.attention_mask);
      expectClose(hidden, expected.last_hidden_state.flat(2), 1e-5, 1e-5);
      expectClose(pooler as Float32Array, expected.pooler_output.flat(), 1e-5, 1e-5);
      expect(encoder.loadReport?.renamed).toContainEqual(['embeddings.LayerNorm.gamma', 'embeddings.LayerNorm.weight']);
      encoder.dispose();
    });

    it('reads F16 and BF16 checkpoints (outputs within the storage precision)', async () => {
      for (const [dtype, tol] of [
        ['F16', 5e-3],
        ['BF16', 5e-2],
      ] as const) {
        const half = rewriteCheckpoint(dir, (name) => name, dtype);
        const encoder = await loadPretrained(half);
        const { hidden } = outputsOf(encoder, expected.input_ids, expected.attention_mask);
        expectClose(hidden, expected.last_hidden_state.flat(2), tol * 4, tol);
        encoder.dispose();
      }
    });

    it('save → load gives identical outputs, and the file layout is the reference one', async () => {
      const encoder = await loadPretrained(dir);
      const out = tempDir();
      const files = await savePretrained(encoder, out);
      expect(files.map((f) => path.basename(f)).sort()).toEqual(
        ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'].sort(),
      );
      // Same tensors in the same order, same header bytes as the file written by the Python safetensors library.
      expect(Buffer.compare(fs.readFileSync(path.join(out, 'model.safetensors')), fs.readFileSync(path.join(dir, 'model.safetensors')))).toBe(0);
      const reloaded = await loadPretrained(out);
      const a = outputsOf(encoder, expected.input_ids, expected.attention_mask);
      const b = outputsOf(reloaded, expected.input_ids, expected.attention_mask);
      expect(Array.from(b.hidden)).toEqual(Array.from(a.hidden));
      const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as Record<string, unknown>;
      expect(config).toMatchObject({ model_type: 'bert', architectures: ['BertModel'], vocab_size: 60, hidden_size: 16, layer_norm_eps: 1e-12 });
      encoder.dispose();
      reloaded.dispose();
    });

    it('reports unused tensors and buffers by name; a missing layer is an error naming it', async () => {
      const extra = rewriteCheckpoint(dir, (name) => name);
      const file = path.join(extra, 'model.safetensors');
      const tensors = new Map<string, TensorToWrite>();
      for (const [name, e] of readSafetensorsFile(file).tensors) tensors.set(name, { shape: e.shape, values: e.read() as Float32Array });
      tensors.set('cls.seq_relationship.weight', { shape: [2, 16], values: new Float32Array(32) });
      tensors.set('bert.embeddings.position_ids', { shape: [1, 32], values: new Float32Array(32) });
      writeSafetensorsFile(file, tensors);
      let report: unknown;
      const encoder = await loadPretrained(extra, { onReport: (r) => (report = r) });
      expect(report).toMatchObject({ unused: ['cls.seq_relationship.weight'], buffers: ['bert.embeddings.position_ids'], missing: [] });
      encoder.dispose();

      const missing = rewriteCheckpoint(dir, (name) => (name.includes('layer.1.output.dense.weight') ? undefined : name));
      await expect(loadPretrained(missing)).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT', location: { field: 'encoder.layer.1.output.dense.weight' } });
      const allowed = await loadPretrained(missing, { allowMissing: true });
      expect(allowed.loadReport?.missing).toEqual(['encoder.layer.1.output.dense.weight']);
      allowed.dispose();
    });

    it('a checkpoint without a pooler loads without one (reported missing)', async () => {
      const noPooler = rewriteCheckpoint(dir, (name) => (name.includes('pooler') ? undefined : name));
      const encoder = await loadPretrained(noPooler);
      expect(encoder.hasPooler).toBe(false);
      expect(encoder.loadReport?.missing).toEqual(['pooler.dense.weight', 'pooler.dense.bias']);
      const { hidden } = outputsOf(encoder, expected.input_ids, expected.attention_mask);
      expectClose(hidden, expected.last_hidden_state.flat(2), 1e-5, 1e-5);
      encoder.dispose();
      await expect(loadPretrained(noPooler, { pooling: 'pooler' })).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT', location: { field: 'pooler.dense.weight' } });
    });

    it('forward leaves no tensor behind', async () => {
      const encoder = await loadPretrained(dir);
      const inputs = inputsOf(expected.input_ids, expected.attention_mask);
      expectNoTensorLeak(() => {
        const out = encoder.forward(inputs);
        out.hiddenStates.dispose();
        out.pooled.dispose();
      });
      disposeInputs(inputs);
      encoder.dispose();
    });
  });
});

describeWithBackends('tiny-roberta fixture (PyTorch reference, scripts/make-fixtures.py)', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(robertaDir, 'expected.json'), 'utf8')) as {
    input_ids: number[][];
    attention_mask: number[][];
    last_hidden_state: number[];
    logits: number[];
  };

  it('reproduces last_hidden_state (positions from padding_idx) and the LM-head logits', async () => {
    const encoder = await loadPretrained(robertaDir);
    expect(encoder.architecture).toBe('roberta');
    expect(encoder.maxLength).toBe(20 - 1 - 1);
    expect([...(encoder.loadReport?.mlmHead ?? [])].sort()).toEqual(['lm_head.bias', 'lm_head.dense.bias', 'lm_head.dense.weight', 'lm_head.layer_norm.bias', 'lm_head.layer_norm.weight']);
    const head = await loadMlmHead(robertaDir, encoder);
    const inputs = inputsOf(expected.input_ids, expected.attention_mask);
    const [hidden, logits] = tf.tidy(() => {
      const { hiddenStates } = encoder.forward(inputs);
      return [hiddenStates.dataSync(), head.logits(hiddenStates).dataSync()];
    });
    expectClose(hidden as Float32Array, expected.last_hidden_state, 1e-5, 1e-5);
    expectClose(logits as Float32Array, expected.logits, 1e-4, 1e-5);
    // RoBERTa's tokenizer came from vocab.json + merges.txt with the <s> … </s> template.
    expect(encoder.tokenizer.specialTokens).toMatchObject({ pad: 1, cls: 0, sep: 2, mask: 4, unk: 3 });
    disposeInputs(inputs);
    head.dispose();
    encoder.dispose();
  });

  it('saves with the MLM head (RobertaForMaskedLM names, decoder not duplicated) and loads back identically', async () => {
    const encoder = await loadPretrained(robertaDir);
    const head = await loadMlmHead(robertaDir, encoder);
    const out = tempDir();
    await savePretrained(encoder, out, { mlmHead: head });
    const names = [...readSafetensorsFile(path.join(out, 'model.safetensors')).tensors.keys()];
    expect(names).toContain('roberta.embeddings.word_embeddings.weight');
    expect(names).toContain('lm_head.bias');
    expect(names.some((n) => n.includes('decoder'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'))).toMatchObject({ architectures: ['RobertaForMaskedLM'], bos_token_id: 0, eos_token_id: 2, pad_token_id: 1 });
    const again = await loadPretrained(out);
    const head2 = await loadMlmHead(out, again);
    const inputs = inputsOf(expected.input_ids, expected.attention_mask);
    const [a, b] = tf.tidy(() => [head.logits(encoder.forward(inputs).hiddenStates).dataSync(), head2.logits(again.forward(inputs).hiddenStates).dataSync()]);
    expect(Array.from(b as Float32Array)).toEqual(Array.from(a as Float32Array));
    disposeInputs(inputs);
    for (const x of [head, head2]) x.dispose();
    for (const x of [encoder, again]) x.dispose();
  });
});

describeWithBackends('a RoBERTa folder with a vocab.txt and no tokenizer_config.json', () => {
  it('loads, with <s> … </s> and <pad> taken from config.json model_type', async () => {
    const vocab = ['<s>', '<pad>', '</s>', '<unk>', '<mask>', 'so', 'glad', 'sad'];
    const tokenizer = new WordPieceTokenizer(vocab, { clsToken: '<s>', sepToken: '</s>', padToken: '<pad>', unkToken: '<unk>', maskToken: '<mask>' });
    const encoder = createEncoder({ architecture: 'roberta', config: { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 }, tokenizer, seed: 3 });
    const dir = tempDir();
    await savePretrained(encoder, dir);
    // What such a folder often holds: weights, config.json and the bare vocabulary.
    for (const file of fs.readdirSync(dir)) if (!['model.safetensors', 'config.json', 'vocab.txt'].includes(file)) fs.rmSync(path.join(dir, file));
    const loaded = await loadPretrained(dir);
    expect(loaded.architecture).toBe('roberta');
    expect(loaded.tokenizer.specialTokens).toMatchObject({ cls: 0, pad: 1, sep: 2, unk: 3, mask: 4 });
    expect(loaded.tokenizer.encodeBatch(['so glad']).inputIds).toEqual([[0, 5, 6, 2]]);
    const a = outputsOf(encoder, [[0, 5, 6, 2]], [[1, 1, 1, 1]]);
    const b = outputsOf(loaded, [[0, 5, 6, 2]], [[1, 1, 1, 1]]);
    expect(Array.from(b.hidden)).toEqual(Array.from(a.hidden));
    encoder.dispose();
    loaded.dispose();
  });
});

describeWithBackends('checkpoint names and bad checkpoints', () => {
  it('canonicalName strips the architecture prefix and renames gamma/beta', () => {
    expect(canonicalName('bert.encoder.layer.3.attention.output.LayerNorm.gamma', 'bert')).toBe('encoder.layer.3.attention.output.LayerNorm.weight');
    expect(canonicalName('roberta.embeddings.LayerNorm.beta', 'roberta')).toBe('embeddings.LayerNorm.bias');
    expect(canonicalName('cls.predictions.transform.LayerNorm.gamma', 'bert')).toBe('cls.predictions.transform.LayerNorm.weight');
    expect(canonicalName('pooler.dense.weight', 'bert')).toBe('pooler.dense.weight');
    // Another architecture's prefix is not stripped (the tensor is reported unused instead).
    expect(canonicalName('roberta.pooler.dense.weight', 'bert')).toBe('roberta.pooler.dense.weight');
  });

  it('fails with typed errors naming the file and the field', async () => {
    const tokenizer = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b']);
    const encoder = createEncoder({ config: { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 }, tokenizer, seed: 3 });
    const dir = tempDir();
    await savePretrained(encoder, dir);
    const configFile = path.join(dir, 'config.json');
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;

    const broken = (edit: (c: Record<string, unknown>) => void): string => {
      const copy = tempDir();
      for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
      const c = { ...config };
      edit(c);
      fs.writeFileSync(path.join(copy, 'config.json'), JSON.stringify(c));
      return copy;
    };
    await expect(loadPretrained(broken((c) => delete c['hidden_size']))).rejects.toMatchObject({ code: 'INVALID_CONFIG', location: { field: 'hidden_size' } });
    await expect(loadPretrained(broken((c) => (c['model_type'] = 'gpt2')))).rejects.toMatchObject({ code: 'INVALID_CONFIG', location: { field: 'model_type' } });
    await expect(loadPretrained(broken((c) => (c['num_attention_heads'] = 3)))).rejects.toMatchObject({ code: 'INVALID_CONFIG', location: { field: 'num_attention_heads' } });
    // A config whose vocabulary disagrees with the weights names the tensor.
    await expect(loadPretrained(broken((c) => (c['vocab_size'] = 9)))).rejects.toMatchObject({
      code: 'INVALID_CHECKPOINT',
      location: { field: 'bert.embeddings.word_embeddings.weight' },
    });
    const noWeights = broken(() => undefined);
    fs.rmSync(path.join(noWeights, 'model.safetensors'));
    await expect(loadPretrained(noWeights)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fs.writeFileSync(path.join(noWeights, 'pytorch_model.bin'), 'x');
    await expect(loadPretrained(noWeights)).rejects.toMatchObject({ code: 'INVALID_CHECKPOINT', location: { file: path.join(noWeights, 'pytorch_model.bin') } });
    const badJson = broken(() => undefined);
    fs.writeFileSync(path.join(badJson, 'config.json'), '{"model_type": ');
    await expect(loadPretrained(badJson)).rejects.toMatchObject({ code: 'INVALID_CONFIG', location: { file: path.join(badJson, 'config.json') } });
    // A truncated weight file.
    const truncated = broken(() => undefined);
    const weights = fs.readFileSync(path.join(truncated, 'model.safetensors'));
    fs.writeFileSync(path.join(truncated, 'model.safetensors'), weights.subarray(0, weights.length - 10));
    const error = await loadPretrained(truncated).catch((e: unknown) => e);
    expect(isCarlError(error, 'INVALID_CHECKPOINT')).toBe(true);
    expect((error as Error).message).toContain('model.safetensors');
    // Sharded checkpoints (model.safetensors.index.json) load.
    const sharded = broken(() => undefined);
    const all = readSafetensorsFile(path.join(sharded, 'model.safetensors')).tensors;
    const shardA = new Map<string, TensorToWrite>();
    const shardB = new Map<string, TensorToWrite>();
    const weightMap: Record<string, string> = {};
    [...all].forEach(([name, e], i) => {
      (i % 2 === 0 ? shardA : shardB).set(name, { shape: e.shape, values: e.read() as Float32Array });
      weightMap[name] = i % 2 === 0 ? 'model-00001-of-00002.safetensors' : 'model-00002-of-00002.safetensors';
    });
    fs.rmSync(path.join(sharded, 'model.safetensors'));
    writeSafetensorsFile(path.join(sharded, 'model-00001-of-00002.safetensors'), shardA);
    writeSafetensorsFile(path.join(sharded, 'model-00002-of-00002.safetensors'), shardB);
    fs.writeFileSync(path.join(sharded, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const fromShards = await loadPretrained(sharded);
    expect(fromShards.loadReport?.files.length).toBe(2);
    fromShards.dispose();
    encoder.dispose();
  });

  it('savePretrained refuses a head of another encoder', async () => {
    const tokenizer = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a']);
    const options = { config: { hiddenSize: 4, numHiddenLayers: 1, numAttentionHeads: 1, intermediateSize: 4, maxPositionEmbeddings: 8 }, tokenizer };
    const a = createEncoder(options);
    const b = createEncoder(options);
    const head = new MlmHead(b);
    await expect(savePretrained(a, tempDir(), { mlmHead: head })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', location: { field: 'mlmHead' } });
    head.dispose();
    a.dispose();
    b.dispose();
  });
}, ['wasm']);
