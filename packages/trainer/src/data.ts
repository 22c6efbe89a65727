import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, Random, type Encoder, type LabeledText, type VA } from '@carl/core';
import { DATASET_NAMES, loadDataset, type Dataset, type DatasetName } from '@carl/datasets';
import { WARRINER_FILE, centroidsFor, loadWarrinerNorms, withCentroidVA } from '@carl/va-labeling';
import type { CorpusShare } from './batching';
import type { RunDataSpec } from './run-dir';
import type { TrainConfig } from './config';

/** A training example: run-unique id (`<corpus>/<id>`), text, VA label in [−1, 1] and its corpus. */
export interface TrainingRow {
  readonly id: string;
  readonly text: string;
  readonly va: VA;
  readonly source: string;
}

/**
 * Checks `config.data` names against the built-in corpora before anything heavy runs.
 * Throws `INVALID_CONFIG` naming the unknown corpus.
 */
export function checkDataNames(config: TrainConfig): void {
  for (const name of config.data) {
    if (!(DATASET_NAMES as readonly string[]).includes(name)) {
      throw new CarlError('INVALID_CONFIG', `unknown corpus "${name}" (known: ${DATASET_NAMES.join(', ')}); to train on your own rows pass them to trainCarl({ data })`, {
        field: 'data',
      });
    }
  }
}

/**
 * The folder the corpora are read from: `config.dataDir`, else `$CARL_DATA_DIR`, else undefined
 * (then @carl/datasets uses its cache and may download).
 */
