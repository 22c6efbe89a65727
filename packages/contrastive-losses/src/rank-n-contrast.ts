import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import { resolveCandidates, similarityLogits, type ResolvedCandidates } from './candidates';
import { continuousLabels, labelDistances } from './labels';
import { SUPERVISED_TEMPERATURE } from './sup-con';
import { checkLabelMatrix, reduceAnchors, runLoss } from './targets';
import type { CandidateOptions, ContinuousLabels, ContrastiveLossResult, LabelDistanceOptions, SimilaritySource } from './types';

/** Options of {@link rankNContrast}. */
export type RankNContrastOptions = CandidateOptions &
  SimilaritySource & {
    /** Distance on raw labels. Default L1, as in the Rank-N-Contrast reference code. */
    readonly labelDistance?: LabelDistanceOptions;
  };

/**
 * Rank-N-Contrast (Zha et al., NeurIPS 2023): for anchor `i` and each valid candidate `j`, the
 * candidates at least as far from `i` in label space as `j` form the denominator:
 * `ℓ_i = −(1/|A(i)|) Σ_{j∈A(i)} log( exp(s_ij) / Σ_{k: d_ik ≥ d_ij} exp(s_ik) )`, `s = q·c / τ`.
 * Embeddings are thus ordered like their labels without any kernel bandwidth. Ranks come from the
 * labels (or from `labelSimilarity`, higher = closer); ties share one denominator. Anchors with no
 * valid candidate are skipped and counted.
 *
 * Cost: one sort of the candidates per anchor (in JS, on label data) and a log-space prefix scan
 * of `⌈log₂ C⌉` steps, so `O(N·C·log C)` rather than the `O(N·C²)` of the pairwise formulation.
 *
 * @param options embeddings, labels or label similarities, temperature (default 0.07).
 * @example
 * ```ts
 * const { loss } = rankNContrast({ queries, keys, queryLabels: va, keyLabels: va, temperature: 0.1 });
 * ```
 */
export function rankNContrast(options: RankNContrastOptions): ContrastiveLossResult {
  if ((options.labelSimilarity === undefined) === (options.queryLabels === undefined)) {
    throw new CarlError('INVALID_ARGUMENT', 'give exactly one of labelSimilarity or queryLabels', { field: 'labelSimilarity' });
  }
  const r = resolveCandidates(options, SUPERVISED_TEMPERATURE);
  let distances: ArrayLike<number>;
  if (options.labelSimilarity !== undefined) {
    checkLabelMatrix(options.labelSimilarity, 'labelSimilarity', r.n, r.c, false);
    // Higher similarity = closer, so its negation orders candidates like a distance.
    distances = Float64Array.from(options.labelSimilarity.dataSync(), (s) => -s);
  } else {
    const { queries, candidates } = continuousLabels(r, options as RankNContrastOptions & { queryLabels: ContinuousLabels });
    distances = labelDistances(queries, candidates, { metric: 'l1', ...options.labelDistance }, 'keyLabels');
  }
  const plan = rankPlan(r, distances);
  return runLoss(() => {
    const flat = (t: tf.Tensor): tf.Tensor1D => tf.reshape(t, [r.n * r.c]);
    const logits = similarityLogits(options, r);
    // Candidates of each row from farthest to nearest, so every denominator is a prefix.
    const sorted = tf.reshape(tf.gather(flat(logits), tf.tensor1d(plan.order, 'int32')), [r.n, r.c]) as tf.Tensor2D;
    const prefix = logCumSumExp(sorted);
    const denominators = tf.reshape(tf.gather(flat(prefix), tf.tensor1d(plan.tieEnd, 'int32')), [r.n, r.c]);
    const perAnchor = tf.sum(tf.mul(tf.sub(denominators, sorted), tf.tensor2d(plan.weights, [r.n, r.c])), 1) as tf.Tensor1D;
    return reduceAnchors(perAnchor, plan.rowValid, r.n);
  });
}

