import * as tf from '@tensorflow/tfjs-core';
import { CarlError, type VA } from '@carl/core';

/** How two VA points are compared: city-block (`l1`) or Euclidean (`l2`). */
export type VAMetric = 'l1' | 'l2';

/**
 * Per-axis weights. Defaults: valence 1, arousal 1, dominance 0 (CARL trains on V and A; give
 * dominance a weight to use it, and every point must then carry it).
 */
export interface AxisWeights {
  readonly valence?: number;
  readonly arousal?: number;
  readonly dominance?: number;
}

export interface DistanceOptions {
  /** Default `l2`: rotation-invariant in the circumplex, so no axis direction is privileged. */
  readonly metric?: VAMetric;
  readonly weights?: AxisWeights;
}

type Axis = 'valence' | 'arousal' | 'dominance';
const AXES: readonly Axis[] = ['valence', 'arousal', 'dominance'];

interface ResolvedDistance {
  readonly metric: VAMetric;
  /** Weights of valence, arousal, dominance, in that order. */
  readonly weights: readonly [number, number, number];
}

function resolveDistance(options: DistanceOptions = {}): ResolvedDistance {
  const metric = options.metric ?? 'l2';
  if (metric !== 'l1' && metric !== 'l2') {
    throw new CarlError('INVALID_ARGUMENT', `metric must be 'l1' or 'l2', got ${String(metric)}`, { field: 'metric' });
  }
  const w = options.weights ?? {};
  const weights = [w.valence ?? 1, w.arousal ?? 1, w.dominance ?? 0] as [number, number, number];
  weights.forEach((value, i) => {
    if (!Number.isFinite(value) || value < 0) {
      throw new CarlError('INVALID_ARGUMENT', `weight of ${AXES[i]} must be a finite number ≥ 0, got ${value}`, { field: `weights.${AXES[i]}` });
    }
  });
  if (weights.every((value) => value === 0)) {
    throw new CarlError('INVALID_ARGUMENT', 'at least one axis weight must be positive', { field: 'weights' });
  }
  return { metric, weights };
}

function axisValue(point: VA, axis: Axis, where: string): number {
  const value = point[axis];
  if (value === undefined) {
    throw new CarlError('INVALID_ARGUMENT', `${where} has no ${axis}, but the ${axis} weight is positive`, { field: axis });
  }
  return value;
}

/**
 * Distance between two VA points: `(Σ_k w_k |a_k − b_k|^p)^(1/p)` with p = 1 (`l1`) or 2 (`l2`).
 * On [−1, 1]² with unit weights, the largest L2 distance is 2√2 and the largest L1 distance 4.
 *
 * @example
 * ```ts
 * vaDistance({ valence: 0, arousal: 0 }, { valence: 0.3, arousal: 0.4 }); // 0.5
 * vaDistance(a, b, { metric: 'l1', weights: { valence: 2, arousal: 1 } });
 * ```
 */
export function vaDistance(a: VA, b: VA, options?: DistanceOptions): number {
  const { metric, weights } = resolveDistance(options);
  let sum = 0;
  AXES.forEach((axis, i) => {
    const w = weights[i] as number;
    if (w === 0) return;
    const d = Math.abs(axisValue(a, axis, 'the first point') - axisValue(b, axis, 'the second point'));
    sum += metric === 'l1' ? w * d : w * d * d;
  });
  return metric === 'l1' ? sum : Math.sqrt(sum);
}

/**
 * Turns label distances into label similarities. `apply` works on a whole `[n, m]` distance
 * matrix (rows = anchors); `applyRow` is the same on plain numbers.
 */
export interface LabelKernel {
  readonly kind: 'gaussian' | 'softmax' | 'linear';
  /** Bandwidth (gaussian), temperature (softmax) or the distance at which similarity reaches 0 (linear). */
  readonly parameter: number;
  /** True when every row of the result sums to 1 (softmax): the weights are a distribution over candidates. */
  readonly rowNormalised: boolean;
  /**
   * Similarities for a distance matrix. `mask` (1 = keep, 0 = exclude) zeroes excluded entries
   * and, for a row-normalised kernel, renormalises over the kept ones; an all-excluded row is 0.
   */
  apply(distances: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D;
  /** The same on one row of plain distances (`keep[j] = false` excludes entry j). */
  applyRow(distances: readonly number[], keep?: readonly boolean[]): number[];
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new CarlError('INVALID_ARGUMENT', `${name} must be a finite number > 0, got ${value}`, { field: name });
  }
  return value;
}

