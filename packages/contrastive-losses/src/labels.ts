import * as tf from '@tensorflow/tfjs-core';
import { CarlError, type VA } from '@carl/core';
import type { ResolvedCandidates } from './candidates';
import type { ContinuousLabels, DiscreteLabels, LabelDistanceOptions } from './types';

/** Continuous labels as one flat float64 row-major block (labels are data: no gradient flows into them). */
export interface LabelRows {
  readonly rows: number;
  readonly width: number;
  readonly data: Float64Array;
}

function isVA(value: unknown): value is VA {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'valence' in value && 'arousal' in value;
}

/** Reads labels into plain numbers, checking the row count and that every value is finite. */
export function toLabelRows(labels: ContinuousLabels, field: string, expectedRows: number): LabelRows {
  let rows: number;
  let width: number;
  let data: Float64Array;
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 2) throw new CarlError('SHAPE_MISMATCH', `labels must be a rank-2 tensor [rows, width], got rank ${labels.rank}`, { field });
    [rows, width] = labels.shape as [number, number];
    data = Float64Array.from(labels.dataSync());
  } else {
    rows = labels.length;
    const first = labels[0];
    const vaRows = first !== undefined && isVA(first);
    width = first === undefined ? 0 : vaRows ? 2 : (first as readonly number[]).length;
    data = new Float64Array(rows * width);
    labels.forEach((label: VA | readonly number[], i) => {
      if (isVA(label) !== vaRows) throw new CarlError('INVALID_ARGUMENT', 'labels mix VA objects and number rows', { field: `${field}[${i}]` });
      if (isVA(label)) {
        data[i * 2] = label.valence;
        data[i * 2 + 1] = label.arousal;
      } else if (Array.isArray(label)) {
        if (label.length !== width) {
          throw new CarlError('SHAPE_MISMATCH', `label row has ${label.length} values, the first row has ${width}`, { field: `${field}[${i}]` });
        }
        data.set(label as readonly number[], i * width);
      } else {
        throw new CarlError('INVALID_ARGUMENT', 'a label must be a VA object or an array of numbers', { field: `${field}[${i}]` });
      }
    });
  }
  if (rows !== expectedRows) {
    throw new CarlError('SHAPE_MISMATCH', `${rows} labels for ${expectedRows} embeddings`, { field });
  }
  if (rows > 0 && width === 0) throw new CarlError('INVALID_ARGUMENT', 'label rows are empty', { field });
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new CarlError('INVALID_ARGUMENT', `label value ${data[i]} is not finite`, { field: `${field}[${Math.floor(i / Math.max(width, 1))}]` });
    }
  }
  return { rows, width, data };
}

/** Stacks label blocks (in-batch keys, then extra keys); blocks with zero rows take any width. */
export function concatLabelRows(blocks: readonly LabelRows[], field: string): LabelRows {
  const nonEmpty = blocks.filter((b) => b.rows > 0);
  const width = nonEmpty[0]?.width ?? 0;
  for (const block of nonEmpty) {
    if (block.width !== width) throw new CarlError('SHAPE_MISMATCH', `label widths differ (${block.width} vs ${width})`, { field });
  }
  const rows = blocks.reduce((sum, b) => sum + b.rows, 0);
  const data = new Float64Array(rows * width);
  let offset = 0;
  for (const block of nonEmpty) {
    data.set(block.data, offset);
    offset += block.data.length;
  }
  return { rows, width, data };
}

/**
 * Distances between every anchor label and every candidate label, `[anchors.rows × candidates.rows]`
 * row-major, in float64 so equal labels give exactly 0 (the near-zero-bandwidth limit depends on it).
 */
