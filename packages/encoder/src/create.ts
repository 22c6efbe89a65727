import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import type { Tokenizer } from '@carl/core';
import { maxSequenceLength, validateConfig, type Architecture, type EncoderConfig, type Pooling } from './config';
import { initialParameters, TransformerEncoder, type RecomputeMode } from './model';
import { presets, type PresetName } from './presets';
import { TextTokenizer } from './tokenizer-base';
import { WordPieceTokenizer } from './wordpiece';

/** Options of {@link createEncoder}. */
export interface CreateEncoderOptions {
  /** A built-in shape. Default `tiny` (unless a full `config` is given). */
  readonly preset?: PresetName;
  /** Fields overriding the preset (any `EncoderConfig` field; `vocabSize` defaults to the tokenizer's). */
  readonly config?: Partial<EncoderConfig>;
  /** Default: the bundled WordPiece tokenizer (see {@link defaultTokenizer}). */
  readonly tokenizer?: Tokenizer;
  /** Shorthand for `config.architecture`. */
  readonly architecture?: Architecture;
  /** Shorthand for `config.pooling`. Default `mean`. */
  readonly pooling?: Pooling;
  /** Create BERT's pooler (`pooler.dense.*`). Default true (so saved models are complete `BertModel`s). */
  readonly withPooler?: boolean;
  /** Seed of the initial weights and of the dropout stream. Default 0. */
  readonly seed?: number;
  /** Activation recomputation (see `TransformerEncoder.setRecompute`). Default `none`. */
  readonly recompute?: RecomputeMode;
}

let bundled: WordPieceTokenizer | undefined;

/** Where the bundled tokenizer lives (assets/ beside src/ and dist/). */
export const DEFAULT_TOKENIZER_DIR = path.resolve(__dirname, '..', 'assets', 'wordpiece-8k');

/**
 * The tokenizer bundled with the package: an uncased WordPiece vocabulary of 8,000 tokens trained
 * with {@link trainWordPiece} on the training splits of EmoBank and GoEmotions (see
 * `assets/wordpiece-8k/README.md` for the exact command). Used by the `tiny` and `mini` presets
 * when no tokenizer is given.
 *
 * @example
 * ```ts
 * defaultTokenizer().tokenize('I am thrilled!'); // ['i', 'am', 'thrilled', '!']
 * ```
 */
export function defaultTokenizer(): WordPieceTokenizer {
  if (bundled === undefined) {
    const file = path.join(DEFAULT_TOKENIZER_DIR, 'vocab.txt');
    if (!fs.existsSync(file)) throw new CarlError('NOT_FOUND', 'the bundled tokenizer is missing from the package', { file });
    bundled = WordPieceTokenizer.fromFile(file);
  }
  return bundled;
}

/**
 * Resolves a preset and overrides into a full config for a tokenizer (vocabulary size and padding
 * id come from the tokenizer).
 *
 * @example
 * ```ts
 * resolveConfig({ preset: 'mini', pooling: 'cls' }, tokenizer).hiddenSize; // 256
 * ```
 */
export function resolveConfig(options: CreateEncoderOptions, tokenizer: Tokenizer): EncoderConfig {
  const base = presets[options.preset ?? 'tiny'];
  if (base === undefined) {
    throw new CarlError('INVALID_CONFIG', `unknown preset ${JSON.stringify(options.preset)} (known: ${Object.keys(presets).join(', ')})`, { field: 'preset' });
  }
  const { referenceVocabSize: _unused, ...shape } = base;
  const overrides = options.config ?? {};
  const config: EncoderConfig = {
    ...shape,
    vocabSize: tokenizer.vocabSize,
    padTokenId: tokenizer.specialTokens.pad,
    ...overrides,
    ...(options.architecture === undefined ? {} : { architecture: options.architecture }),
    ...(options.pooling === undefined ? {} : { pooling: options.pooling }),
  };
  // RoBERTa positions start after the padding id: keep the preset's usable length.
  const adjusted =
    config.architecture === 'roberta' && overrides.maxPositionEmbeddings === undefined && shape.architecture !== 'roberta'
      ? { ...config, maxPositionEmbeddings: shape.maxPositionEmbeddings + config.padTokenId + 1 }
      : config;
  validateConfig(adjusted);
  if (adjusted.vocabSize < tokenizer.vocabSize) {
    throw new CarlError('INVALID_CONFIG', `vocabSize ${adjusted.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize}`, { field: 'vocab_size' });
  }
  return adjusted;
}

/**
 * A freshly initialised BERT or RoBERTa encoder of a preset shape (initialised as transformers
 * does, seeded). Pre-train it with `pretrainMLM`, or train it with CARL directly.
 *
 * @example
 * ```ts
 * const encoder = createEncoder({ preset: 'tiny', seed: 42 });                    // bundled tokenizer
 * const roberta = createEncoder({ preset: 'mini', architecture: 'roberta', tokenizer: bpe, seed: 1 });
 * ```
 */
export function createEncoder(options: CreateEncoderOptions = {}): TransformerEncoder {
  const given = options.tokenizer ?? defaultTokenizer();
  const config = resolveConfig(options, given);
  const maxLength = maxSequenceLength(config);
  const tokenizer = given instanceof TextTokenizer && given.modelMaxLength > maxLength ? given.withModelMaxLength(maxLength) : given;
  const withPooler = options.withPooler ?? true;
  if (config.pooling === 'pooler' && !withPooler) throw new CarlError('INVALID_CONFIG', 'pooling "pooler" needs withPooler', { field: 'withPooler' });
  const seed = options.seed ?? 0;
  const values = initialParameters(config, withPooler, seed);
  // A variable shares its initial tensor's buffer; disposing the tensor leaves the variable the only owner.
  const weights = new Map([...values].map(([name, t]) => [name, tf.variable(t, true)] as const));
  for (const t of values.values()) t.dispose();
  return new TransformerEncoder(config, tokenizer, weights, { seed, ...(options.recompute === undefined ? {} : { recompute: options.recompute }) });
}
