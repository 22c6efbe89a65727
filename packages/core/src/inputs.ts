import * as tf from '@tensorflow/tfjs-core';
import type { EncoderInputs, TokenizedBatch } from './encoder';

/**
 * Turns a tokenised batch into the tensors an {@link Encoder} consumes (the caller disposes them).
 *
 * @example
 * ```ts
 * const inputs = toEncoderInputs(encoder.tokenizer.encodeBatch(['so glad', 'meh']));
 * const out = encoder.forward(inputs);
 * ```
 */
export function toEncoderInputs(batch: TokenizedBatch): EncoderInputs {
  const rows = batch.inputIds.length;
  const cols = rows === 0 ? 0 : (batch.inputIds[0] as readonly number[]).length;
  const flat = (m: readonly (readonly number[])[]): Int32Array => {
    const out = new Int32Array(rows * cols);
    m.forEach((row, i) => out.set(row, i * cols));
    return out;
  };
  const inputs: EncoderInputs = {
    inputIds: tf.tensor2d(flat(batch.inputIds), [rows, cols], 'int32'),
    attentionMask: tf.tensor2d(flat(batch.attentionMask), [rows, cols], 'int32'),
  };
  return batch.tokenTypeIds === undefined ? inputs : { ...inputs, tokenTypeIds: tf.tensor2d(flat(batch.tokenTypeIds), [rows, cols], 'int32') };
}

/**
 * Disposes every tensor of an {@link EncoderInputs}.
 *
 * @example
 * ```ts
 * disposeInputs(inputs);
 * ```
 */
export function disposeInputs(inputs: EncoderInputs): void {
  inputs.inputIds.dispose();
  inputs.attentionMask.dispose();
  inputs.tokenTypeIds?.dispose();
}