function pointwiseKernel(kind: 'gaussian' | 'linear', parameter: number, f: (d: number) => number, ft: (d: tf.Tensor2D) => tf.Tensor2D): LabelKernel {
  return Object.freeze({
    kind,
    parameter,
    rowNormalised: false,
    apply: (distances: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D =>
      tf.tidy(() => {
        const s = ft(distances);
        return mask === undefined ? s : tf.mul(s, tf.cast(mask, 'float32'));
      }),
    applyRow: (distances: readonly number[], keep?: readonly boolean[]): number[] =>
      distances.map((d, j) => (keep !== undefined && keep[j] === false ? 0 : f(d))),
  });
}

/**
 * Gaussian (RBF) kernel `exp(−d² / (2σ²))`: 1 at distance 0, 0.61 at d = σ, 0.14 at d = 2σ.
 * Bounded in (0, 1] and not normalised, so an anchor's total positive weight grows with the number
 * of nearby labels.
 *
 * @param bandwidth σ, in VA units (the whole plane is 2 wide per axis); 0.25–0.5 is a sensible start
 * @example
 * ```ts
 * gaussianKernel(0.5).applyRow([0, 0.5]); // [1, 0.6065…]
 * ```
 */
export function gaussianKernel(bandwidth: number): LabelKernel {
  const sigma = positive(bandwidth, 'bandwidth');
  const scale = 1 / (2 * sigma * sigma);
  return pointwiseKernel(
    'gaussian',
    sigma,
    (d) => Math.exp(-d * d * scale),
    (d) => tf.exp(tf.mul(tf.square(d), -scale)),
  );
}

/**
 * Linear (triangular) kernel `max(0, 1 − d / maxDistance)`: similarity falls evenly with distance and
 * is exactly 0 beyond `maxDistance`, so far-apart labels never attract.
 *
 * @example
 * ```ts
 * linearKernel(2).applyRow([0, 1, 3]); // [1, 0.5, 0]
 * ```
 */
export function linearKernel(maxDistance: number): LabelKernel {
  const m = positive(maxDistance, 'maxDistance');
  return pointwiseKernel(
    'linear',
    m,
    (d) => Math.max(0, 1 - d / m),
    (d) => tf.relu(tf.sub(1, tf.div(d, m))),
  );
}

/**
 * Softmax kernel `w_ij = softmax_j(−d_ij / τ)`: each anchor's weights form a distribution over the
 * candidates — the target distribution of CARL's continuous contrastive loss. Small τ concentrates
 * the weight on the nearest labels.
 *
 * @param temperature τ in VA-distance units (e.g. 0.1)
 * @example
 * ```ts
 * softmaxKernel(1).applyRow([0, Math.LN2]); // [2/3, 1/3]
 * ```
 */
export function softmaxKernel(temperature: number): LabelKernel {
  const tau = positive(temperature, 'temperature');
  return Object.freeze({
    kind: 'softmax' as const,
    parameter: tau,
    rowNormalised: true,
    apply: (distances: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D =>
      tf.tidy(() => {
        const logits = tf.div(distances, -tau) as tf.Tensor2D;
        if (mask === undefined) return tf.softmax(logits) as tf.Tensor2D;
        const keep = tf.cast(mask, 'float32');
        // Shift by the row max over kept entries only, so masked entries cannot cause overflow,
        // and divide by max(sum, tiny) so an all-masked row gives zeros, not NaN.
        const masked = tf.where(tf.cast(keep, 'bool'), logits, tf.fill(logits.shape, -1e30));
        const shifted = tf.sub(masked, tf.max(masked, 1, true));
        const e = tf.mul(tf.exp(shifted), keep);
        return tf.div(e, tf.maximum(tf.sum(e, 1, true), 1e-30)) as tf.Tensor2D;
      }),
    applyRow: (distances: readonly number[], keep?: readonly boolean[]): number[] => {
      const kept = distances.map((_, j) => keep === undefined || keep[j] !== false);
      let max = -Infinity;
      distances.forEach((d, j) => {
        if (kept[j]) max = Math.max(max, -d / tau);
      });
      const e = distances.map((d, j) => (kept[j] ? Math.exp(-d / tau - max) : 0));
      const total = e.reduce((s, x) => s + x, 0);
      return e.map((x) => (total > 0 ? x / total : 0));
    },
  });
}

/** A batch of VA points: plain objects, or a `[n, 2]` (V, A) or `[n, 3]` (V, A, D) tensor. */
export type VABatch = readonly VA[] | tf.Tensor2D;

export interface SimilarityOptions extends DistanceOptions {
  /** `[n, m]`, 1 = keep, 0 = exclude (e.g. an anchor's own key in the queue). */
  readonly mask?: tf.Tensor2D;
}

function toTensor(batch: VABatch, columns: number, field: string): tf.Tensor2D {
  if (batch instanceof tf.Tensor) {
    if (batch.rank !== 2 || (batch.shape[1] !== 2 && batch.shape[1] !== 3)) {
      throw new CarlError('SHAPE_MISMATCH', `${field} must be [n, 2] or [n, 3], got [${batch.shape.join(', ')}]`, { field });
    }
    if ((batch.shape[1] as number) < columns) {
      throw new CarlError('SHAPE_MISMATCH', `${field} has no dominance column, but the dominance weight is positive`, { field });
    }
    return batch.shape[1] === columns ? tf.cast(batch, 'float32') : tf.slice(batch, [0, 0], [-1, columns]);
  }
  const data = new Float32Array(batch.length * columns);
  batch.forEach((point, i) => {
    const values = columns === 3 ? [point.valence, point.arousal, point.dominance] : [point.valence, point.arousal];
    values.forEach((value, k) => {
      if (value === undefined || !Number.isFinite(value)) {
        throw new CarlError('INVALID_ARGUMENT', `${field}[${i}].${AXES[k]} must be a finite number, got ${value}`, { field: `${field}[${i}].${AXES[k]}` });
      }
      data[i * columns + k] = value;
    });
  });
  return tf.tensor2d(data, [batch.length, columns], 'float32');
}

/**
 * The `[n, m]` matrix of label distances between anchors (`rows`) and candidates (`cols`).
 *
 * @example
 * ```ts
 * const d = vaDistanceMatrix([{ valence: 0, arousal: 0 }], [{ valence: 0.3, arousal: 0.4 }]); // [[0.5]]
 * ```
 */
export function vaDistanceMatrix(rows: VABatch, cols: VABatch, options?: DistanceOptions): tf.Tensor2D {
  const { metric, weights } = resolveDistance(options);
  const columns = weights[2] > 0 ? 3 : 2;
  return tf.tidy(() => {
    const a = toTensor(rows, columns, 'rows');
    const b = toTensor(cols, columns, 'cols');
    const w = tf.tensor1d(weights.slice(0, columns) as number[], 'float32');
    const diff = tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0)); // [n, m, c]
    if (metric === 'l1') return tf.sum(tf.mul(tf.abs(diff), w), 2) as tf.Tensor2D;
    return tf.sqrt(tf.sum(tf.mul(tf.square(diff), w), 2)) as tf.Tensor2D;
  });
}

