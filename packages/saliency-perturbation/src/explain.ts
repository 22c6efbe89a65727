import * as tf from '@tensorflow/tfjs-core';
import { CarlError, disposeInputs, toEncoderInputs } from '@carl/core';
import type { Encoder, EncoderOutput, ForwardOptions } from '@carl/core';
import { tokenSaliency, type SaliencyScore } from './saliency';

/** One token of a {@link SaliencyExplanation}. */
export interface ExplainedToken {
  /** The tokenizer's string for the id (sub-word markers such as `##` or `Ġ` kept). */
  readonly token: string;
  readonly id: number;
  /** Index in the tokenised sequence (special tokens included). */
  readonly position: number;
  /** Saliency under the chosen score; 0 for special tokens. */
  readonly score: number;
  /** `score` divided by the largest score of the sentence, in [0, 1]. */
  readonly normalized: number;
  /**
   * Signed `∂L/∂e_t · e_t`: > 0 when the token pushes the objective up, < 0 when it pulls it down
   * (first-order effect of removing the token, negated). 0 for special tokens.
   */
  readonly attribution: number;
  readonly special: boolean;
}

/** Which tokens drive an objective for one text. */
export interface SaliencyExplanation {
  readonly text: string;
  readonly tokens: readonly ExplainedToken[];
  readonly score: SaliencyScore;
  /** The objective's value for the batch the text was explained in. */
  readonly loss: number;
  /** Tokens cut from the end of the text to fit the encoder. */
  readonly truncated: number;
}

/** The objective to explain, e.g. a valence probe's prediction, given the encoder output. */
export type ExplainObjective = (output: EncoderOutput) => tf.Scalar;

/** Options of {@link explainSaliency}. */
export interface ExplainOptions {
  /** Default `grad-norm`. */
  readonly score?: SaliencyScore;
  /** Longest tokenisation. Default the encoder's `maxLength`. */
  readonly maxLength?: number;
  /** Default `{ training: false }`: explanations should not depend on a dropout draw. */
  readonly forwardOptions?: ForwardOptions;
}

/**
 * Explains which tokens of a text drive an objective (valence, arousal, a loss): tokenises, takes
 * the gradient of `objective` with respect to the token embeddings and returns every token with its
 * score and signed attribution. Pass an array to explain several texts in one batch; the objective
 * then sees the whole batch, so make it a sum over sentences (a mean only rescales each sentence).
 *
 * @example
 * ```ts
 * const valence = (out: EncoderOutput) => tf.sum(matMul(out.pooled, probeWeights));
 * const { tokens } = explainSaliency(encoder, 'I love this, but the ending was awful', valence);
 * tokens.filter((t) => !t.special).map((t) => `${t.token}:${t.attribution.toFixed(3)}`);
 * ```
 */
export function explainSaliency(encoder: Encoder, text: string, objective: ExplainObjective, options?: ExplainOptions): SaliencyExplanation;
export function explainSaliency(encoder: Encoder, texts: readonly string[], objective: ExplainObjective, options?: ExplainOptions): SaliencyExplanation[];
export function explainSaliency(
  encoder: Encoder,
  textOrTexts: string | readonly string[],
  objective: ExplainObjective,
  options: ExplainOptions = {},
): SaliencyExplanation | SaliencyExplanation[] {
  const single = typeof textOrTexts === 'string';
  const texts = single ? [textOrTexts] : textOrTexts;
  if (!Array.isArray(texts)) throw new CarlError('INVALID_ARGUMENT', 'expected a text or an array of texts', { field: 'text' });
  texts.forEach((t, i) => {
    if (typeof t !== 'string') throw new CarlError('INVALID_ARGUMENT', `text ${i} is not a string`, { field: `texts[${i}]` });
  });
  if (texts.length === 0) return [];
  const score = options.score ?? 'grad-norm';
  const batch = encoder.tokenizer.encodeBatch(texts, { maxLength: options.maxLength ?? encoder.maxLength });
  const inputs = toEncoderInputs(batch);
  try {
    const saliency = tokenSaliency({
      encoder,
      inputs,
      specialTokensMask: batch.specialTokensMask,
      loss: (out) => objective(out),
      score,
      forwardOptions: options.forwardOptions ?? { training: false },
      keepTensors: true,
    });
    const attribution = tf.tidy(() => tf.sum(tf.mul(saliency.gradient, saliency.embeddings), -1).arraySync() as number[][]);
    saliency.gradient.dispose();
    saliency.embeddings.dispose();
    const explanations = texts.map((text, i): SaliencyExplanation => {
      const scores = saliency.scores[i] as Float32Array;
      const candidates = saliency.candidates[i] as number[];
      const ids = batch.inputIds[i] as readonly number[];
      const attention = batch.attentionMask[i] as readonly number[];
      let max = 0;
      for (const s of scores) max = Math.max(max, s);
      const tokens: ExplainedToken[] = [];
      ids.forEach((id, position) => {
        if (attention[position] === 0) return; // padding is an artefact of batching, not part of the text
        const special = candidates[position] === 0;
        const s = scores[position] as number;
        tokens.push({
          token: encoder.tokenizer.idToToken(id),
          id,
          position,
          score: s,
          normalized: max > 0 ? s / max : 0,
          attribution: special ? 0 : ((attribution[i] as number[])[position] as number),
          special,
        });
      });
      return { text, tokens, score, loss: saliency.loss, truncated: batch.truncated[i] ?? 0 };
    });
    return single ? (explanations[0] as SaliencyExplanation) : explanations;
  } finally {
    disposeInputs(inputs);
  }
}
