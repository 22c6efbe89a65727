import type { Architecture, EncoderConfig } from './config';

/** Names of the built-in shapes. */
export type PresetName = 'tiny' | 'mini' | 'bert-base' | 'roberta-base';

/** A preset: a config without the vocabulary size, which always comes from the tokenizer. */
export type Preset = Omit<EncoderConfig, 'vocabSize'> & { readonly referenceVocabSize?: number };

const common = {
  architecture: 'bert' as Architecture,
  hiddenAct: 'gelu' as const,
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  typeVocabSize: 2,
  layerNormEps: 1e-12,
  padTokenId: 0,
  initializerRange: 0.02,
  pooling: 'mean' as const,
};

/**
 * Built-in encoder shapes. `tiny` and `mini` train on a CPU in minutes (the project's benchmarks
 * pre-train them); `bert-base` and `roberta-base` are the paper's shapes (for users with a GPU or a
 * checkpoint). The vocabulary size is taken from the tokenizer when an encoder is created.
 *
 * | preset | layers | hidden | heads | FFN | positions |
 * | --- | --- | --- | --- | --- | --- |
 * | tiny | 2 | 128 | 4 | 512 | 512 |
 * | mini | 4 | 256 | 4 | 1024 | 512 |
 * | bert-base | 12 | 768 | 12 | 3072 | 512 |
 * | roberta-base | 12 | 768 | 12 | 3072 | 514 (512 usable) |
 *
 * @example
 * ```ts
 * const encoder = createEncoder({ preset: 'tiny', seed: 1 });
 * presets.tiny.hiddenSize; // 128
 * ```
 */
export const presets: Readonly<Record<PresetName, Preset>> = {
  tiny: { ...common, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 512, maxPositionEmbeddings: 512 },
  mini: { ...common, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 1024, maxPositionEmbeddings: 512 },
  'bert-base': {
    ...common,
    hiddenSize: 768,
    numHiddenLayers: 12,
    numAttentionHeads: 12,
    intermediateSize: 3072,
    maxPositionEmbeddings: 512,
    referenceVocabSize: 30522,
  },
  'roberta-base': {
    ...common,
    architecture: 'roberta',
    hiddenSize: 768,
    numHiddenLayers: 12,
    numAttentionHeads: 12,
    intermediateSize: 3072,
    maxPositionEmbeddings: 514,
    typeVocabSize: 1,
    layerNormEps: 1e-5,
    padTokenId: 1,
    referenceVocabSize: 50265,
  },
};
