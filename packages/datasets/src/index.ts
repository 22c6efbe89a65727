// Public API of @carl/datasets: dataset resolution (local, cache, pinned download), loaders for the
// affective corpora, a bring-your-own-corpus table loader, and seeded splits.
export { resolveDataset, resolveDatasetFiles, datasetSpec, defaultCacheDir } from './resolve';
export type { ResolveOptions, ResolvedFiles, Fetcher, FetchResult, DownloadProgress } from './resolve';
export { DATASETS, DATASET_NAMES, fileUrl } from './registry';
export type { DatasetName, DatasetSpec, DatasetFile } from './registry';
export {
  loadDataset,
  loadEmoBank,
  loadFacebookVA,
  loadGoEmotions,
  loadDairAiEmotion,
  loadIsear,
  loadSentimentTransfer,
  loadWarrinerWords,
  SAM_1_5,
  SCALE_1_9,
  DAIR_AI_LABELS,
  ISEAR_LABELS,
  SST2_LABELS,
  SST5_LABELS,
} from './loaders';
export type {
  CommonLoadOptions,
  DatasetOptionsMap,
  EmoBankOptions,
  EmoBankPerspective,
  FacebookVAOptions,
  GoEmotionsOptions,
  GoEmotionsTaxonomy,
  IsearOptions,
  SentimentTransferName,
  WarrinerOptions,
} from './loaders';
export { loadTable } from './table';
export type { LoadTableOptions, TableFormat, ColumnRef, VAColumns, RowOptions } from './table';
export { readTextTable } from './text-table';
export type { ReadTextTableOptions, TextTableFormat, TextRow, TextTable } from './text-table';
export type { TextEncoding } from './decode';
export type { Quoting } from './delimited';
export { kFold, trainTestSplit } from './splits';
export type { Fold, SplitOptions, TrainTestOptions, Stratify } from './splits';
export { allRows } from './types';
export type { Dataset, DatasetSplits, DatasetInfo, SplitName } from './types';
export type { LoadReport, SkippedRow, SkipReason } from './report';
export type { LabeledText, VA, RatingScale } from '@carl/core';
