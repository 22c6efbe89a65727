import { CarlError } from '@carl/core';
import type { EvaluationReport } from './evaluate';
import { barChartSvg, dotChartSvg, panelGridSvg, seriesStyles, type SeriesStyle } from './svg';
import { meanStd, pairedTest, type PairedTestMethod } from './stats';
import type { TaskResult } from './tasks';

/** One reported number of one task. */
export interface MetricColumn {
  readonly task: string;
  /** Path inside the task's `metrics`, e.g. `valence.pearson` or `accuracy`. */
  readonly metric: string;
  /** Short label for tables, e.g. `V r`. */
  readonly label: string;
  readonly higherIsBetter: boolean;
}

/** Which metrics tables show: the headline ones (Pearson r; accuracy and macro-F1; align and uniform) or all. */
export type ReportDetail = 'headline' | 'all';

/** A metric over the runs of one model (e.g. three seeds). */
export interface MetricSummary {
  readonly mean: number;
  readonly std: number;
  /** Runs with a defined value. */
  readonly n: number;
  /** The value of each run, in report order (NaN where undefined). */
  readonly values: readonly number[];
  /** The seed of each run, aligned with `values`. */
  readonly seeds: readonly number[];
}

/** Reports grouped by model: one row per model, one summary per metric column. */
export interface AggregateReport {
  readonly columns: readonly MetricColumn[];
  readonly rows: readonly {
    readonly model: string;
    readonly runs: number;
    /** Keyed by `${task}/${metric}`. */
    readonly cells: Readonly<Record<string, MetricSummary>>;
  }[];
}

/** Options of the table writers. */
export interface TableOptions {
  /** Default `headline`. */
  readonly detail?: ReportDetail;
  /** Decimals. Default 3. */
  readonly digits?: number;
}

const AXIS_LABEL = { valence: 'V', arousal: 'A' } as const;

/**
 * The metric columns a task result contributes to a table.
 *
 * @example
 * ```ts
 * metricColumns(result).map((c) => c.label); // ['V r', 'A r'] for a VA task
 * ```
 */
export function metricColumns(result: TaskResult, detail: ReportDetail = 'headline'): MetricColumn[] {
  const col = (metric: string, label: string, higherIsBetter = true): MetricColumn => ({ task: result.task, metric, label, higherIsBetter });
  switch (result.kind) {
    case 'va': {
      const axes = ['valence', 'arousal'] as const;
      if (detail === 'headline') return axes.map((a) => col(`${a}.pearson`, `${AXIS_LABEL[a]} r`));
      return axes.flatMap((a) => [
        col(`${a}.pearson`, `${AXIS_LABEL[a]} r`),
        col(`${a}.spearman`, `${AXIS_LABEL[a]} ρ`),
        col(`${a}.rmse`, `${AXIS_LABEL[a]} RMSE ↓`, false),
        col(`${a}.mae`, `${AXIS_LABEL[a]} MAE ↓`, false),
      ]);
    }
    case 'classification':
      return [col('accuracy', 'acc'), col('macroF1', 'macro-F1')];
    case 'align-uniform':
      return [col('alignment', 'align ↓', false), col('uniformity', 'uniform ↓', false)];
  }
}

