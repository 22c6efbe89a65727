import * as tf from '@tensorflow/tfjs-core';
import { disposeInputs, toEncoderInputs } from '@carl/core';
import { describeWithBackends } from '@carl/core/testing';
import { maxSequenceLength, parseHfConfig, toHfConfig } from './config';
import { createEncoder, defaultTokenizer, resolveConfig } from './create';
import { parameterShapes } from './model';
import { presets } from './presets';
import { WordPieceTokenizer } from './wordpiece';

const count = (shapes: Map<string, number[]>): number => [...shapes.values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);

describe('presets and configs', () => {
  it('bert-base and roberta-base have the parameter counts of transformers’ BertModel / RobertaModel', () => {
    // bert-base-uncased (vocab 30522): 109,482,240; roberta-base (vocab 50265): 124,645,632 — as reported by
    // sum(p.numel() for p in AutoModel.from_pretrained(...).parameters()).
    expect(count(parameterShapes({ ...presets['bert-base'], vocabSize: 30522 }, true))).toBe(109_482_240);
    expect(count(parameterShapes({ ...presets['roberta-base'], vocabSize: 50265 }, true))).toBe(124_645_632);
    expect(maxSequenceLength({ ...presets['roberta-base'], vocabSize: 50265 })).toBe(512);
  });

  it('tiny and mini have the documented shapes', () => {
    expect(presets.tiny).toMatchObject({ numHiddenLayers: 2, hiddenSize: 128, numAttentionHeads: 4, intermediateSize: 512, pooling: 'mean' });
    expect(presets.mini).toMatchObject({ numHiddenLayers: 4, hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024 });
  });

  it('parseHfConfig reads a transformers config, applying its defaults, and toHfConfig writes it back', () => {
    const config = parseHfConfig({
      model_type: 'roberta',
      vocab_size: 100,
      hidden_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 32,
      max_position_embeddings: 34,
    });
    expect(config).toMatchObject({ architecture: 'roberta', padTokenId: 1, typeVocabSize: 1, hiddenAct: 'gelu', layerNormEps: 1e-12, pooling: 'mean' });
    expect(parseHfConfig(toHfConfig(config))).toEqual(config);
    expect(parseHfConfig({ ...toHfConfig(config), model_type: 'xlm-roberta' }).architecture).toBe('roberta');
  });

  it.each([
    ['vocab_size', (c: Record<string, unknown>) => delete c['vocab_size'], /required field "vocab_size" is missing/],
    ['model_type', (c: Record<string, unknown>) => (c['model_type'] = 'distilbert'), /unsupported model_type/],
    ['hidden_act', (c: Record<string, unknown>) => (c['hidden_act'] = 'swish'), /unsupported activation/],
    ['hidden_size', (c: Record<string, unknown>) => (c['hidden_size'] = 16.5), /integer/],
    ['num_attention_heads', (c: Record<string, unknown>) => (c['num_attention_heads'] = 5), /not a multiple/],
    ['position_embedding_type', (c: Record<string, unknown>) => (c['position_embedding_type'] = 'relative_key'), /absolute/],
    ['hidden_dropout_prob', (c: Record<string, unknown>) => (c['hidden_dropout_prob'] = 1.5), /probability/],
    ['pad_token_id', (c: Record<string, unknown>) => (c['pad_token_id'] = 500), /outside the vocabulary/],
  ])('rejects a config with a bad %s (INVALID_CONFIG naming file and field)', (field, edit, message) => {
    const raw: Record<string, unknown> = { model_type: 'bert', vocab_size: 100, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 8, max_position_embeddings: 8 };
    edit(raw);
    expect(() => parseHfConfig(raw, 'ckpt/config.json')).toThrow(message);
    expect(() => parseHfConfig(raw, 'ckpt/config.json')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', location: { file: 'ckpt/config.json', field } }));
  });
});

describeWithBackends('createEncoder', () => {
  it('the tiny preset with the bundled 8k tokenizer encodes text end to end', () => {
    const encoder = createEncoder({ preset: 'tiny', seed: 7 });
    expect(encoder.config).toMatchObject({ vocabSize: 8000, hiddenSize: 128, numHiddenLayers: 2, padTokenId: 0, maxPositionEmbeddings: 512 });
    expect(encoder.tokenizer).toBe(defaultTokenizer());
    const inputs = toEncoderInputs(encoder.tokenizer.encodeBatch(['I am thrilled!', 'meh']));
    const { pooled, hiddenStates } = encoder.forward(inputs);
    expect(pooled.shape).toEqual([2, 128]);
    expect(hiddenStates.shape[0]).toBe(2);
    tf.dispose([pooled, hiddenStates]);
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('takes the vocabulary size and padding id from the tokenizer, and the usable length from the preset', () => {
    const tokenizer = new WordPieceTokenizer(['<s>', '[PAD]', '</s>', '[UNK]', '[MASK]', 'x'], { clsToken: '<s>', sepToken: '</s>', modelMaxLength: 4096 });
    const config = resolveConfig({ preset: 'tiny', architecture: 'roberta' }, tokenizer);
    expect(config).toMatchObject({ vocabSize: 6, padTokenId: 1, architecture: 'roberta', maxPositionEmbeddings: 514 });
    expect(maxSequenceLength(config)).toBe(512);
    const encoder = createEncoder({ preset: 'tiny', architecture: 'roberta', tokenizer, config: { numHiddenLayers: 1 } });
    expect((encoder.tokenizer as WordPieceTokenizer).modelMaxLength).toBe(512); // capped to what the positions allow
    expect(encoder.variables().size).toBe(5 + 16 + 2);
    encoder.dispose();
    expect(() => resolveConfig({ preset: 'huge' as 'tiny' }, tokenizer)).toThrow(expect.objectContaining({ location: { field: 'preset' } }));
    expect(() => resolveConfig({ config: { vocabSize: 3 } }, tokenizer)).toThrow(/smaller than the tokenizer/);
    expect(() => createEncoder({ tokenizer, pooling: 'pooler', withPooler: false })).toThrow(expect.objectContaining({ location: { field: 'withPooler' } }));
  });
}, ['wasm']);
