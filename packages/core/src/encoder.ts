import type * as tf from '@tensorflow/tfjs-core';
import type { Random } from './random';

/** Ids of the special tokens an encoder's tokenizer uses (absent ones are `undefined`). */
export interface SpecialTokenIds {
  readonly pad: number;
  readonly unk?: number;
  /** `[CLS]` for BERT, `<s>` for RoBERTa. */
  readonly cls?: number;
  /** `[SEP]` for BERT, `</s>` for RoBERTa. */
  readonly sep?: number;
  /** `[MASK]` / `<mask>`. */
  readonly mask?: number;
}

/**
 * Tokenised, padded text as plain arrays (row-major, `batchSize × sequenceLength`).
 * Plain data so it can be built, sliced and tested without tensors.
 */
export interface TokenizedBatch {
  readonly inputIds: readonly (readonly number[])[];
  /** 1 for real tokens, 0 for padding. */
  readonly attentionMask: readonly (readonly number[])[];
  /** 1 where the token is a special token ([CLS], [SEP], …) or padding; saliency never selects those. */
  readonly specialTokensMask: readonly (readonly number[])[];
  readonly tokenTypeIds?: readonly (readonly number[])[];
  /** How many tokens were cut from each text by truncation (0 when it fit). */
  readonly truncated: readonly number[];
}

/**
 * A row-major `[batch][seq]` matrix of plain numbers (ids, 0/1 masks, labels), as a {@link TokenizedBatch}
 * carries them: per-sentence bookkeeping is simpler and faster off the tensor engine.
 */
export type TokenMatrix = readonly (readonly number[])[];

/**
 * Proposes replacement ids for token perturbation: `@carl/encoder`'s `MlmHead.generator()` makes one,
 * `@carl/saliency-perturbation`'s `generator` strategy calls it. It gets the batch's ids (with the positions
 * to replace already masked when the caller masks them, as in ELECTRA), the positions per sentence and the
 * seeded stream to sample with, and returns one id per position, in the same order, never a special token.
 */
export type TokenGenerator = (inputIds: TokenMatrix, positions: TokenMatrix, rng: Random) => TokenMatrix;

/** Options for {@link Tokenizer.encodeBatch}. */
export interface EncodeOptions {
  /** Maximum tokens per text including special tokens; longer texts are truncated (and counted). */
  readonly maxLength?: number;
  /** `longest` pads to the longest text in the batch, `max_length` to `maxLength`. Default `longest`. */
  readonly padding?: 'longest' | 'max_length';
}

/** What losses, saliency and the trainer need from a tokenizer. */
export interface Tokenizer {
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokenIds;
  encodeBatch(texts: readonly string[], options?: EncodeOptions): TokenizedBatch;
  /** The token string of an id (for explanations). */
  idToToken(id: number): string;
}

/** Tensors for one batch, as the encoder consumes them. */
export interface EncoderInputs {
  /** int32 `[batch, seq]`. */
  readonly inputIds: tf.Tensor2D;
  /** float32 or int32 `[batch, seq]`, 1 = real token, 0 = padding. */
  readonly attentionMask: tf.Tensor2D;
  /** int32 `[batch, seq]`; zeros when absent. */
  readonly tokenTypeIds?: tf.Tensor2D;
}

/** Options of a forward pass. */
export interface ForwardOptions {
  /** Dropout on (training) or off (evaluation). Default false. */
  readonly training?: boolean;
  /** Seed for this pass's dropout masks, so a step is reproducible. */
  readonly seed?: number;
  /**
   * Row of a larger batch that this call's first row is (default 0): row i then draws the dropout masks of row
   * `rowOffset + i` of a call on the whole batch with the same seed and padded length, so a step split into
   * micro-batches drops the same units as the full batch.
   */
  readonly rowOffset?: number;
}

/** The result of a forward pass (a type alias, so it can be returned from `tf.tidy`). */
export type EncoderOutput = {
  /** float32 `[batch, seq, hidden]`: the last layer. */
  readonly hiddenStates: tf.Tensor3D;
  /** float32 `[batch, hidden]`: the sentence embedding (the encoder's pooling: [CLS] or masked mean). */
  readonly pooled: tf.Tensor2D;
};

/**
 * The contract every text encoder fulfils (BERT, RoBERTa, a user's own model).
 * It holds only what losses, saliency and the trainer need. The forward pass is split in two so
 * that saliency can take gradients with respect to the token embeddings:
 * `embedTokens` (ids → word embeddings) and `forwardFromEmbeddings` (word embeddings → outputs;
 * position and type embeddings are added inside).
 *
 * @example
 * ```ts
 * const batch = encoder.tokenizer.encodeBatch(['I am happy']);
 * const inputs = toEncoderInputs(batch);
 * const { pooled } = encoder.forward(inputs, { training: false });
 * ```
 */
export interface Encoder {
  /** Discriminant of this contract's version, so adapters can be matched exhaustively. */
  readonly specificationVersion: 'v1';
  /** A short architecture name, e.g. `bert` or `roberta`. */
  readonly architecture: string;
  readonly hiddenSize: number;
  /** Longest sequence (in tokens) the position embeddings allow. */
  readonly maxLength: number;
  readonly tokenizer: Tokenizer;
  /** ids → word embeddings `[batch, seq, hidden]` (differentiable with respect to the embedding table). */
  embedTokens(inputIds: tf.Tensor2D): tf.Tensor3D;
  /** word embeddings → hidden states and pooled sentence embedding. */
  forwardFromEmbeddings(embeddings: tf.Tensor3D, inputs: EncoderInputs, options?: ForwardOptions): EncoderOutput;
  /** `forwardFromEmbeddings(embedTokens(ids), …)`. */
  forward(inputs: EncoderInputs, options?: ForwardOptions): EncoderOutput;
  /** Every trainable variable by its (Hugging Face) parameter name. */
  variables(): ReadonlyMap<string, tf.Variable>;
  /** A copy with its own variables holding the same values (e.g. a momentum target). */
  clone(options?: { trainable?: boolean }): Encoder;
  /** Frees every variable. */
  dispose(): void;
}
