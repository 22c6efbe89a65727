import { CarlError } from '@carl/core';

/** The encoder families this package implements. */
export type Architecture = 'bert' | 'roberta';

/**
 * Feed-forward activations. `gelu` is the exact erf form (BERT, RoBERTa); `gelu_new` /
 * `gelu_pytorch_tanh` the tanh approximation some checkpoints name.
 */
export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';

/**
 * How the sentence embedding (`pooled`) is formed:
 * - `mean`: masked mean of the last hidden states over real tokens (specials included, padding excluded);
 * - `cls`: the last hidden state of the first token;
 * - `pooler`: BERT's pooler, `tanh(dense(cls))` (needs `pooler.dense.*`).
 */
export type Pooling = 'mean' | 'cls' | 'pooler';

/** The shape and hyper-parameters of an encoder (a Hugging Face `config.json` in camelCase). */
export interface EncoderConfig {
  readonly architecture: Architecture;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly hiddenAct: HiddenAct;
  readonly hiddenDropoutProb: number;
  readonly attentionProbsDropoutProb: number;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  /** Padding id; RoBERTa's positions start after it (`padTokenId + 1`). */
  readonly padTokenId: number;
  /** Standard deviation of the normal initialisation of weights. */
  readonly initializerRange: number;
  /** Sentence-embedding pooling (not an HF field; stored as `carl_pooling`). Default `mean`. */
  readonly pooling: Pooling;
}

