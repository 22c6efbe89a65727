// Public API of @carl/trainer: the CARL trainer (with its baselines and ablations), trained models,
// configuration, and the `carl` command line as a function.
export { trainCarl } from './train';
export type { TrainOptions, TrainResult, StepRecord, StepReport, TrainerState } from './train';
export { abortOnSignals, RunInterrupted } from './interrupt';
export type { AbortOnSignalsOptions, SignalAbort } from './interrupt';
export { refitVAHead } from './refit';
export type { RefitOptions, RefitProgress, RefitResult } from './refit';
export { prepareRunDir } from './run-dir';
export type { MemoryFigures } from './run-memory';
export { resolveConfig, readConfigFile, checkPartialConfig, changedOptions, DEFAULT_CONFIG, CONFIG_OPTIONS, TRAIN_METHODS } from './config';
export type { TrainConfig, TrainMethod, OptionSpec, OptionGroup, ConfigLayer, ConfigSource } from './config';
export { METHOD_TRAITS } from './methods';
export type { MethodTraits, ContrastiveObjective } from './methods';
export { planMemory, estimateMemory, backendMemoryLimit } from './memory';
export type { MemoryPlan, MemoryEstimate, EncoderShape, EstimateOptions, PlanOptions, RecomputeChoice } from './memory';
export { loadCarlModel, CarlModel, MODEL_INFO_FILE } from './model';
export type { CarlModelInfo, VAHead, LoadModelOptions } from './model';
export { embedTexts } from '@carl/encoder';
export type { EmbedTextsOptions } from '@carl/encoder';
export { defaultEncoderStore, variablesStore } from './encoder-store';
export type { EncoderStore } from './encoder-store';
export { lengthBucketedBatches, mixingCounts, BatchSchedule } from './batching';
export type { BucketOptions, CorpusShare, BatchScheduleOptions } from './batching';
export type { CheckpointRef, SkippedCheckpoint } from './checkpoint';
export { createProgress, formatDuration } from './progress';
export type { ProgressReporter, ProgressOptions, ProgressUpdate, ProgressStream } from './progress';
export { runCli, exitCodeFor, EXIT_CODES } from './cli/main';
export type { CliIO } from './cli/main';
