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
export type { SparseMatrix, Features } from './sparse';
export { fitTfidf, tokenizeWords } from './tfidf';
export { normalizeSentence, splitSentences, decontaminate, contaminationSet } from './decontaminate';
export type { DecontaminationReport } from './decontaminate';
export type { TfidfOptions, TfidfVectorizer } from './tfidf';

// Tasks and evaluation
export { runTask, tfidfFeaturizer } from './tasks';
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
  Featurizer,
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
export { meanStd, pairedTest, pairedBootstrap, holm, bootstrapMean } from './stats';
export type { MeanStd, PairedTestMethod, PairedTestOptions, PairedTestResult, PairedBootstrapOptions, PairedBootstrapResult, BootstrapMeanOptions, BootstrapMeanResult } from './stats';

// Reports
export { formatTable, toMarkdown, aggregateReports, compareModels, metricColumns, taskBarChartSvg, taskPanelsSvg } from './report';
export type { MetricColumn, ReportDetail, MetricSummary, AggregateReport, TableOptions, ModelComparison, TaskPanelsOptions } from './report';

// Pictures
export { pca } from './pca';
export type { PcaOptions, PcaResult } from './pca';
export { projectionSvgs, trainingCurvesSvg, trainingCurvePanelsSvg } from './charts';
export type { ProjectionOptions, ProjectionSvgs, TrainingCurvesOptions, CurveFamily } from './charts';
export { scatterSvg, lineChartSvg, barChartSvg, dotChartSvg, panelGridSvg, seriesStyles, niceTicks, divergingColor, CATEGORICAL_COLORS, SERIES_COLORS, SERIES_MARKERS, DIVERGING_COLORS } from './svg';
export type { ChartOptions, ScatterOptions, LineSeries, LineChartOptions, BarSeries, BarChartOptions, DotChartOptions, PanelGridOptions, SeriesStyle, MarkerShape } from './svg';
