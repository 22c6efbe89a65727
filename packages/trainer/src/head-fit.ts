import { CarlError, isCarlError, type Encoder } from '@carl/core';
import { DEFAULT_RIDGE_ALPHAS, fitRidge, type NumericRow, type RidgeProbe } from '@carl/eval-benchmarks';
import type { TrainingRow } from './data';
import { embedTexts } from '@carl/encoder';
import type { VAHead } from './model';

/** Options of {@link fitHeadOnEmbeddings}. */
export interface HeadFitOptions {
  /** A fixed ridge penalty; 0 or absent = choose it per axis by 5-fold cross-validation. */
  readonly ridgeAlpha?: number;
  /** Seed of the cross-validation folds. Default 0. */
  readonly seed?: number;
}

/** A fitted head and how its penalty was found. */
export interface HeadFit {
  readonly head: VAHead;
  /** The penalties that were searched (one value: no cross-validation). */
  readonly alphas: readonly number[];
  /** Why the search differs from what was asked (a penalty that did not give a solvable system), if it does. */
  readonly note: string | undefined;
}

/**
 * Fits the linear valence–arousal head on sentence embeddings by ridge regression
 * (@carl/eval-benchmarks' `fitRidge`), robust to a badly trained encoder:
 *
 * - The features are centred and scaled in float64 first (two passes). `fitRidge` standardises too,
 *   but from sums of squares, which cancel catastrophically when a diverged encoder gives huge,
 *   nearly constant embeddings — the "matrix is not positive definite" failure. Ridge on
 *   standardised features is invariant to this pre-scaling, so a healthy run gets the same head.
 * - The penalty is cross-validated (or the given one is used); a penalty whose system still cannot
 *   be solved is dropped and larger ones are tried, up to 10⁹, so some head always comes out.
 * - Non-finite embeddings cannot give a head: `NUMERIC_INSTABILITY` naming how many rows.
 *
 * @example
 * ```ts
 * const { head } = fitHeadOnEmbeddings(embeddings, rows.map((r) => [r.va.valence, r.va.arousal]));
 * ```
 */
export function fitHeadOnEmbeddings(x: readonly NumericRow[], y: readonly (readonly number[])[], options: HeadFitOptions = {}): HeadFit {
  const n = x.length;
  if (n < 2) throw new CarlError('INVALID_DATA', `the VA head needs at least 2 rows, got ${n}`, { field: 'rows' });
  const d = (x[0] as NumericRow).length;
  const bad = x.filter((row) => !Array.prototype.every.call(row, Number.isFinite)).length;
  if (bad > 0) {
    throw new CarlError(
      'NUMERIC_INSTABILITY',
      `the encoder gives non-finite embeddings for ${bad} of ${n} rows, so no VA head can be fitted: training diverged. Resume from an earlier checkpoint or train again with a lower learningRate`,
      { field: 'embeddings' },
    );
  }
  const mean = new Float64Array(d);
  for (const row of x) for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (row[j] as number) / n;
  const scale = new Float64Array(d);
  for (const row of x) for (let j = 0; j < d; j++) scale[j] = (scale[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2 / n;
  for (let j = 0; j < d; j++) {
    const sd = Math.sqrt(scale[j] as number);
    // Rounding-level spread (relative to the feature's size) carries no information: weight 0.
    scale[j] = sd > 1e-12 * Math.max(Math.abs(mean[j] as number), 1e-30) && Number.isFinite(1 / sd) ? sd : 0;
  }
  const z = x.map((row) => {
    const out = new Float64Array(d);
    for (let j = 0; j < d; j++) out[j] = scale[j] === 0 ? 0 : ((row[j] as number) - (mean[j] as number)) / (scale[j] as number);
    return out;
  });

  const asked = options.ridgeAlpha !== undefined && options.ridgeAlpha > 0 ? [options.ridgeAlpha] : [...DEFAULT_RIDGE_ALPHAS];
  let grid = asked;
  let note: string | undefined;
  let probe: RidgeProbe | undefined;
  while (probe === undefined) {
    try {
      probe = fitRidge(z, y, grid.length === 1 ? { alphas: grid } : { alphas: grid, seed: options.seed ?? 0 });
    } catch (error) {
      if (!isCarlError(error, 'NUMERIC_INSTABILITY')) throw error;
      // Drop the smallest penalty; past the grid, try ten times larger ones.
      const next = grid.length > 1 ? grid.slice(1) : [(grid[0] as number) * 10];
      if ((next[0] as number) > 1e9) throw error;
      note = `ridge penalty ${grid[0]} gave an unsolvable system; searched ${next.join(', ')} instead`;
      grid = next;
    }
  }
  const weights: number[][] = [];
  const intercept = [...probe.intercept];
  for (let j = 0; j < d; j++) {
    const s = scale[j] as number;
    const w = (probe.weights[j] as readonly number[]).map((v) => (s === 0 ? 0 : v / s));
    weights.push(w);
    w.forEach((wc, c) => (intercept[c] = (intercept[c] as number) - (mean[j] as number) * wc));
  }
  return { head: { kind: 'ridge', alpha: [...probe.alpha], weights, intercept, trainedOn: n }, alphas: grid, note };
}

/**
 * Embeds the training rows with `encoder` (each once, no dropout) and fits the VA head on them with
 * {@link fitHeadOnEmbeddings}.
 *
 * @example
 * ```ts
 * const { head } = fitVAHeadOn(encoder, rows, { maxLength: 128, seed: 42 });
 * ```
 */
export function fitVAHeadOn(encoder: Encoder, rows: readonly TrainingRow[], options: HeadFitOptions & { readonly maxLength: number }): HeadFit {
  const x = embedTexts(encoder, rows.map((r) => r.text), { maxLength: options.maxLength });
  return fitHeadOnEmbeddings(
    x,
    rows.map((r) => [r.va.valence, r.va.arousal]),
    { ...(options.ridgeAlpha === undefined ? {} : { ridgeAlpha: options.ridgeAlpha }), ...(options.seed === undefined ? {} : { seed: options.seed }) },
  );
}