interface RankPlan {
  /** Flat gather indices: position p of row i holds candidate order[i·C + p] (flat). */
  readonly order: Int32Array;
  /** Flat index of the last position of p's tie group (its denominator covers the whole group). */
  readonly tieEnd: Int32Array;
  /** 1/|A(i)| at valid positions, 0 at excluded ones (which sit after the valid ones, outside every prefix). */
  readonly weights: Float32Array;
  readonly rowValid: Uint8Array;
}

/** Candidate indices take the low 21 bits of a sort key (integers stay exact in float64 up to 2⁵³). */
const INDEX_SPAN = 2 ** 21;

function rankPlan(r: ResolvedCandidates, distances: ArrayLike<number>): RankPlan {
  const { n, c } = r;
  if (c > INDEX_SPAN) throw new CarlError('INVALID_ARGUMENT', `Rank-N-Contrast supports up to ${INDEX_SPAN} candidates, got ${c}`, { field: 'extraKeys' });
  const order = new Int32Array(n * c);
  const tieEnd = new Int32Array(n * c);
  const weights = new Float32Array(n * c);
  const rowValid = new Uint8Array(n);
  const keys = new Float64Array(c);
  const group = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    const base = i * c;
    let count = 0;
    for (let j = 0; j < c; j++) {
      if (r.excluded?.[base + j] !== 1) keys[count++] = orderedBits(distances[base + j] as number) * INDEX_SPAN + j;
    }
    rowValid[i] = count > 0 ? 1 : 0;
    // One numeric typed-array sort of packed (distance, index) keys: several times faster than sorting
    // indices with a comparator.
    const ascending = keys.subarray(0, count).sort();
    for (let p = 0; p < count; p++) {
      const key = ascending[count - 1 - p] as number; // farthest first
      const j = key % INDEX_SPAN;
      group[p] = (key - j) / INDEX_SPAN;
      order[base + p] = base + j;
      weights[base + p] = 1 / count;
    }
    for (let p = count - 1; p >= 0; p--) {
      tieEnd[base + p] = p + 1 < count && group[p + 1] === group[p] ? (tieEnd[base + p + 1] as number) : base + p;
    }
    // Excluded candidates go after every valid one, outside every prefix.
    let tail = count;
    for (let j = 0; j < c; j++) {
      if (r.excluded?.[base + j] !== 1) continue;
      order[base + tail] = base + j;
      tieEnd[base + tail] = base + tail;
      tail++;
    }
  }
  return { order, tieEnd, weights, rowValid };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float32 value of `x` as an unsigned integer with the same order. Distances are compared at
 * float32 precision on purpose: rounding noise in label arithmetic (|0.3 − 0.1| vs |0.5 − 0.3| in
 * float64) must not split what are ties.
 */
function orderedBits(x: number): number {
  f32[0] = x + 0; // + 0 turns −0 into +0, so the two zeros tie
  const bits = u32[0] as number;
  return bits >= 0x80000000 ? (~bits >>> 0) : bits + 0x80000000;
}

/**
 * `log(exp(a) + exp(b))` without overflow, with the exact gradient `σ(a − b)`, `σ(b − a)` (the
 * max-based form routes the whole gradient to one side when `a = b`).
 */
const logAddExp = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  const value = tf.tidy(() => tf.add(tf.maximum(a, b), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b)))))));
  return {
    value,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor, tf.Tensor];
      const toA = tf.sigmoid(tf.sub(sa, sb));
      return [tf.mul(dy, toA), tf.mul(dy, tf.sub(1, toA))];
    },
  };
});

/** Padding for the scan: logAddExp(x, −1e30) is exactly x, with gradient exactly 1 and 0, and no inf in sight. */
const NOTHING = -1e30;

/**
 * Inclusive log-cumulative-sum-exp along axis 1 by a Hillis–Steele scan in log space: exact in
 * float32 however far apart the logits are (a plain `cumsum(exp(x − max))` underflows to log 0 for
 * the early prefixes at small temperatures).
 */
export function logCumSumExp(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  let out: tf.Tensor2D = x;
  for (let step = 1; step < cols; step *= 2) {
    const shifted = tf.pad(tf.slice(out, [0, 0], [rows, cols - step]), [[0, 0], [step, 0]], NOTHING);
    out = logAddExp(out, shifted) as tf.Tensor2D;
  }
  return out;
}