const HIDDEN_ACTS: readonly HiddenAct[] = ['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];
const POOLINGS: readonly Pooling[] = ['mean', 'cls', 'pooler'];

/**
 * Longest input (in tokens) the position table allows: RoBERTa spends `padTokenId + 1` rows
 * before the first real position.
 *
 * @example
 * ```ts
 * maxSequenceLength({ ...config, architecture: 'roberta', maxPositionEmbeddings: 514, padTokenId: 1 }); // 512
 * ```
 */
export function maxSequenceLength(config: EncoderConfig): number {
  return config.architecture === 'roberta' ? config.maxPositionEmbeddings - config.padTokenId - 1 : config.maxPositionEmbeddings;
}

/**
 * Parses and checks a Hugging Face `config.json` object. The shape fields (`vocab_size`,
 * `hidden_size`, `num_hidden_layers`, `num_attention_heads`, `intermediate_size`,
 * `max_position_embeddings`) and `model_type` are required — a silent default would only fail
 * later against the weights; the rest take transformers' defaults.
 *
 * @param json the parsed file
 * @param file its path, for error messages
 * @example
 * ```ts
 * const config = parseHfConfig(JSON.parse(fs.readFileSync('ckpt/config.json', 'utf8')), 'ckpt/config.json');
 * ```
 */
export function parseHfConfig(json: unknown, file = 'config.json'): EncoderConfig {
  const fail = (field: string, message: string): never => {
    throw new CarlError('INVALID_CONFIG', message, { file, field });
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('(root)', 'config is not a JSON object');
  const raw = json as Record<string, unknown>;
  const architecture = architectureOf(raw, fail);
  const int = (field: string, fallback?: number, min = 1): number => {
    const value = raw[field] ?? fallback;
    if (value === undefined) return fail(field, `required field "${field}" is missing`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
      return fail(field, `expected an integer ≥ ${min}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const prob = (field: string, fallback: number): number => {
    const value = raw[field] ?? fallback;
    if (typeof value !== 'number' || !(value >= 0 && value < 1)) return fail(field, `expected a probability in [0, 1), got ${JSON.stringify(value)}`);
    return value;
  };
  const positive = (field: string, fallback: number): number => {
    const value = raw[field] ?? fallback;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) return fail(field, `expected a positive number, got ${JSON.stringify(value)}`);
    return value;
  };
  const hiddenAct = (raw['hidden_act'] ?? 'gelu') as HiddenAct;
  if (!HIDDEN_ACTS.includes(hiddenAct)) fail('hidden_act', `unsupported activation ${JSON.stringify(raw['hidden_act'])} (supported: ${HIDDEN_ACTS.join(', ')})`);
  const positionType = raw['position_embedding_type'] ?? 'absolute';
  if (positionType !== 'absolute') fail('position_embedding_type', `only absolute position embeddings are supported, got ${JSON.stringify(positionType)}`);
  if (raw['is_decoder'] === true) fail('is_decoder', 'decoder (causal) configurations are not supported');
  const pooling = (raw['carl_pooling'] ?? 'mean') as Pooling;
  if (!POOLINGS.includes(pooling)) fail('carl_pooling', `expected one of ${POOLINGS.join(', ')}, got ${JSON.stringify(raw['carl_pooling'])}`);
  const config: EncoderConfig = {
    architecture,
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numHiddenLayers: int('num_hidden_layers', undefined, 0),
    numAttentionHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    hiddenAct,
    hiddenDropoutProb: prob('hidden_dropout_prob', 0.1),
    attentionProbsDropoutProb: prob('attention_probs_dropout_prob', 0.1),
    maxPositionEmbeddings: int('max_position_embeddings'),
    typeVocabSize: int('type_vocab_size', architecture === 'roberta' ? 1 : 2),
    layerNormEps: positive('layer_norm_eps', 1e-12),
    padTokenId: int('pad_token_id', architecture === 'roberta' ? 1 : 0, 0),
    initializerRange: positive('initializer_range', 0.02),
    pooling,
  };
  validateConfig(config, file);
  return config;
}

function architectureOf(raw: Record<string, unknown>, fail: (field: string, message: string) => never): Architecture {
  const modelType = raw['model_type'];
  if (modelType === undefined) return fail('model_type', 'required field "model_type" is missing (expected "bert" or "roberta")');
  // XLM-R and CamemBERT are RoBERTa's architecture under other names.
  if (modelType === 'bert') return 'bert';
  if (modelType === 'roberta' || modelType === 'xlm-roberta' || modelType === 'camembert') return 'roberta';
  return fail('model_type', `unsupported model_type ${JSON.stringify(modelType)} (supported: bert, roberta, xlm-roberta, camembert)`);
}

/**
 * Checks the cross-field constraints of a config (heads divide the hidden size, the padding id
 * is inside the vocabulary, RoBERTa has room for positions after the padding id).
 *
 * @example
 * ```ts
 * validateConfig({ ...config, numAttentionHeads: 5 }); // throws INVALID_CONFIG [num_attention_heads]
 * ```
 */
export function validateConfig(config: EncoderConfig, file?: string): void {
  const fail = (field: string, message: string): never => {
    throw new CarlError('INVALID_CONFIG', message, file === undefined ? { field } : { file, field });
  };
  const positiveInt = (value: number, field: string, min = 1): void => {
    if (!Number.isInteger(value) || value < min) fail(field, `expected an integer ≥ ${min}, got ${value}`);
  };
  positiveInt(config.vocabSize, 'vocab_size');
  positiveInt(config.hiddenSize, 'hidden_size');
  positiveInt(config.numHiddenLayers, 'num_hidden_layers', 0);
  positiveInt(config.numAttentionHeads, 'num_attention_heads');
  positiveInt(config.intermediateSize, 'intermediate_size');
  positiveInt(config.maxPositionEmbeddings, 'max_position_embeddings');
  positiveInt(config.typeVocabSize, 'type_vocab_size');
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    fail('num_attention_heads', `hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`);
  }
  if (!Number.isInteger(config.padTokenId) || config.padTokenId < 0 || config.padTokenId >= config.vocabSize) {
    fail('pad_token_id', `pad_token_id ${config.padTokenId} is outside the vocabulary of ${config.vocabSize}`);
  }
  if (maxSequenceLength(config) < 1) {
    fail('max_position_embeddings', `RoBERTa needs max_position_embeddings > pad_token_id + 1 (${config.padTokenId + 1}), got ${config.maxPositionEmbeddings}`);
  }
  if (!HIDDEN_ACTS.includes(config.hiddenAct)) fail('hidden_act', `unsupported activation ${config.hiddenAct}`);
  if (!POOLINGS.includes(config.pooling)) fail('carl_pooling', `unsupported pooling ${config.pooling}`);
}

/**
 * The Hugging Face `config.json` object for a config (what transformers' `BertConfig` /
 * `RobertaConfig` read), plus `carl_pooling`.
 *
 * @param architectures the `architectures` entry, e.g. `['BertForMaskedLM']` when an MLM head is saved
 * @example
 * ```ts
 * fs.writeFileSync('out/config.json', JSON.stringify(toHfConfig(encoder.config), null, 2));
 * ```
 */
export function toHfConfig(config: EncoderConfig, architectures?: readonly string[]): Record<string, unknown> {
  const roberta = config.architecture === 'roberta';
  return {
    architectures: architectures ?? [roberta ? 'RobertaModel' : 'BertModel'],
    model_type: config.architecture,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.hiddenAct,
    hidden_dropout_prob: config.hiddenDropoutProb,
    attention_probs_dropout_prob: config.attentionProbsDropoutProb,
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    initializer_range: config.initializerRange,
    pad_token_id: config.padTokenId,
    ...(roberta ? { bos_token_id: 0, eos_token_id: 2 } : {}),
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
    carl_pooling: config.pooling,
  };
}