/**
 * Label-similarity matrix `S[i, j] = kernel(d(rows[i], cols[j]))`, shape `[rows, cols]`: what the
 * continuous contrastive loss consumes (rows = anchors in the batch, cols = candidate keys from the
 * batch and the queue). Labels are constants, so no gradient flows through it.
 *
 * @example
 * ```ts
 * const s = labelSimilarityMatrix(batchVA, queueVA, softmaxKernel(0.1)); // tf.Tensor2D, rows sum to 1
 * ```
 */
export function labelSimilarityMatrix(rows: VABatch, cols: VABatch, kernel: LabelKernel, options: SimilarityOptions = {}): tf.Tensor2D {
  const n = rows instanceof tf.Tensor ? rows.shape[0] : rows.length;
  const m = cols instanceof tf.Tensor ? cols.shape[0] : cols.length;
  if (options.mask !== undefined && (options.mask.rank !== 2 || options.mask.shape[0] !== n || options.mask.shape[1] !== m)) {
    throw new CarlError('SHAPE_MISMATCH', `mask must be [${n}, ${m}], got [${options.mask.shape.join(', ')}]`, { field: 'mask' });
  }
  return tf.tidy(() => kernel.apply(vaDistanceMatrix(rows, cols, options), options.mask));
}

/**
 * Russell's four quadrants: high/low valence × high/low arousal.
 * HVHA ≈ excited, happy · LVHA ≈ angry, afraid · LVLA ≈ sad, bored · HVLA ≈ calm, content.
 */
