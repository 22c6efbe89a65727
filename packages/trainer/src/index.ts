// Public API of @carl/trainer: the CARL trainer (with its baselines and ablations), trained models,
// configuration, and the `carl` command line as a function.
export { trainCarl } from './train';
export type { TrainOptions, TrainResult, StepRecord, StepReport, TrainerState } from './train';
export {
  resolveConfig,
  readConfigFile,
  parseConfigFlags,
  checkPartialConfig,
  changedOptions,
  toFlagName,
  fromFlagName,
  DEFAULT_CONFIG,
  CONFIG_OPTIONS,
  TRAIN_METHODS,
} from './config';
export type { TrainConfig, TrainMethod, OptionSpec, OptionGroup, ConfigLayer, ConfigSource } from './config';
export { METHOD_TRAITS } from './methods';
export type { MethodTraits } from './methods';
export { loadCarlModel, CarlModel, MODEL_INFO_FILE } from './model';
export type { CarlModelInfo, VAHead, LoadModelOptions } from './model';
export { embedTexts } from './embed';
export type { EmbedTextsOptions } from './embed';
export { defaultEncoderStore, variablesStore } from './encoder-store';
export type { EncoderStore } from './encoder-store';
export { lengthBucketedBatches, mixingCounts, BatchSchedule } from './batching';
export type { BucketOptions, CorpusShare, BatchScheduleOptions } from './batching';
export type { CheckpointRef } from './checkpoint';
export { createProgress, formatDuration } from './progress';
export type { ProgressReporter, ProgressOptions, ProgressUpdate, ProgressStream } from './progress';
export { readTextFile } from './text-input';
export type { InputText, ReadTextOptions } from './text-input';
export { runCli, exitCodeFor, EXIT_CODES } from './cli/main';
export type { CliIO } from './cli/main';
