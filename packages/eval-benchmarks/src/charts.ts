import { CarlError, type VA } from '@carl/core';
import { pca, type PcaResult } from './pca';
import { lineChartSvg, scatterSvg } from './svg';
import type { NumericRow } from './validate';

/** Options of {@link projectionSvgs}. */
export interface ProjectionOptions {
  /** Prefix of both titles, e.g. the model name. */
  readonly title?: string;
  /** Hover text per point (e.g. the sentences). */
  readonly labels?: readonly string[];
  /** Seed of the PCA start. Default 0. */
  readonly seed?: number;
  readonly width?: number;
  readonly height?: number;
}

/** The two pictures of {@link projectionSvgs} and the projection behind them. */
export interface ProjectionSvgs {
  readonly valence: string;
  readonly arousal: string;
  readonly pca: PcaResult;
}

/**
 * Projects embeddings onto their first two principal components and draws them twice, coloured by
 * valence and by arousal on a fixed [−1, 1] scale. A space that has learned affect shows a colour
 * gradient across the cloud; an untrained one shows speckle. PCA rather than t-SNE/UMAP: it is
 * deterministic, has no tuning knobs, and keeps distances meaningful, so two models' pictures compare.
 *
 * @example
 * ```ts
 * const { valence, arousal } = projectionSvgs(vectors, rows.map((r) => r.va!), { title: 'carl' });
 * fs.writeFileSync('valence.svg', valence);
 * ```
 */
export function projectionSvgs(embeddings: readonly NumericRow[], labels: readonly VA[], options: ProjectionOptions = {}): ProjectionSvgs {
  if (embeddings.length !== labels.length) {
    throw new CarlError('SHAPE_MISMATCH', `${embeddings.length} embeddings but ${labels.length} VA labels`, { field: 'labels' });
  }
  const projection = pca(embeddings, { components: 2, seed: options.seed ?? 0 });
  const [r1, r2] = projection.explainedRatio.map((r) => `${(100 * r).toFixed(1)} %`);
  const common = {
    points: projection.projected,
    xLabel: `PC1 (${r1} of variance)`,
    yLabel: `PC2 (${r2})`,
    colorDomain: [-1, 1] as const,
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    ...(options.width === undefined ? {} : { width: options.width }),
    ...(options.height === undefined ? {} : { height: options.height }),
  };
  const prefix = options.title === undefined ? '' : `${options.title}: `;
  return {
    valence: scatterSvg({ ...common, values: labels.map((l) => l.valence), title: `${prefix}PCA of embeddings, coloured by valence`, colorLabel: 'valence' }),
    arousal: scatterSvg({ ...common, values: labels.map((l) => l.arousal), title: `${prefix}PCA of embeddings, coloured by arousal`, colorLabel: 'arousal' }),
    pca: projection,
  };
}

/** Options of {@link trainingCurvesSvg}. */
export interface TrainingCurvesOptions {
  /** The field holding the x value of each record. Default `step`. */
  readonly x?: string;
  /** Fields to draw, one line each. Default: every numeric field except `x`, in first-seen order. */
  readonly keys?: readonly string[];
  readonly title?: string;
  readonly yLabel?: string;
  /** Log-scale the y axis (losses over several decades). Default false. */
  readonly logY?: boolean;
  readonly width?: number;
  readonly height?: number;
}

/**
 * Training curves from a trainer's log records (`{ step, loss, mccl, ptd, lr, … }` per line of a
 * metrics log), one line per numeric field. A record that lacks a field leaves a gap in that line,
 * so losses logged every step and validation scores logged every epoch can share one chart.
 *
 * @example
 * ```ts
 * const records = fs.readFileSync('runs/carl/metrics.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
 * fs.writeFileSync('loss.svg', trainingCurvesSvg(records, { keys: ['loss', 'mccl', 'ptd'], title: 'CARL training' }));
 * ```
 */
export function trainingCurvesSvg(records: readonly Readonly<Record<string, unknown>>[], options: TrainingCurvesOptions = {}): string {
  const xKey = options.x ?? 'step';
  const keys =
    options.keys ??
    [...new Set(records.flatMap((r) => Object.keys(r).filter((k) => k !== xKey && typeof r[k] === 'number')))];
  if (keys.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no numeric field to draw', { field: 'keys' });
  const xs = records.map((r, i) => {
    const v = r[xKey];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new CarlError('INVALID_ARGUMENT', `record ${i} has no numeric "${xKey}"`, { field: `records[${i}].${xKey}` });
    return v;
  });
  return lineChartSvg({
    series: keys.map((key) => ({ name: key, x: xs, y: records.map((r) => (typeof r[key] === 'number' ? (r[key] as number) : Number.NaN)) })),
    xLabel: xKey,
    ...(options.yLabel === undefined ? {} : { yLabel: options.yLabel }),
    ...(options.title === undefined ? {} : { title: options.title }),
    ...(options.logY === undefined ? {} : { logY: options.logY }),
    ...(options.width === undefined ? {} : { width: options.width }),
    ...(options.height === undefined ? {} : { height: options.height }),
  });
}