export type VAQuadrant = 'HVHA' | 'LVHA' | 'LVLA' | 'HVLA';

/** The quadrants in index order (the index {@link vaQuadrantIndex} returns). */
export const VA_QUADRANTS: readonly VAQuadrant[] = ['HVHA', 'LVHA', 'LVLA', 'HVLA'];

export interface QuadrantOptions {
  /**
   * Points with |valence| ≤ r and |arousal| ≤ r are `neutral` instead of forced into a quadrant.
   * Default 0: no neutral class, and an axis value of exactly 0 counts as high.
   */
  readonly neutralRadius?: number;
}

/**
 * The circumplex quadrant of a VA point (for SupCon-style baselines and per-quadrant reports).
 *
 * @example
 * ```ts
 * vaQuadrant({ valence: -0.6, arousal: 0.7 }); // 'LVHA'
 * vaQuadrant({ valence: 0.05, arousal: -0.02 }, { neutralRadius: 0.1 }); // 'neutral'
 * ```
 */
export function vaQuadrant(point: VA, options: QuadrantOptions = {}): VAQuadrant | 'neutral' {
  const r = options.neutralRadius ?? 0;
  if (!Number.isFinite(r) || r < 0) throw new CarlError('INVALID_ARGUMENT', `neutralRadius must be ≥ 0, got ${r}`, { field: 'neutralRadius' });
  checkPoint(point);
  if (r > 0 && Math.abs(point.valence) <= r && Math.abs(point.arousal) <= r) return 'neutral';
  const highV = point.valence >= 0;
  const highA = point.arousal >= 0;
  if (highA) return highV ? 'HVHA' : 'LVHA';
  return highV ? 'HVLA' : 'LVLA';
}

/**
 * Index of {@link vaQuadrant} in {@link VA_QUADRANTS} (0–3), for integer class labels.
 *
 * @example
 * ```ts
 * vaQuadrantIndex({ valence: 0.4, arousal: -0.3 }); // 3 (HVLA)
 * ```
 */
export function vaQuadrantIndex(point: VA): number {
  return VA_QUADRANTS.indexOf(vaQuadrant(point) as VAQuadrant);
}

export interface BinOptions {
  /** Equal-width bins per axis over [−1, 1]; default 3 (low / mid / high), giving 9 classes. */
  readonly binsPerAxis?: number;
}

/** A point's grid cell: per-axis bin (0 = lowest) and the flat class index `valence · bins + arousal`. */
export interface VABin {
  readonly valence: number;
  readonly arousal: number;
  readonly index: number;
  /** Readable name, e.g. `v2a0` (highest valence bin, lowest arousal bin). */
  readonly label: string;
}

/**
 * Discretises a VA point into a `binsPerAxis × binsPerAxis` grid over [−1, 1]² (the "discrete
 * instead of continuous labels" ablation and SupCon baseline). Bins are half-open `[lo, hi)` except
 * the last, which includes +1.
 *
 * @example
 * ```ts
 * binVA({ valence: 0.9, arousal: -0.9 }); // { valence: 2, arousal: 0, index: 6, label: 'v2a0' }
 * ```
 */
export function binVA(point: VA, options: BinOptions = {}): VABin {
  const bins = options.binsPerAxis ?? 3;
  if (!Number.isInteger(bins) || bins < 1) throw new CarlError('INVALID_ARGUMENT', `binsPerAxis must be an integer ≥ 1, got ${bins}`, { field: 'binsPerAxis' });
  checkPoint(point);
  const bin = (x: number): number => Math.min(bins - 1, Math.max(0, Math.floor(((x + 1) / 2) * bins)));
  const v = bin(point.valence);
  const a = bin(point.arousal);
  return { valence: v, arousal: a, index: v * bins + a, label: `v${v}a${a}` };
}

function checkPoint(point: VA): void {
  for (const axis of ['valence', 'arousal'] as const) {
    const value = point[axis];
    if (!Number.isFinite(value) || value < -1 - 1e-9 || value > 1 + 1e-9) {
      throw new CarlError('INVALID_ARGUMENT', `${axis} must be a finite number in [-1, 1], got ${value}`, { field: axis });
    }
  }
}
