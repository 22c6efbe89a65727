import * as tf from '@tensorflow/tfjs-core';
import { resolveCandidates, similarityLogits, validMask } from './candidates';
import { discreteCandidateLabels, toDiscreteLabels } from './labels';
import { normalizeTargets, runLoss, targetCrossEntropy } from './targets';
import type { CandidateOptions, ContrastiveLossResult, DiscreteLabels } from './types';

/** Default temperature of the supervised losses (SupCon's and MoCo's reference code use 0.07). */
export const SUPERVISED_TEMPERATURE = 0.07;

/** Options of {@link supCon}. */
export interface SupConOptions extends CandidateOptions {
  /** Class of each query. */
  readonly queryLabels: DiscreteLabels;
  /** Class of each in-batch key (omit when `keys` is omitted: the query labels are used). */
  readonly keyLabels?: DiscreteLabels;
  /** Class of each extra key (required when `extraKeys` has rows). */
  readonly extraKeyLabels?: DiscreteLabels;
}

/**
 * Supervised contrastive loss (Khosla et al. 2020, the "L_out" form): for anchor `i`, every valid
 * candidate with the same class is a positive, and
 * `ℓ_i = −(1/|P(i)|) Σ_{p∈P(i)} log softmax_j(q_i·c_j / τ)[p]` over the non-excluded candidates.
 * An anchor with no positive is skipped and counted (never NaN, never a silent 0).
 *
 * @param options embeddings, class labels for queries / keys / extra keys, temperature (default 0.07).
 * @example
 * ```ts
 * const { loss, skippedAnchors } = supCon({ queries: z, queryLabels: ['joy', 'anger', 'joy'] });
 * ```
 */
export function supCon(options: SupConOptions): ContrastiveLossResult {
  const r = resolveCandidates(options, SUPERVISED_TEMPERATURE);
  const queryLabels = toDiscreteLabels(options.queryLabels, 'queryLabels', r.n);
  const labels = discreteCandidateLabels(r, queryLabels, options.keyLabels, options.extraKeyLabels);
  const positive = new Float32Array(r.n * r.c);
  for (let i = 0; i < r.n; i++) {
    for (let j = 0; j < r.c; j++) if (labels[j] === queryLabels[i]) positive[i * r.c + j] = 1;
  }
  return runLoss(() => {
    const valid = validMask(r);
    return targetCrossEntropy(similarityLogits(options, r), valid, normalizeTargets(tf.tensor2d(positive, [r.n, r.c]), valid));
  });
}