export function labelDistances(anchors: LabelRows, candidates: LabelRows, options: LabelDistanceOptions = {}, field = 'labels'): Float64Array {
  const metric = options.metric ?? 'l2';
  const width = anchors.rows > 0 ? anchors.width : candidates.width;
  if (anchors.rows > 0 && candidates.rows > 0 && anchors.width !== candidates.width) {
    throw new CarlError('SHAPE_MISMATCH', `query labels have width ${anchors.width}, candidate labels ${candidates.width}`, { field });
  }
  const weights = options.axisWeights ?? Array<number>(width).fill(1);
  if (weights.length !== width || weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw new CarlError('INVALID_ARGUMENT', `axisWeights must be ${width} finite non-negative numbers`, { field: 'labelDistance.axisWeights' });
  }
  const w = Float64Array.from(weights);
  const l1 = metric === 'l1';
  const root = metric === 'l2';
  const { data: a, rows: n } = anchors;
  const { data: b, rows: c } = candidates;
  const out = new Float64Array(n * c);
  // Hot loop (N × (M + K) pairs per step): typed arrays and no branches on the metric inside.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < c; j++) {
      let acc = 0;
      for (let k = 0; k < width; k++) {
        const diff = (a[i * width + k] as number) - (b[j * width + k] as number);
        acc += (w[k] as number) * (l1 ? Math.abs(diff) : diff * diff);
      }
      out[i * c + j] = root ? Math.sqrt(acc) : acc;
    }
  }
  return out;
}

/** Checks class labels: the right count, and only strings or finite numbers. */
export function toDiscreteLabels(labels: DiscreteLabels, field: string, expectedRows: number): readonly (string | number)[] {
  if (labels.length !== expectedRows) throw new CarlError('SHAPE_MISMATCH', `${labels.length} labels for ${expectedRows} embeddings`, { field });
  labels.forEach((label, i) => {
    if (typeof label === 'number' ? !Number.isFinite(label) : typeof label !== 'string') {
      throw new CarlError('INVALID_ARGUMENT', `class label ${String(label)} must be a string or a finite number`, { field: `${field}[${i}]` });
    }
  });
  return labels;
}

/** Checks that key and extra-key labels are given exactly when their embeddings are. */
export function checkLabelPresence(r: ResolvedCandidates, keyLabels: unknown, extraKeyLabels: unknown): void {
  if (!r.keysGiven && keyLabels !== undefined) {
    throw new CarlError('INVALID_ARGUMENT', 'keyLabels given without keys (the queries are the candidates)', { field: 'keyLabels' });
  }
  if (r.keysGiven && keyLabels === undefined) throw new CarlError('INVALID_ARGUMENT', 'keys need keyLabels', { field: 'keyLabels' });
  if (r.k > 0 && extraKeyLabels === undefined) throw new CarlError('INVALID_ARGUMENT', 'extraKeys need extraKeyLabels', { field: 'extraKeyLabels' });
}

/** Continuous labels of the queries and of all `M + K` candidates (in-batch keys, then extra keys). */
export function continuousLabels(
  r: ResolvedCandidates,
  labels: { readonly queryLabels: ContinuousLabels; readonly keyLabels?: ContinuousLabels | undefined; readonly extraKeyLabels?: ContinuousLabels | undefined },
): { queries: LabelRows; candidates: LabelRows } {
  checkLabelPresence(r, labels.keyLabels, labels.extraKeyLabels);
  const queries = toLabelRows(labels.queryLabels, 'queryLabels', r.n);
  const keys = labels.keyLabels === undefined ? queries : toLabelRows(labels.keyLabels, 'keyLabels', r.m);
  const extra =
    labels.extraKeyLabels === undefined
      ? { rows: 0, width: queries.width, data: new Float64Array(0) }
      : toLabelRows(labels.extraKeyLabels, 'extraKeyLabels', r.k);
  return { queries, candidates: concatLabelRows([keys, extra], 'extraKeyLabels') };
}

/** Class labels of all `M + K` candidates, in candidate order. */
export function discreteCandidateLabels(
  r: ResolvedCandidates,
  queryLabels: DiscreteLabels,
  keyLabels: DiscreteLabels | undefined,
  extraKeyLabels: DiscreteLabels | undefined,
): (string | number)[] {
  checkLabelPresence(r, keyLabels, extraKeyLabels);
  return [
    ...toDiscreteLabels(keyLabels ?? queryLabels, 'keyLabels', r.m),
    ...toDiscreteLabels(extraKeyLabels ?? [], 'extraKeyLabels', r.k),
  ];
}
