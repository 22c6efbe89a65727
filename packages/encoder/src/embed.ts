import * as tf from '@tensorflow/tfjs-core';
import { CarlError, disposeInputs, toEncoderInputs, type Encoder } from '@carl/core';

/** Options of {@link embedTexts}. */
export interface EmbedTextsOptions {
  /** Texts per forward pass. Default 64. */
  readonly batchSize?: number;
  /** Tokens per text (truncating). Default the encoder's `maxLength`. */
  readonly maxLength?: number;
  /** L2-normalise each embedding. Default false. */
  readonly normalize?: boolean;
  /** Called after each batch with the number of texts done (for progress bars). */
  readonly onBatch?: (done: number) => void;
}

/**
 * Sentence embeddings (the encoder's `pooled` output) of many texts, dropout off, in input order. Texts are
 * sorted by length and batched so each batch pads little (padding is wasted compute). Works with any
 * `Encoder` of `@carl/core`: the one embedding loop of CARL-TS (`TransformerEncoder.embed` and the trainer use it).
 *
 * @example
 * ```ts
 * const [happy, sad] = embedTexts(encoder, ['so happy today', 'this is awful']);
 * happy.length; // encoder.hiddenSize
 * ```
 */
export function embedTexts(encoder: Encoder, texts: readonly string[], options: EmbedTextsOptions = {}): Float32Array[] {
  const batchSize = options.batchSize ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CarlError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new CarlError('INVALID_ARGUMENT', `text ${i} is not a string`, { field: `texts[${i}]` });
  });
  const maxLength = options.maxLength ?? encoder.maxLength;
  // Character length is a cheap, good proxy for token length; ties keep input order.
  const order = texts.map((_, i) => i).sort((a, b) => (texts[a] as string).length - (texts[b] as string).length || a - b);
  const out = new Array<Float32Array>(texts.length);
  for (let start = 0; start < order.length; start += batchSize) {
    const indices = order.slice(start, start + batchSize);
    const inputs = toEncoderInputs(encoder.tokenizer.encodeBatch(indices.map((i) => texts[i] as string), { maxLength }));
    try {
      const flat = tf.tidy(() => {
        const { pooled } = encoder.forward(inputs, { training: false });
        const rows = options.normalize === true ? tf.div(pooled, tf.maximum(tf.norm(pooled, 2, 1, true), 1e-12)) : pooled;
        return rows.dataSync() as Float32Array;
      });
      const width = flat.length / indices.length;
      indices.forEach((i, row) => (out[i] = flat.slice(row * width, (row + 1) * width)));
    } finally {
      disposeInputs(inputs);
    }
    options.onBatch?.(Math.min(order.length, start + batchSize));
  }
  return out;
}