function metricValue(result: TaskResult, metric: string): number {
  let value: unknown = result.metrics;
  for (const key of metric.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' ? value : Number.NaN;
}

/**
 * Groups reports by `model` (runs of the same model, e.g. seeds, are summarised as mean ± std) and
 * lines up every metric of every task.
 *
 * @example
 * ```ts
 * const agg = aggregateReports([carlSeed1, carlSeed2, simcseSeed1, simcseSeed2]);
 * agg.rows[0].cells['emobank-va/valence.pearson']; // { mean, std, n: 2, values, seeds }
 * ```
 */
export function aggregateReports(reports: EvaluationReport | readonly EvaluationReport[], detail: ReportDetail = 'headline'): AggregateReport {
  const list = Array.isArray(reports) ? (reports as readonly EvaluationReport[]) : [reports as EvaluationReport];
  if (list.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no reports', { field: 'reports' });
  const columns: MetricColumn[] = [];
  const seen = new Set<string>();
  for (const report of list) {
    for (const result of report.tasks) {
      for (const c of metricColumns(result, detail)) {
        const key = `${c.task}/${c.metric}`;
        if (!seen.has(key)) {
          seen.add(key);
          columns.push(c);
        }
      }
    }
  }
  const groups = new Map<string, EvaluationReport[]>();
  list.forEach((report, i) => {
    const model = report.model ?? (list.length === 1 ? 'model' : `run ${i + 1}`);
    const group = groups.get(model);
    if (group === undefined) groups.set(model, [report]);
    else group.push(report);
  });
  const rows = [...groups.entries()].map(([model, runs]) => {
    const cells: Record<string, MetricSummary> = {};
    for (const c of columns) {
      const values = runs.map((r) => {
        const result = r.tasks.find((t) => t.task === c.task);
        return result === undefined ? Number.NaN : metricValue(result, c.metric);
      });
      const { mean, std, n } = meanStd(values);
      cells[`${c.task}/${c.metric}`] = { mean, std, n, values, seeds: runs.map((r) => r.seed) };
    }
    return { model, runs: runs.length, cells };
  });
  return { columns, rows };
}

function cellText(s: MetricSummary | undefined, digits: number): string {
  if (s === undefined || s.n === 0) return 'n/a';
  return s.n > 1 ? `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}` : s.mean.toFixed(digits);
}

function bestModel(agg: AggregateReport, c: MetricColumn): number {
  let best = -1;
  agg.rows.forEach((row, i) => {
    const v = row.cells[`${c.task}/${c.metric}`]?.mean ?? Number.NaN;
    if (Number.isNaN(v)) return;
    const current = best < 0 ? Number.NaN : ((agg.rows[best] as AggregateReport['rows'][number]).cells[`${c.task}/${c.metric}`] as MetricSummary).mean;
    if (best < 0 || (c.higherIsBetter ? v > current : v < current)) best = i;
  });
  return best;
}

/**
 * A plain-text table for the terminal: one line per task metric, one column per model (mean ± std
 * when a model has several runs). `↓` marks metrics where lower is better.
 *
 * @example
 * ```ts
 * console.log(formatTable(await evaluate({ embed, tasks: ['emobank-va', 'sst2'] })));
 * // task        metric  model
 * // emobank-va  V r     0.412
 * // …
 * ```
 */
export function formatTable(reports: EvaluationReport | readonly EvaluationReport[], options: TableOptions = {}): string {
  const agg = aggregateReports(reports, options.detail ?? 'headline');
  const digits = options.digits ?? 3;
  const header = ['task', 'metric', ...agg.rows.map((r) => (r.runs > 1 ? `${r.model} (${r.runs} runs)` : r.model))];
  const body = agg.columns.map((c, i) => [
    i > 0 && (agg.columns[i - 1] as MetricColumn).task === c.task ? '' : c.task,
    c.label,
    ...agg.rows.map((r) => cellText(r.cells[`${c.task}/${c.metric}`], digits)),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => (row[j] as string).length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, j) => (j < 2 ? cell.padEnd(widths[j] as number) : cell.padStart(widths[j] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/**
 * The same table in GitHub Markdown, the best model of each metric in bold.
 *
 * @example
 * ```ts
 * fs.writeFileSync('results.md', toMarkdown(allRuns, { detail: 'all' }));
 * ```
 */
export function toMarkdown(reports: EvaluationReport | readonly EvaluationReport[], options: TableOptions = {}): string {
  const agg = aggregateReports(reports, options.detail ?? 'headline');
  const digits = options.digits ?? 3;
  const escape = (s: string): string => s.replace(/\|/g, '\\|');
  const header = ['task', 'metric', ...agg.rows.map((r) => escape(r.runs > 1 ? `${r.model} (n=${r.runs})` : r.model))];
  const lines = [`| ${header.join(' | ')} |`, `| --- | --- |${agg.rows.map(() => ' ---: |').join('')}`];
  agg.columns.forEach((c, i) => {
    const best = agg.rows.length > 1 ? bestModel(agg, c) : -1;
    const cells = agg.rows.map((r, j) => {
      const text = cellText(r.cells[`${c.task}/${c.metric}`], digits);
      return j === best ? `**${text}**` : text;
    });
    const task = i > 0 && (agg.columns[i - 1] as MetricColumn).task === c.task ? '' : escape(c.task);
    lines.push(`| ${task} | ${escape(c.label)} | ${cells.join(' | ')} |`);
  });
  return lines.join('\n') + '\n';
}

/** One metric of a {@link compareModels} comparison. */
export interface ModelComparison {
  readonly task: string;
  readonly metric: string;
  readonly label: string;
  readonly higherIsBetter: boolean;
  readonly model: MetricSummary;
  readonly baseline: MetricSummary;
  /** mean(model − baseline) over the seeds both have; positive = model ahead when higher is better. */
  readonly meanDifference: number;
  /** Two-sided p of the paired test over seeds (NaN with fewer than 2 shared seeds). */
  readonly p: number;
  /** Seeds used in the pairing. */
  readonly seeds: readonly number[];
  /** Whether the model is better on this metric (by mean). */
  readonly better: boolean;
}

/**
 * Compares one model against a baseline on every metric, pairing their runs by seed and testing the
 * differences (paired t-test by default; see {@link pairedTest} for the caveats with 3 seeds).
 *
 * @example
 * ```ts
 * const rows = compareModels(allReports, 'carl', 'simcse');
 * rows.filter((r) => r.better && r.p < 0.05);
 * ```
 */
export function compareModels(reports: readonly EvaluationReport[], model: string, baseline: string, options: { readonly detail?: ReportDetail; readonly method?: PairedTestMethod } = {}): ModelComparison[] {
  const agg = aggregateReports(reports, options.detail ?? 'headline');
  const find = (name: string) => {
    const row = agg.rows.find((r) => r.model === name);
    if (row === undefined) throw new CarlError('INVALID_ARGUMENT', `no report for model "${name}" (have ${agg.rows.map((r) => r.model).join(', ')})`, { field: 'model' });
    return row;
  };
  const a = find(model);
  const b = find(baseline);
  return agg.columns.flatMap((c) => {
    const key = `${c.task}/${c.metric}`;
    const sa = a.cells[key] as MetricSummary;
    const sb = b.cells[key] as MetricSummary;
    if (sa === undefined || sb === undefined) return [];
    const pairs: [number, number, number][] = [];
    sa.seeds.forEach((seed, i) => {
      const j = sb.seeds.indexOf(seed);
      const va = sa.values[i] as number;
      const vb = j < 0 ? Number.NaN : (sb.values[j] as number);
      if (j >= 0 && Number.isFinite(va) && Number.isFinite(vb)) pairs.push([seed, va, vb]);
    });
    const diff = pairs.length === 0 ? Number.NaN : pairs.reduce((s, [, x, y]) => s + x - y, 0) / pairs.length;
    const p = pairs.length < 2 ? Number.NaN : pairedTest(pairs.map((q) => q[1]), pairs.map((q) => q[2]), { method: options.method ?? 't' }).p;
    return [{
      task: c.task,
      metric: c.metric,
      label: c.label,
      higherIsBetter: c.higherIsBetter,
      model: sa,
      baseline: sb,
      meanDifference: diff,
      p,
      seeds: pairs.map((q) => q[0]),
      better: c.higherIsBetter ? sa.mean > sb.mean : sa.mean < sb.mean,
    }];
  });
}

/**
 * Per-task bars (one series per model, mean ± std over runs) of the headline scores where higher is
 * better: Pearson r for valence and arousal, accuracy (or macro-F1) for classes. Alignment and
 * uniformity live on another scale and are left out.
 *
 * @example
 * ```ts
 * fs.writeFileSync('tasks.svg', taskBarChartSvg(allReports, { classMetric: 'macroF1' }));
 * ```
 */
export function taskBarChartSvg(reports: EvaluationReport | readonly EvaluationReport[], options: { readonly classMetric?: 'accuracy' | 'macroF1'; readonly title?: string } = {}): string {
  const agg = aggregateReports(reports, 'headline');
  const classMetric = options.classMetric ?? 'accuracy';
  const columns = agg.columns.filter((c) => c.higherIsBetter && (c.metric.includes('.') || c.metric === classMetric));
  if (columns.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no VA or classification task in the reports', { field: 'reports' });
  return barChartSvg({
    title: options.title ?? 'Scores per task (mean ± std over runs)',
    yLabel: `Pearson r (VA) / ${classMetric === 'accuracy' ? 'accuracy' : 'macro-F1'} (classes)`,
    categories: columns.map((c) => (c.metric.includes('.') ? `${c.task} ${c.label.split(' ')[0]}` : c.task)),
    series: agg.rows.map((r) => ({
      name: r.model,
      values: columns.map((c) => (r.cells[`${c.task}/${c.metric}`] as MetricSummary).mean),
      errors: columns.map((c) => {
        const s = r.cells[`${c.task}/${c.metric}`] as MetricSummary;
        return s.n > 1 ? s.std : Number.NaN;
      }),
    })),
  });
}

/** Options of {@link taskPanelsSvg}. */
export interface TaskPanelsOptions {
  /** Style per model; give the same map to every figure. Default: {@link seriesStyles} of the models in report order. */
  readonly styles?: ReadonlyMap<string, SeriesStyle>;
  /** Which class metric to show. Default `accuracy`. */
  readonly classMetric?: 'accuracy' | 'macroF1';
  readonly title?: string;
  /** Panels per row. Default 4. */
  readonly columns?: number;
}

/**
 * Small multiples of the headline scores: one panel per task and metric, each with its own y range
 * (fitted to the data, not to 0, so the differences that matter are visible) and the metric named on
 * its axis; one marker per model with ± std over runs; one shared legend. Alignment and uniformity are
 * included with their "lower is better" noted.
 *
 * @example
 * ```ts
 * fs.writeFileSync('tasks.svg', taskPanelsSvg(allReports, { styles: seriesStyles(['none', 'simcse', 'carl']) }));
 * ```
 */
export function taskPanelsSvg(reports: EvaluationReport | readonly EvaluationReport[], options: TaskPanelsOptions = {}): string {
  const agg = aggregateReports(reports, 'headline');
  const classMetric = options.classMetric ?? 'accuracy';
  const columns = agg.columns.filter((c) => c.metric.includes('.') || c.metric === classMetric || !c.higherIsBetter);
  if (columns.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no task in the reports', { field: 'reports' });
  const styles = options.styles ?? seriesStyles(agg.rows.map((r) => r.model));
  const fallback = seriesStyles(agg.rows.map((r) => r.model));
  // A model missing from the given map falls back to its position, so a partial map never drops a series.
  const styleOf = (model: string): SeriesStyle => styles.get(model) ?? (fallback.get(model) as SeriesStyle);
  const metricName = (c: MetricColumn): string => {
    if (c.metric.includes('.')) return `Pearson r, ${c.metric.split('.')[0]}`;
    return { accuracy: 'accuracy', macroF1: 'macro-F1', alignment: 'alignment (lower is better)', uniformity: 'uniformity (lower is better)' }[c.metric] ?? c.metric;
  };
  const panels = columns.map((c) =>
    dotChartSvg({
      title: c.metric.includes('.') ? `${c.task} · ${c.metric.split('.')[0]}` : c.higherIsBetter ? c.task : `${c.task} · ${c.metric}`,
      yLabel: metricName(c),
      itemLabels: false,
      items: agg.rows.map((r) => {
        const cell = r.cells[`${c.task}/${c.metric}`] as MetricSummary;
        return { name: r.model, value: cell.mean, ...(cell.n > 1 ? { error: cell.std } : {}), style: styleOf(r.model) };
      }),
    }),
  );
  return panelGridSvg(panels, {
    title: options.title ?? 'Scores per task (mean ± std over runs; each panel on its own scale)',
    columns: options.columns ?? 4,
    legend: agg.rows.map((r) => ({ name: r.model, style: styleOf(r.model) })),
  });
}
