import type { LabeledText, RatingScale } from '@carl/core';
import type { LoadReport } from './report';

/** The split names CARL uses (`validation`/`val` in source files are read as `dev`). */
export type SplitName = 'train' | 'dev' | 'test';

/**
 * Rows per split. Corpora without an official split put every row in `train`; make folds with
 * `kFold` or a held-out set with `trainTestSplit`.
 */
export interface DatasetSplits {
  readonly train: readonly LabeledText[];
  readonly dev?: readonly LabeledText[];
  readonly test?: readonly LabeledText[];
}

/** Where a built-in corpus comes from and under what terms. */
export interface DatasetInfo {
  readonly title: string;
  /** `owner/name` of the pinned GitHub repository. */
  readonly repository: string;
  readonly commit: string;
  /** The licence as its source states it; several corpora are research-only or non-commercial. */
  readonly license: string;
  readonly citation: string;
}

/** A loaded corpus. */
export interface Dataset {
  readonly name: string;
  readonly splits: DatasetSplits;
  /** True when `dev`/`test` are the corpus's official splits (false: everything is in `train`). */
  readonly officialSplits: boolean;
  /** Category labels, in the corpus's own order, for categorical corpora. */
  readonly labelNames?: readonly string[];
  /** True when a row may carry several labels (GoEmotions). */
  readonly multiLabel: boolean;
  /** The scale the ratings were published on (rows hold them mapped to [−1, 1]). */
  readonly scale?: RatingScale;
  readonly info?: DatasetInfo;
  readonly report: LoadReport;
}

/**
 * Every row of a dataset, train then dev then test.
 *
 * @example
 * ```ts
 * const folds = kFold(allRows(await loadDataset('mr')), 10, { seed: 1 });
 * ```
 */
export function allRows(dataset: Dataset): LabeledText[] {
  const { train, dev = [], test = [] } = dataset.splits;
  return [...train, ...dev, ...test];
}
