import { CarlError, type LabeledText } from '@carl/core';
import { loadDataset, type Dataset, type DatasetName } from '@carl/datasets';
import { DEFAULT_ALIGN_THRESHOLD } from './constants';
import type { TaskContext, TaskRows, TaskSpec } from './tasks';

/** Names of the built-in tasks. */
export type BuiltinTaskName =
  | 'emobank-va'
  | 'fb-va'
  | 'mr'
  | 'cr'
  | 'sst2'
  | 'sst5'
  | 'dair-emotion'
  | 'goemotions-ekman'
  | 'align-uniform'
  | 'subj'
  | 'mpqa'
  | 'isear';

/**
 * The suite the paper's claims call for, in report order: VA prediction, polarity and sentiment
 * transfer, emotion classification, and the geometry of the space. (`subj`, `mpqa` and `isear`
 * are available by name but not run by default.)
 */
export const DEFAULT_TASKS: readonly BuiltinTaskName[] = [
  'emobank-va',
  'fb-va',
  'mr',
  'cr',
  'sst2',
  'sst5',
  'dair-emotion',
  'goemotions-ekman',
  'align-uniform',
];

async function load(name: DatasetName, context: TaskContext, extra: Record<string, unknown> = {}): Promise<Dataset> {
  // Only what the caller set is passed on, so @carl/datasets' own defaults ($CARL_DATA_DIR, cache,
  // pinned download) apply otherwise.
  return loadDataset(name, { ...(context.dataDir === undefined ? {} : { dataDir: context.dataDir }), ...(context.download === undefined ? {} : { download: context.download }), ...extra });
}

function official(dataset: Dataset, filter: (row: LabeledText) => boolean = () => true): TaskRows {
  const { train, test } = dataset.splits;
  if (test === undefined) throw new CarlError('INVALID_DATA', `dataset "${dataset.name}" has no official test split`, { field: dataset.name });
  return { train: train.filter(filter), test: test.filter(filter), ...(dataset.labelNames === undefined ? {} : { labelNames: dataset.labelNames }) };
}

function everything(dataset: Dataset): TaskRows {
  const { train, dev = [], test = [] } = dataset.splits;
  return { train: [...train, ...dev, ...test], ...(dataset.labelNames === undefined ? {} : { labelNames: dataset.labelNames }) };
}

const transfer = (name: 'mr' | 'cr' | 'subj' | 'mpqa', description: string): TaskSpec => ({
  name,
  kind: 'classification',
  split: { type: 'kfold', k: 10 },
  description,
  load: async (context) => everything(await load(name, context)),
});

const BUILTIN: Readonly<Record<BuiltinTaskName, TaskSpec>> = {
  'emobank-va': {
    name: 'emobank-va',
    kind: 'va',
    split: { type: 'official' },
    description: 'EmoBank valence and arousal (combined perspective), ridge probe, official train → test (8,062 / 1,000)',
    load: async (context) => official(await load('emobank', context)),
  },
  'fb-va': {
    name: 'fb-va',
    kind: 'va',
    split: { type: 'kfold', k: 10 },
    description: 'Facebook posts valence and arousal (mean of two annotators), ridge probe, 10-fold CV over 2,895 posts',
    load: async (context) => everything(await load('fb-valence-arousal', context)),
  },
  mr: transfer('mr', 'Movie-review polarity (MR), logistic probe, stratified 10-fold CV over 10,662 sentences'),
  cr: transfer('cr', 'Customer-review polarity (CR), logistic probe, stratified 10-fold CV over 3,775 sentences'),
  subj: transfer('subj', 'Subjectivity (SUBJ), logistic probe, stratified 10-fold CV over 10,000 sentences'),
  mpqa: transfer('mpqa', 'Opinion polarity (MPQA), logistic probe, stratified 10-fold CV over 10,606 phrases'),
  sst2: {
    name: 'sst2',
    kind: 'classification',
    split: { type: 'official' },
    description: 'SST-2 binary sentiment, logistic probe, official train → test (6,920 / 1,821)',
    load: async (context) => official(await load('sst2', context)),
  },
  sst5: {
    name: 'sst5',
    kind: 'classification',
    split: { type: 'official' },
    description: 'SST-5 five-way sentiment, logistic probe, official train → test (8,544 / 2,210)',
    load: async (context) => official(await load('sst5', context)),
  },
  'dair-emotion': {
    name: 'dair-emotion',
    kind: 'classification',
    split: { type: 'official' },
    description: 'dair-ai emotion (6 classes, tweets), logistic probe, official train → test (16,000 / 2,000)',
    load: async (context) => official(await load('dair-ai-emotion', context)),
  },
  'goemotions-ekman': {
    name: 'goemotions-ekman',
    kind: 'classification',
    split: { type: 'official' },
    description: 'GoEmotions in Ekman categories + neutral (7 classes), single-label comments only, logistic probe, official train → test',
    // Multi-label comments have no single right answer for a softmax probe; the usual transfer protocol drops them.
    load: async (context) => official(await load('goemotions', context, { taxonomy: 'ekman' }), (row) => row.labels?.length === 1),
  },
  isear: {
    name: 'isear',
    kind: 'classification',
    split: { type: 'kfold', k: 10 },
    description: 'ISEAR self-reported emotion episodes (7 classes), logistic probe, stratified 10-fold CV over 7,666 texts',
    load: async (context) => everything(await load('isear', context)),
  },
  'align-uniform': {
    name: 'align-uniform',
    kind: 'align-uniform',
    split: { type: 'official' },
    threshold: DEFAULT_ALIGN_THRESHOLD,
    description: 'Alignment (pairs closer than 0.06 in VA) and uniformity of the EmoBank test sentences; lower is better',
    load: async (context) => {
      const dataset = await load('emobank', context);
      return { train: [], test: dataset.splits.test ?? dataset.splits.train };
    },
  },
};

/** Every built-in task name, default suite first. */
export const BUILTIN_TASK_NAMES: readonly BuiltinTaskName[] = [...DEFAULT_TASKS, 'subj', 'mpqa', 'isear'];

/**
 * The spec of a built-in task (kind, split rule, description), e.g. to list them in a CLI.
 *
 * @example
 * ```ts
 * builtinTask('sst5').split; // { type: 'official' }
 * ```
 */
export function builtinTask(name: string): TaskSpec {
  const spec = (BUILTIN as Readonly<Record<string, TaskSpec>>)[name];
  if (spec === undefined) {
    throw new CarlError('INVALID_ARGUMENT', `unknown task "${name}"; built-in tasks are ${BUILTIN_TASK_NAMES.join(', ')} (or pass a TaskSpec / --task-file)`, { field: 'tasks' });
  }
  return spec;
}
