// Float64 reference implementations written straight from the papers' formulas (plain loops, no
// tensors, no masking tricks), used to check the tensor losses independently.
import * as tf from '@tensorflow/tfjs-core';
import { Random, type CarlErrorCode } from '@carl/core';
import { expectCarlError as expectCoreCarlError } from '@carl/core/testing';

export type Matrix = number[][];

export interface RefCandidates {
  readonly queries: Matrix;
  readonly candidates: Matrix;
  readonly temperature: number;
  readonly normalize?: boolean;
  /** true = excluded */
  readonly excluded?: boolean[][];
}

export interface RefResult {
  readonly loss: number;
  readonly valid: number;
  readonly skipped: number[];
}

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const dot = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
const unit = (v: number[]): number[] => {
  const n = norm(v);
  return n === 0 ? v.map(() => 0) : v.map((x) => x / n);
};

export function refLogits(input: RefCandidates): Matrix {
  const normalize = input.normalize ?? true;
  const q = normalize ? input.queries.map(unit) : input.queries;
  const c = normalize ? input.candidates.map(unit) : input.candidates;
  return q.map((qi) => c.map((cj) => dot(qi, cj) / input.temperature));
}

function isValid(input: RefCandidates, i: number, j: number): boolean {
  return !(input.excluded?.[i]?.[j] ?? false);
}

function logSumExp(values: number[]): number {
  const m = Math.max(...values);
  return m + Math.log(values.reduce((s, v) => s + Math.exp(v - m), 0));
}

/** −Σ_j w_ij log p_ij with w normalised over valid candidates; rows whose weights are all 0 are skipped. */
export function refWeighted(input: RefCandidates, weights: Matrix): RefResult {
  const logits = refLogits(input);
  const losses: number[] = [];
  const skipped: number[] = [];
  logits.forEach((row, i) => {
    const validJ = row.map((_, j) => j).filter((j) => isValid(input, i, j));
    const total = validJ.reduce((s, j) => s + (weights[i]?.[j] as number), 0);
    if (validJ.length === 0 || total <= 0) {
      skipped.push(i);
      return;
    }
    const lse = logSumExp(validJ.map((j) => row[j] as number));
    losses.push(-validJ.reduce((s, j) => s + ((weights[i]?.[j] as number) / total) * ((row[j] as number) - lse), 0));
  });
  return { loss: losses.length === 0 ? 0 : losses.reduce((a, b) => a + b, 0) / losses.length, valid: losses.length, skipped };
}

/** Softmax targets of `scores` over the valid candidates. */
export function refSoftmaxTargets(input: RefCandidates, scores: Matrix): Matrix {
  return scores.map((row, i) => {
    const validJ = row.map((_, j) => j).filter((j) => isValid(input, i, j));
    if (validJ.length === 0) return row.map(() => 0);
    const lse = logSumExp(validJ.map((j) => row[j] as number));
    return row.map((s, j) => (isValid(input, i, j) ? Math.exp(s - lse) : 0));
  });
}

/** Rank-N-Contrast by its definition: O(N·C²). */
export function refRankNContrast(input: RefCandidates, distances: Matrix): RefResult {
  const logits = refLogits(input);
  const losses: number[] = [];
  const skipped: number[] = [];
  logits.forEach((row, i) => {
    const validJ = row.map((_, j) => j).filter((j) => isValid(input, i, j));
    if (validJ.length === 0) {
      skipped.push(i);
      return;
    }
    const d = distances[i] as number[];
    let sum = 0;
    for (const j of validJ) {
      const denom = logSumExp(validJ.filter((k) => (d[k] as number) >= (d[j] as number)).map((k) => row[k] as number));
      sum += denom - (row[j] as number);
    }
    losses.push(sum / validJ.length);
  });
  return { loss: losses.length === 0 ? 0 : losses.reduce((a, b) => a + b, 0) / losses.length, valid: losses.length, skipped };
}

export function refDistances(a: Matrix, b: Matrix, metric: 'l1' | 'l2' | 'squared-l2' = 'l2'): Matrix {
  return a.map((x) =>
    b.map((y) => {
      const diffs = x.map((v, k) => v - (y[k] as number));
      if (metric === 'l1') return diffs.reduce((s, v) => s + Math.abs(v), 0);
      const sq = diffs.reduce((s, v) => s + v * v, 0);
      return metric === 'l2' ? Math.sqrt(sq) : sq;
    }),
  );
}

/** A seeded `rows × cols` matrix of standard normals. */
export function randomMatrix(rng: Random, rows: number, cols: number, scale = 1): Matrix {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal() * scale));
}

/** Seeded VA-like labels in [−1, 1]², optionally snapped to a grid so that some coincide exactly. */
export function randomLabels(rng: Random, rows: number, grid?: number): Matrix {
  return Array.from({ length: rows }, () =>
    [0, 1].map(() => {
      const v = rng.float() * 2 - 1;
      return grid === undefined ? v : Math.round(v * grid) / grid;
    }),
  );
}

export function t2(m: Matrix, cols?: number): tf.Tensor2D {
  return tf.tensor2d(m.flat(), [m.length, cols ?? (m[0]?.length ?? 0)]);
}

export function scalar(t: tf.Scalar): number {
  return t.dataSync()[0] as number;
}

/** Asserts `fn` throws a CarlError whose location names `field` (core's helper, in this package's argument order). */
export function expectCarlError(fn: () => unknown, field: string, code?: CarlErrorCode): void {
  expectCoreCarlError(fn, code, { field });
}