export function dataDirFor(config: TrainConfig, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (config.dataDir !== null) return config.dataDir;
  const fromEnv = env['CARL_DATA_DIR'];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/**
 * Loads the training split of every corpus in `config.data` through @carl/datasets, keeps rows with
 * a VA label (categorical corpora get their categories' VA centroids when `categorical` is
 * `centroids`), and caps each corpus at `maxExamples` with a seeded sample.
 */
export async function loadTrainingRows(config: TrainConfig): Promise<TrainingRow[]> {
  checkDataNames(config);
  const dataDir = dataDirFor(config);
  if (dataDir !== undefined && !fs.existsSync(dataDir)) throw new CarlError('DATASET_NOT_FOUND', 'the data folder does not exist', { file: dataDir, field: 'dataDir' });
  const rows: TrainingRow[] = [];
  for (const name of config.data as readonly DatasetName[]) {
    const dataset = await loadDataset(name, (dataDir === undefined ? {} : { dataDir }) as never);
    let train: readonly LabeledText[] = dataset.splits.train;
    if (train.some((r) => r.va === undefined)) train = await withVA(dataset, train, config, dataDir);
    rows.push(...sample(train, config.maxExamples, config.seed, name).map((r) => toTrainingRow(r, name)));
  }
  return rows;
}

async function withVA(dataset: Dataset, rows: readonly LabeledText[], config: TrainConfig, dataDir: string | undefined): Promise<LabeledText[]> {
  const labelled = rows.filter((r) => r.va !== undefined);
  if (config.categorical === 'skip') {
    if (labelled.length > 0) return labelled;
    throw new CarlError('INVALID_CONFIG', `"${dataset.name}" is a categorical corpus (no valence–arousal ratings); set categorical to "centroids" to map its categories to VA centroids, or leave it out`, {
      field: 'data',
    });
  }
  const normsFile = dataDir === undefined ? undefined : path.join(dataDir, 'warriner-vad-norms', WARRINER_FILE);
  const norms = normsFile !== undefined && fs.existsSync(normsFile) ? await loadWarrinerNorms(normsFile) : undefined;
  const labels = dataset.labelNames ?? [...new Set(rows.flatMap((r) => r.labels ?? []))];
  const centroids = centroidsFor(labels, { scheme: dataset.name, ...(norms === undefined ? {} : { norms }) });
  return withCentroidVA(rows.filter((r) => r.va !== undefined || (r.labels?.length ?? 0) > 0), centroids);
}

function sample(rows: readonly LabeledText[], max: number, seed: number, name: string): LabeledText[] {
  if (max === 0 || rows.length <= max) return [...rows];
  // A per-corpus stream, so adding a corpus does not change another corpus's sample.
  let h = seed >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  const chosen = new Random(h).shuffle(rows.map((_, i) => i)).slice(0, max).sort((a, b) => a - b);
  return chosen.map((i) => rows[i] as LabeledText);
}

function toTrainingRow(row: LabeledText, source: string): TrainingRow {
  return { id: `${source}/${row.id}`, text: row.text, va: { valence: (row.va as VA).valence, arousal: (row.va as VA).arousal }, source };
}

/** Token counts (with special tokens, after truncation) of every row, for length bucketing. */
export function tokenLengths(encoder: Encoder, rows: readonly TrainingRow[], maxLength: number): number[] {
  const lengths: number[] = [];
  for (let start = 0; start < rows.length; start += 512) {
    const batch = encoder.tokenizer.encodeBatch(
      rows.slice(start, start + 512).map((r) => r.text),
      { maxLength },
    );
    for (const mask of batch.attentionMask) lengths.push(mask.reduce((a, b) => a + b, 0));
  }
  return lengths;
}

/**
 * Rows supplied directly (`TrainOptions.data`): keep those with a VA label (all rows for SimCSE),
 * ids made unique per source, grouped by source so the corpora are contiguous.
 */
export function rowsFromLabeled(data: readonly LabeledText[], config: TrainConfig): TrainingRow[] {
  const rows: TrainingRow[] = [];
  data.forEach((row, i) => {
    if (typeof row?.text !== 'string') throw new CarlError('INVALID_DATA', `row ${i} has no text`, { field: `data[${i}].text` });
    const source = row.source ?? 'custom';
    if (row.va === undefined) {
      if (config.method !== 'simcse') return;
    }
    rows.push({ id: `${source}/${row.id}`, text: row.text, va: row.va ?? { valence: 0, arousal: 0 }, source });
  });
  if (rows.length < 2) throw new CarlError('INVALID_DATA', `training needs at least 2 rows with a VA label, got ${rows.length}`, { field: 'data' });
  // Grouped by source (stable), so the corpora are contiguous as the batch schedule expects.
  const order = [...new Set(rows.map((r) => r.source))];
  return order.flatMap((source) => rows.filter((r) => r.source === source));
}

/** The corpora of contiguous rows, with their sizes, in order. */
export function corpusShares(rows: readonly TrainingRow[]): CorpusShare[] {
  const shares: CorpusShare[] = [];
  for (const row of rows) {
    const last = shares.at(-1);
    if (last !== undefined && last.name === row.source) shares[shares.length - 1] = { name: last.name, size: last.size + 1 };
    else shares.push({ name: row.source, size: 1 });
  }
  return shares;
}

/**
 * FNV-1a over ids, texts and labels: detects resuming on different data.
 *
 * @example
 * ```ts
 * dataFingerprint(rows); // '40-9c1f0a3e' (row count, hash)
 * ```
 */
export function dataFingerprint(rows: readonly TrainingRow[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  for (const r of rows) mix(`${r.id}\u0000${r.text}\u0000${r.va.valence},${r.va.arousal}\u0001`);
  return `${rows.length}-${h.toString(16).padStart(8, '0')}`;
}

/** The rows of a run and where they came from (what `run.json` records). */
export interface RunRows {
  readonly rows: TrainingRow[];
  readonly spec: RunDataSpec;
}

/**
 * The training rows of a run: `data` when the caller passes rows, else the corpora of
 * `config.data`; with their corpus sizes and fingerprint.
 *
 * @example
 * ```ts
 * const { rows, spec } = await runRows(config, undefined); // spec.fingerprint detects other data on resume
 * ```
 */
export async function runRows(config: TrainConfig, data: readonly LabeledText[] | undefined): Promise<RunRows> {
  const rows = data === undefined ? await loadTrainingRows(config) : rowsFromLabeled(data, config);
  return { rows, spec: { source: data === undefined ? 'corpora' : 'rows', corpora: corpusShares(rows), fingerprint: dataFingerprint(rows) } };
}
