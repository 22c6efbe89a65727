// Public API of @carl/eval-benchmarks: metrics, frozen-embedding probes, tasks and the evaluation
// runner, statistics for comparing runs, report tables and dependency-free SVG charts.

// Metrics
export { pearson, spearman, averageRanks, rmse, mae, accuracy, macroF1, confusionMatrix, perClassScores, alignment, uniformity } from './metrics';
export type { ClassLabel, ConfusionMatrix, ClassScores } from './metrics';

// Probes on frozen embeddings
export type { NumericRow } from './validate';
export { fitRidge, DEFAULT_RIDGE_ALPHAS } from './ridge';
export type { RidgeOptions, RidgeProbe } from './ridge';
export { fitLogistic, DEFAULT_LOGISTIC_L2 } from './logistic';
export type { LogisticOptions, LogisticProbe } from './logistic';
export { assignFolds } from './folds';

// Tasks and evaluation
export { runTask } from './tasks';
export { DEFAULT_ALIGN_THRESHOLD, ALIGN_UNIFORM_MAX_ROWS } from './constants';
export type {
  TaskKind,
  SplitRule,
  TaskRows,
  TaskContext,
  TaskSpec,
  AxisMetrics,
  VAMetrics,
  ClassMetrics,
  AlignUniformMetrics,
  TaskProtocol,
  Predictions,
  VATaskResult,
  ClassificationTaskResult,
  AlignUniformTaskResult,
  TaskResult,
  RunTaskOptions,
} from './tasks';
export { builtinTask, DEFAULT_TASKS, BUILTIN_TASK_NAMES } from './builtin';
export type { BuiltinTaskName } from './builtin';
export { loadTaskFile, taskFromEntry } from './taskfile';
export type { TaskFileEntry } from './taskfile';
export { evaluate } from './evaluate';
export type { EvaluateOptions, EvaluationReport } from './evaluate';
export { cachedEmbedder } from './embed';
export type { EmbedFunction, CachedEmbedder, CachedEmbedderOptions } from './embed';

// Statistics
export { meanStd, pairedTest, pairedBootstrap } from './stats';
export type { MeanStd, PairedTestMethod, PairedTestOptions, PairedTestResult, PairedBootstrapOptions, PairedBootstrapResult } from './stats';

// Reports
export { formatTable, toMarkdown, aggregateReports, compareModels, metricColumns, taskBarChartSvg } from './report';
export type { MetricColumn, ReportDetail, MetricSummary, AggregateReport, TableOptions, ModelComparison } from './report';

// Pictures
export { pca } from './pca';
export type { PcaOptions, PcaResult } from './pca';
export { projectionSvgs, trainingCurvesSvg } from './charts';
export type { ProjectionOptions, ProjectionSvgs, TrainingCurvesOptions } from './charts';
export { scatterSvg, lineChartSvg, barChartSvg, niceTicks, divergingColor, CATEGORICAL_COLORS, DIVERGING_COLORS } from './svg';
export type { ChartOptions, ScatterOptions, LineSeries, LineChartOptions, BarSeries, BarChartOptions } from './svg';
