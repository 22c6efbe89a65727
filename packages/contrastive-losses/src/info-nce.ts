import * as tf from '@tensorflow/tfjs-core';
import { resolveCandidates, resolveOwnKeys, similarityLogits, validMask } from './candidates';
import { runLoss, targetCrossEntropy } from './targets';
import type { CandidateOptions, ContrastiveLossResult } from './types';

/** SimCSE's temperature for sentence embeddings (Gao et al. 2021). */
export const INFO_NCE_TEMPERATURE = 0.05;

/** Options of {@link infoNCE}. */
export interface InfoNCEOptions extends CandidateOptions {
  /** Key embeddings `[M, D]`: key `ownKeyIndex[i]` is query `i`'s positive, every other candidate a negative. */
  readonly keys: tf.Tensor2D;
  /**
   * Column of each query's positive among the `M + K` candidates, −1 for none (the anchor is skipped).
   * Default: the diagonal (`i`), which requires one key per query.
   */
  readonly ownKeyIndex?: readonly number[];
}

/**
 * InfoNCE (MoCo, SimCSE): `−log softmax(q_i·c / τ)[positive]`, averaged over the anchors.
 * For SimCSE pass the two dropout views as `queries` and `keys`; for MoCo pass the target encoder's
 * keys and the queue as `extraKeys` (more negatives, e.g. SimCSE's hard negatives). An anchor whose
 * positive is −1 or excluded by `selfMask` is skipped and counted.
 *
 * @param options embeddings, temperature (default 0.05), optional extra keys and mask.
 * @example
 * ```ts
 * const { loss } = infoNCE({ queries: view1, keys: view2, temperature: 0.05 });
 * ```
 */
export function infoNCE(options: InfoNCEOptions): ContrastiveLossResult {
  const r = resolveCandidates(options, INFO_NCE_TEMPERATURE);
  const own = resolveOwnKeys(options.ownKeyIndex, r, true);
  const oneHot = new Float32Array(r.n * r.c);
  for (let i = 0; i < r.n; i++) {
    const j = own[i] as number;
    if (j >= 0 && r.excluded?.[i * r.c + j] !== 1) oneHot[i * r.c + j] = 1;
  }
  return runLoss(() => targetCrossEntropy(similarityLogits(options, r), validMask(r), tf.tensor2d(oneHot, [r.n, r.c])));
}
