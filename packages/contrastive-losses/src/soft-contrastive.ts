import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import { checkPositive, resolveCandidates, resolveOwnKeys, similarityLogits, validMask, type ResolvedCandidates } from './candidates';
import { continuousLabels, labelDistances } from './labels';
import { SUPERVISED_TEMPERATURE } from './sup-con';
import { checkLabelMatrix, normalizeTargets, runLoss, softmaxTargets, targetCrossEntropy } from './targets';
import type { CandidateOptions, ContinuousLabels, ContrastiveLossResult, LabelDistanceOptions } from './types';

/** Default label temperature τ_y: on VA in [−1, 1]², a neighbour 0.1 away gets e⁻¹ of an identical label's weight. */
export const LABEL_TEMPERATURE = 0.1;

/**
 * Where the soft targets come from: exactly one of
 * - `targetWeights` `[N, M + K]`: non-negative weights (e.g. a Gaussian VA kernel from `@carl/va-labeling`),
 *   rescaled to sum to 1 over each anchor's valid candidates;
 * - `labelSimilarity` `[N, M + K]`: similarities (higher = closer, e.g. −distance), turned into
 *   `softmax(labelSimilarity / labelTemperature)` over the valid candidates;
 * - `queryLabels` (+ `keyLabels`, `extraKeyLabels`): continuous labels, giving
 *   `softmax(−distance / labelTemperature)` with the `labelDistance` metric.
 */
export type SoftTargets =
  | { readonly targetWeights: tf.Tensor2D; readonly labelSimilarity?: undefined; readonly queryLabels?: undefined }
  | { readonly labelSimilarity: tf.Tensor2D; readonly targetWeights?: undefined; readonly queryLabels?: undefined }
  | {
      readonly queryLabels: ContinuousLabels;
      /** Labels of the in-batch keys (omit when `keys` is omitted). */
      readonly keyLabels?: ContinuousLabels;
      /** Labels of the extra keys, e.g. the queue's (required when `extraKeys` has rows). */
      readonly extraKeyLabels?: ContinuousLabels;
      readonly targetWeights?: undefined;
      readonly labelSimilarity?: undefined;
    };

/**
 * How a query's own key (the same sentence through the target encoder, or its second view) is treated:
 * - `'kernel'` (default): like any candidate, weighted by the label kernel (distance 0, so the largest weight);
 * - `'exclude'`: removed from the candidates;
 * - `{ weight: α }`: gets exactly α of the target mass and the other candidates share `1 − α` by the
 *   kernel, so instance discrimination survives a large queue of near-identical labels.
 */
export type SelfPositive = 'kernel' | 'exclude' | { readonly weight: number };

/** Options of {@link softContrastiveLoss}. */
export type SoftContrastiveOptions = CandidateOptions &
  SoftTargets & {
    /** τ_y of the label softmax (`labelSimilarity` and labels). Default 0.1. */
    readonly labelTemperature?: number;
    /** Distance on raw labels. Default L2 over every label axis. */
    readonly labelDistance?: LabelDistanceOptions;
    readonly selfPositive?: SelfPositive;
    /** Column of each query's own key, −1 for none. Default: the diagonal when there is one key per query. */
    readonly ownKeyIndex?: readonly number[];
  };

/**
 * The continuous-label soft contrastive loss of momentum continuous contrastive learning:
 * `L = −(1/N) Σ_i Σ_j w_ij log p_ij` with `p_ij = softmax_j(q_i·k_j / τ)` over the in-batch and extra
 * keys, and soft targets `w_ij` from the labels (see {@link SoftTargets}). With identical labels and
 * τ_y → 0 it becomes {@link supCon}; with all labels equal the targets are uniform.
 * Anchors whose targets have no mass (every candidate excluded, or zero weights) are skipped and counted.
 *
 * @param options embeddings, targets, temperature τ (default 0.07), label temperature τ_y (default 0.1).
 * @example
 * ```ts
 * const snap = queue.snapshot({ excludeIds: batchIds }); // @carl/momentum-queue
 * const { loss } = softContrastiveLoss({
 *   queries, keys, extraKeys: snap.keys,
 *   queryLabels: batchVA, keyLabels: batchVA, extraKeyLabels: snap.labels,
 *   temperature: 0.07, labelTemperature: 0.1,
 * });
 * ```
 */
