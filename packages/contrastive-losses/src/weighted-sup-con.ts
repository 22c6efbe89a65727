import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import { checkPositive, resolveCandidates, similarityLogits, validMask, type ResolvedCandidates } from './candidates';
import { continuousLabels, labelDistances } from './labels';
import { SUPERVISED_TEMPERATURE } from './sup-con';
import { checkLabelMatrix, normalizeTargets, runLoss, targetCrossEntropy } from './targets';
import type { CandidateOptions, ContinuousLabels, ContrastiveLossResult, LabelDistanceOptions, SimilaritySource } from './types';

/** Default kernel bandwidth σ on VA in [−1, 1]²: with the 0.5 threshold, positives lie within ≈ 0.29. */
export const WEIGHTED_SUPCON_BANDWIDTH = 0.25;

/** Options of {@link weightedSupCon}. */
export type WeightedSupConOptions = CandidateOptions &
  SimilaritySource & {
    /** Candidates with similarity ≥ threshold are positives. Default 0.5. */
    readonly threshold?: number;
    /** Positives weighted by their similarity (default) or all alike (`binary`, SupCon with a radius). */
    readonly weighting?: 'similarity' | 'binary';
    /** σ of the Gaussian kernel on raw labels. Default 0.25. */
    readonly bandwidth?: number;
    /** Distance on raw labels. Default L2. */
    readonly labelDistance?: LabelDistanceOptions;
  };

/**
 * Thresholded, weighted SupCon: the positives of anchor `i` are the valid candidates whose label
 * similarity `s_ij` reaches `threshold`, and
 * `ℓ_i = −Σ_{p∈P(i)} s_ip log p_ip / Σ_{p∈P(i)} s_ip` (`s = 1` with `weighting: 'binary'`), where
 * `p_ij = softmax_j(q_i·c_j / τ)` over every valid candidate. Near-identical affect pairs thus attract
 * in proportion to their closeness and far ones only repel. Anchors with no positive are skipped and counted.
 *
 * @param options embeddings, similarities or labels, threshold (0.5), temperature (0.07).
 * @example
 * ```ts
 * const { loss } = weightedSupCon({ queries, keys, queryLabels: va, keyLabels: va, threshold: 0.5 });
 * ```
 */
export function weightedSupCon(options: WeightedSupConOptions): ContrastiveLossResult {
  if ((options.labelSimilarity === undefined) === (options.queryLabels === undefined)) {
    throw new CarlError('INVALID_ARGUMENT', 'give exactly one of labelSimilarity or queryLabels', { field: 'labelSimilarity' });
  }
  const r = resolveCandidates(options, SUPERVISED_TEMPERATURE);
  const threshold = options.threshold ?? 0.5;
  const binary = (options.weighting ?? 'similarity') === 'binary';
  if (!Number.isFinite(threshold) || (!binary && threshold < 0)) {
    throw new CarlError('INVALID_ARGUMENT', `threshold must be finite (and ≥ 0 with similarity weighting), got ${threshold}`, { field: 'threshold' });
  }
  const fromLabels = options.queryLabels === undefined ? null : kernelWeights(options, r, threshold, binary);
  return runLoss(() => {
    const valid = validMask(r);
    let weights: tf.Tensor2D;
    if (fromLabels !== null) {
      weights = tf.tensor2d(fromLabels, [r.n, r.c]);
    } else {
      const s = options.labelSimilarity as tf.Tensor2D;
      checkLabelMatrix(s, 'labelSimilarity', r.n, r.c, false);
      weights = tf.where(tf.greaterEqual(s, threshold), binary ? tf.onesLike(s) : s, tf.zerosLike(s));
    }
    return targetCrossEntropy(similarityLogits(options, r), valid, normalizeTargets(weights, valid));
  });
}

function kernelWeights(options: WeightedSupConOptions, r: ResolvedCandidates, threshold: number, binary: boolean): Float32Array {
  const sigma = checkPositive(options.bandwidth ?? WEIGHTED_SUPCON_BANDWIDTH, 'bandwidth');
  const { queries, candidates } = continuousLabels(r, options as WeightedSupConOptions & { queryLabels: ContinuousLabels });
  const d = labelDistances(queries, candidates, options.labelDistance, 'keyLabels');
  const out = new Float32Array(d.length);
  for (let i = 0; i < d.length; i++) {
    const s = Math.exp(-((d[i] as number) ** 2) / (2 * sigma * sigma));
    if (s >= threshold) out[i] = binary ? 1 : s;
  }
  return out;
}
