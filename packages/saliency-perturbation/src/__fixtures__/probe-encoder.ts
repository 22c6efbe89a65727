import * as tf from '@tensorflow/tfjs-core';
import type { Encoder, EncoderInputs, EncoderOutput } from '@carl/core';
import { ToyTokenizer } from '@carl/core/testing';

/**
 * A hand-built encoder for saliency tests: no mixing between tokens, hidden_t = e_t ⊙ e_t (so
 * ∂hidden/∂e = 2e) and pooled = the sum of the real tokens' hidden states. With an embedding
 * table in which only one word has a non-zero first coordinate, a loss reading `pooled[:, 0]`
 * depends on that word alone.
 */
export function createProbeEncoder(words: readonly string[], table: (id: number, tokenizer: ToyTokenizer) => number[]): Encoder {
  const tokenizer = new ToyTokenizer(words);
  const rows = Array.from({ length: tokenizer.vocabSize }, (_, id) => table(id, tokenizer));
  const hidden = (rows[0] as number[]).length;
  const weight = tf.variable(tf.tensor2d(rows, [tokenizer.vocabSize, hidden]));
  const encoder: Encoder = {
    specificationVersion: 'v1',
    architecture: 'probe',
    hiddenSize: hidden,
    maxLength: 64,
    tokenizer,
    embedTokens: (ids) => tf.gather(weight as tf.Tensor, ids) as tf.Tensor3D,
    forwardFromEmbeddings: (e: tf.Tensor3D, inputs: EncoderInputs): EncoderOutput =>
      tf.tidy(() => {
        const mask = tf.expandDims(tf.cast(inputs.attentionMask, 'float32'), 2);
        const h = tf.mul(tf.square(e), mask) as tf.Tensor3D;
        return { hiddenStates: h, pooled: tf.sum(h, 1) as tf.Tensor2D };
      }),
    forward: (inputs) => tf.tidy(() => encoder.forwardFromEmbeddings(encoder.embedTokens(inputs.inputIds), inputs)),
    variables: () => new Map([['embeddings.word_embeddings.weight', weight]]),
    clone: () => {
      throw new Error('not needed in tests');
    },
    dispose: () => weight.dispose(),
  };
  return encoder;
}