export function softContrastiveLoss(options: SoftContrastiveOptions): ContrastiveLossResult {
  const given = [options.targetWeights, options.labelSimilarity, options.queryLabels].filter((t) => t !== undefined).length;
  if (given !== 1) {
    throw new CarlError('INVALID_ARGUMENT', `give exactly one of targetWeights, labelSimilarity or queryLabels (got ${given})`, {
      field: 'targetWeights',
    });
  }
  const base = resolveCandidates(options, SUPERVISED_TEMPERATURE);
  const labelTemperature = checkPositive(options.labelTemperature ?? LABEL_TEMPERATURE, 'labelTemperature');
  const selfPositive = options.selfPositive ?? 'kernel';
  if (typeof selfPositive === 'object' && !(selfPositive.weight > 0 && selfPositive.weight <= 1)) {
    throw new CarlError('INVALID_ARGUMENT', `self-positive weight must be in (0, 1], got ${selfPositive.weight}`, { field: 'selfPositive.weight' });
  }
  if (selfPositive !== 'kernel' && selfPositive !== 'exclude' && typeof selfPositive !== 'object') {
    throw new CarlError('INVALID_ARGUMENT', `unknown selfPositive "${String(selfPositive)}"`, { field: 'selfPositive' });
  }
  const own = selfPositive === 'kernel' ? new Int32Array(base.n).fill(-1) : resolveOwnKeys(options.ownKeyIndex, base, false);
  const r = selfPositive === 'exclude' ? withExcluded(base, own) : base;
  const labelScores = options.queryLabels === undefined ? null : softScoresFromLabels(options, r, labelTemperature);
  if (options.targetWeights !== undefined) checkLabelMatrix(options.targetWeights, 'targetWeights', r.n, r.c, true);
  if (options.labelSimilarity !== undefined) checkLabelMatrix(options.labelSimilarity, 'labelSimilarity', r.n, r.c, false);

  return runLoss(() => {
    const valid = validMask(r);
    const targetsOver = (support: tf.Tensor2D | null): tf.Tensor2D => {
      if (options.targetWeights !== undefined) return normalizeTargets(options.targetWeights, support);
      const scores =
        options.labelSimilarity !== undefined
          ? tf.div<tf.Tensor2D>(options.labelSimilarity, labelTemperature)
          : tf.tensor2d(labelScores as Float32Array, [r.n, r.c]);
      return softmaxTargets(scores, support);
    };
    const logits = similarityLogits(options, r);
    if (typeof selfPositive !== 'object') return targetCrossEntropy(logits, valid, targetsOver(valid));
    return targetCrossEntropy(logits, valid, fixedSelfTargets(r, own, selfPositive.weight, targetsOver));
  });
}

/** −distance / τ_y for every (query, candidate) label pair, computed in float64 so equal labels tie exactly. */
function softScoresFromLabels(options: SoftContrastiveOptions, r: ResolvedCandidates, labelTemperature: number): Float32Array {
  const { queries, candidates } = continuousLabels(r, options as SoftContrastiveOptions & { queryLabels: ContinuousLabels });
  const distances = labelDistances(queries, candidates, options.labelDistance, 'keyLabels');
  const scores = new Float32Array(distances.length);
  for (let i = 0; i < distances.length; i++) scores[i] = -(distances[i] as number) / labelTemperature;
  return scores;
}

function withExcluded(r: ResolvedCandidates, own: Int32Array): ResolvedCandidates {
  const excluded = r.excluded === null ? new Uint8Array(r.n * r.c) : r.excluded.slice();
  own.forEach((j, i) => {
    if (j >= 0) excluded[i * r.c + j] = 1;
  });
  return { ...r, excluded };
}

/**
 * Targets where each query's own key gets exactly α and the rest share 1 − α by the kernel; rows whose
 * own key is missing or excluded keep the plain kernel targets, and rows with no other candidate put
 * all mass on the own key.
 */
function fixedSelfTargets(
  r: ResolvedCandidates,
  own: Int32Array,
  alpha: number,
  targetsOver: (support: tf.Tensor2D | null) => tf.Tensor2D,
): tf.Tensor2D {
  const support = new Uint8Array(r.n * r.c);
  const oneHot = new Float32Array(r.n * r.c);
  const coefficient = new Float32Array(r.n);
  for (let i = 0; i < r.n; i++) {
    for (let j = 0; j < r.c; j++) support[i * r.c + j] = r.excluded?.[i * r.c + j] === 1 ? 0 : 1;
    const j = own[i] as number;
    if (j >= 0 && support[i * r.c + j] === 1) {
      support[i * r.c + j] = 0;
      oneHot[i * r.c + j] = 1;
      coefficient[i] = alpha;
    }
  }
  const rest = targetsOver(tf.tensor2d(support, [r.n, r.c], 'bool'));
  const a = tf.tensor2d(coefficient, [r.n, 1]);
  const restMass = tf.sum(rest, 1, true); // 1, or 0 when the own key is the only candidate
  const ownWeight = tf.add(a, tf.mul(tf.sub(1, a), tf.sub(1, restMass)));
  return tf.add(tf.mul(tf.tensor2d(oneHot, [r.n, r.c]), ownWeight), tf.mul(tf.sub(1, a), rest));
}
