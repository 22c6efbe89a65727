import { CarlError, type VA } from '@carl/core';
import { pca, type PcaResult } from './pca';
import { lineChartSvg, panelGridSvg, scatterSvg, type LineSeries } from './svg';
import type { NumericRow } from './validate';

/** Options of {@link projectionSvgs}. */
export interface ProjectionOptions {
  /** Prefix of both titles, e.g. the model name. */
  readonly title?: string;
  /** Hover text per point (e.g. the sentences). */
  readonly labels?: readonly string[];
  /** Seed of the PCA start. Default 0. */
  readonly seed?: number;
  /**
   * Colour range: `labels` (default) — mean ± 2 standard deviations of each axis's labels, so the colours
   * use their full range on the data at hand (the same for every model shown on the same sentences);
   * or a fixed `[lo, hi]`, e.g. `[-1, 1]`.
   */
  readonly colorDomain?: 'labels' | readonly [number, number];
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
 * valence and by arousal on a scale fitted to the labels' spread (mean ± 2 sd: EmoBank's labels have a
 * standard deviation near 0.18, so a fixed [−1, 1] scale would paint nearly every point grey). A space that has learned affect shows a colour
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
    ...(options.labels === undefined ? {} : { labels: options.labels }),
    ...(options.width === undefined ? {} : { width: options.width }),
    ...(options.height === undefined ? {} : { height: options.height }),
  };
  const prefix = options.title === undefined ? 'PCA' : options.title;
  const domainOf = (values: readonly number[]): readonly [number, number] => {
    if (options.colorDomain !== undefined && options.colorDomain !== 'labels') return options.colorDomain;
    const n = values.length;
    const mean = values.reduce((s, v) => s + v, 0) / Math.max(1, n);
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, n - 1));
    return sd > 0 ? [mean - 2 * sd, mean + 2 * sd] : [mean - 1, mean + 1];
  };
  const draw = (axis: 'valence' | 'arousal'): string => {
    const values = labels.map((l) => l[axis]);
    return scatterSvg({ ...common, values, colorDomain: domainOf(values), title: `${prefix} · colour: ${axis}`, colorLabel: axis });
  };
  return {
    valence: draw('valence'),
    arousal: draw('arousal'),
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

/** One loss family of {@link trainingCurvePanelsSvg}: the methods trained with that loss. */
export interface CurveFamily {
  /** Panel title, e.g. `InfoNCE (simcse)`. */
  readonly title: string;
  /** The y-axis label, e.g. `InfoNCE loss`. */
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
}

/**
 * Training curves as small multiples, one panel per loss family (losses of different families are on
 * different scales and must not share an axis), each with labelled axes; give each series its method's
 * style so colours match the other figures.
 *
 * @example
 * ```ts
 * trainingCurvePanelsSvg([{ title: 'MSE', yLabel: 'MSE loss', series: [{ name: 'mse-regression', x: [0, 100], y: [0.3, 0.1] }] }]);
 * ```
 */
export function trainingCurvePanelsSvg(families: readonly CurveFamily[], options: { readonly title?: string; readonly xLabel?: string; readonly columns?: number } = {}): string {
  if (families.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one loss family', { field: 'families' });
  const panels = families.map((f) => lineChartSvg({ title: f.title, yLabel: f.yLabel, xLabel: options.xLabel ?? 'optimiser step', series: f.series, width: 560, height: 320 }));
  return panelGridSvg(panels, { columns: options.columns ?? 2, ...(options.title === undefined ? {} : { title: options.title }) });
}
