/**
 * Default VA-distance threshold for positive pairs in `align-uniform` (L2 on the [−1, 1] scale). On the
 * EmoBank test set it keeps about 7 % of all pairs (35k of 500k), and it sits between EmoBank's rating
 * steps (0.05 and 0.0707) so float rounding never decides whether a pair counts.
 */
export const DEFAULT_ALIGN_THRESHOLD = 0.06;

/** Rows `align-uniform` scores when `maxTest` is not given: its pairs grow quadratically. */
export const ALIGN_UNIFORM_MAX_ROWS = 2000;
