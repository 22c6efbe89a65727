import type * as tf from '@tensorflow/tfjs-core';
import type { VA } from '@carl/core';

/**
 * Candidates to exclude, per anchor: `[N, M + K]` (row = query, column = candidate: the M in-batch keys,
 * then the K extra keys), `true` / non-zero = excluded from both the positives and the denominator.
 * `'diagonal'` excludes candidate `i` for query `i` (a sample compared with itself).
 */
export type CandidateMask = tf.Tensor2D | readonly (readonly boolean[])[] | 'diagonal';

/**
 * Continuous labels, one row per sample: `VA` objects (valence and arousal are used, dominance is
 * ignored), plain number rows of any fixed width, or a `[rows, width]` tensor.
 */
export type ContinuousLabels = tf.Tensor2D | readonly VA[] | readonly (readonly number[])[];

/** Class labels (SupCon): samples with equal labels are positives. */
export type DiscreteLabels = readonly (string | number)[];

/** What every loss returns. */
export interface ContrastiveLossResult {
  /** Mean loss over the valid anchors (0, still connected to the inputs, when there are none). */
  readonly loss: tf.Scalar;
  /** Anchors that had at least one positive (or, for Rank-N-Contrast, one candidate). */
  readonly validAnchors: number;
  /** Anchors left out because no candidate could serve as a positive. */
  readonly skippedAnchors: number;
  /** Row indices of the skipped anchors, ascending. */
  readonly skippedAnchorIndices: readonly number[];
  /**
   * Mean entropy −Σ_j w_ij log w_ij of the target distributions over the valid anchors, for the losses
   * that are a cross-entropy against targets (InfoNCE, SupCon, soft, weighted SupCon; undefined for
   * Rank-N-Contrast). `loss − targetEntropy` is the mean KL divergence of the model's distribution from
   * the targets: ≥ 0, and comparable across candidate counts (the entropy grows with a filling queue).
   */
  readonly targetEntropy?: number;
}

/** The embedding side shared by every loss. */
export interface CandidateOptions {
  /** Anchor embeddings `[N, D]` (the online encoder's). */
  readonly queries: tf.Tensor2D;
  /**
   * In-batch key embeddings `[M, D]` (the target encoder's, or a second dropout view). When omitted,
   * the queries are their own candidates and each query's own row is excluded (single-view SupCon).
   */
  readonly keys?: tf.Tensor2D;
  /** Extra candidates `[K, D]`, typically a queue snapshot; they follow the keys in every `[N, M + K]` matrix. */
  readonly extraKeys?: tf.Tensor2D;
  /** Softmax temperature on the similarities (> 0). */
  readonly temperature?: number;
  /** L2-normalise queries and candidates first, so similarities are cosines. Default `true`. */
  readonly normalize?: boolean;
  /** Candidates to exclude per anchor, e.g. stale queue copies of the anchor's own sentence. */
  readonly selfMask?: CandidateMask;
}

/** How label distances are measured when a loss is given raw continuous labels. */
export interface LabelDistanceOptions {
  /** `l2` (Euclidean), `l1` (Manhattan) or `squared-l2`. */
  readonly metric?: 'l2' | 'l1' | 'squared-l2';
  /** Per-axis weights (e.g. `[1, 0.5]` to make arousal count half); default all 1. */
  readonly axisWeights?: readonly number[];
}

/**
 * Label similarities for {@link weightedSupCon} and {@link rankNContrast}: either a `[N, M + K]` tensor
 * (higher = closer; e.g. a kernel from `@carl/va-labeling`), or continuous labels for the queries,
 * in-batch keys and extra keys, from which the loss measures distances itself.
 */
export type SimilaritySource =
  | { readonly labelSimilarity: tf.Tensor2D; readonly queryLabels?: undefined }
  | {
      readonly queryLabels: ContinuousLabels;
      /** Labels of the in-batch keys (omit when `keys` is omitted). */
      readonly keyLabels?: ContinuousLabels;
      /** Labels of the extra keys, e.g. the queue's (required when `extraKeys` has rows). */
      readonly extraKeyLabels?: ContinuousLabels;
      readonly labelSimilarity?: undefined;
    };
