import * as path from 'node:path';
import { SAM_1_5, SCALE_1_9, type LabeledText, type VA } from '@carl/core';
import { decodeText, readBytes, type TextEncoding } from './decode';
import { parseDelimited } from './delimited';
import type { DatasetName } from './registry';
import { RowIssues } from './report';
import { datasetSpec, resolveDatasetFiles, type ResolveOptions } from './resolve';
import { RowCollector, readTableInto, type RowOptions } from './table';
import type { Dataset, SplitName } from './types';

// The scales are shared with @carl/va-labeling through @carl/core.
export { SAM_1_5, SCALE_1_9 };

/** Options every built-in loader takes: where to find the corpus, and what to do with bad rows. */
export interface CommonLoadOptions extends ResolveOptions, RowOptions {}

function collectorFor(options: RowOptions): RowCollector {
  return new RowCollector(new RowIssues(options.skipBadRows ?? false));
}

function file(files: Readonly<Record<string, string>>, name: string): string {
  return files[name] as string;
}

// ---------------------------------------------------------------------------------------------
// EmoBank

/** Whose ratings: the README's recommended weighted `combined` average, or one perspective. */
export type EmoBankPerspective = 'combined' | 'reader' | 'writer';

export interface EmoBankOptions extends CommonLoadOptions {
  /** Default `combined` (`emobank.csv`, the weighted average of reader and writer, as the authors recommend). */
  readonly perspective?: EmoBankPerspective;
}

/**
 * EmoBank: 10,062 sentences with valence, arousal and dominance on the 1–5 SAM scale, mapped to
 * [−1, 1]; the official train/dev/test split (8,062 / 1,000 / 1,000).
 *
 * @example
 * ```ts
 * const eb = await loadEmoBank({ perspective: 'reader' });
 * eb.splits.test?.length; // 1000
 * ```
 */
export async function loadEmoBank(options: EmoBankOptions = {}): Promise<Dataset> {
  const perspective = options.perspective ?? 'combined';
  const { files } = await resolveDatasetFiles('emobank', perspective === 'combined' ? ['default'] : ['default', perspective], options);
  const collector = collectorFor(options);
  const main = file(files, 'emobank.csv');
  const base = { format: 'csv', name: 'emobank', textColumn: 'text', idColumn: 'id', splitColumn: 'split' } as const;
  if (perspective === 'combined') {
    await readTableInto(main, { ...base, va: { valence: 'V', arousal: 'A', dominance: 'D', scale: SAM_1_5 } }, collector);
  } else {
    // Ratings come from reader.csv / writer.csv; text and split from emobank.csv, joined on id.
    const ratingsFile = file(files, `${perspective}.csv`);
    const ratings = new RowCollector(new RowIssues(options.skipBadRows ?? false));
    await readTableInto(ratingsFile, { format: 'csv', name: `emobank-${perspective}`, textColumn: 'id', idColumn: 'id', va: { valence: 'V', arousal: 'A', dominance: 'D', scale: SAM_1_5 } }, ratings);
    const byId = new Map<string, VA>(ratings.splits.train.map((r) => [r.id, r.va as VA]));
    await readTableInto(main, base, collector);
    const issues = collector.issues;
    issues.addFile(ratingsFile);
    issues.skipped.push(...ratings.issues.skipped);
    for (const split of ['train', 'dev', 'test'] as const) {
      collector.splits[split] = collector.splits[split].filter((row) => {
        const va = byId.get(row.id);
        if (va !== undefined) return true;
        const at = collector.seenIds.get(row.id) as { file: string; line: number };
        issues.fail('missing-value', `no ${perspective} rating for id "${row.id}" in ${path.basename(ratingsFile)}`, { ...at, field: 'id' });
        issues.rowsKept--;
        return false;
      }).map((row) => ({ ...row, va: byId.get(row.id) as VA }));
    }
  }
  return collector.finish({ name: 'emobank', officialSplits: true, scale: SAM_1_5, info: datasetSpec('emobank').info });
}

// ---------------------------------------------------------------------------------------------
// Facebook posts

export interface FacebookVAOptions extends CommonLoadOptions {
  /** Default `mean` of the two annotators (the usual gold label); or one annotator's ratings. */
  readonly annotator?: 'mean' | 1 | 2;
}

/**
 * The 2,895 Facebook posts of Preoţiuc-Pietro et al. (2016), valence and arousal on 1–9 (mean of two
 * annotators by default), mapped to [−1, 1]. No official split: everything is in `train` (the paper
 * used 10-fold cross-validation: `kFold(rows, 10, …)`). The published file has one post with an empty
 * message; it is skipped and listed in `report.skipped`.
 *
 * @example
 * ```ts
 * const fb = await loadFacebookVA();
 * const folds = kFold(fb.splits.train, 10, { seed: 0 });
 * ```
 */
export async function loadFacebookVA(options: FacebookVAOptions = {}): Promise<Dataset> {
  const { files } = await resolveDatasetFiles('fb-valence-arousal', ['default'], options);
  const collector = collectorFor(options);
  const who = options.annotator ?? 'mean';
  const cols = (axis: 'Valence' | 'Arousal'): string | readonly string[] => (who === 'mean' ? [`${axis}1`, `${axis}2`] : `${axis}${who}`);
  await readTableInto(
    file(files, 'dataset-fb-valence-arousal-anon.csv'),
    { format: 'csv', name: 'fb-valence-arousal', textColumn: 'Anonymized Message', va: { valence: cols('Valence'), arousal: cols('Arousal'), scale: SCALE_1_9 }, idPrefix: 'fb:', emptyText: 'skip' },
    collector,
  );
  return collector.finish({ name: 'fb-valence-arousal', officialSplits: false, scale: SCALE_1_9, info: datasetSpec('fb-valence-arousal').info });
}

// ---------------------------------------------------------------------------------------------
// GoEmotions

/** `original`: 27 emotions + neutral; `ekman`: Ekman's six + neutral; `group`: positive / negative / ambiguous / neutral. */
export type GoEmotionsTaxonomy = 'original' | 'ekman' | 'group';

export interface GoEmotionsOptions extends CommonLoadOptions {
  /** Default `original`. */
  readonly taxonomy?: GoEmotionsTaxonomy;
}

/**
 * GoEmotions: Reddit comments, multi-label (`labels` may hold several), official split
 * 43,410 / 5,426 / 5,427; `labelNames` in `labels.txt` order.
 *
 * @example
 * ```ts
 * const ge = await loadGoEmotions({ taxonomy: 'ekman' });
 * ge.labelNames; // ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise']
 * ```
 */
export async function loadGoEmotions(options: GoEmotionsOptions = {}): Promise<Dataset> {
  const taxonomy = options.taxonomy ?? 'original';
  const { files } = await resolveDatasetFiles('goemotions', [taxonomy === 'original' ? 'default' : taxonomy], options);
  const collector = collectorFor(options);
  const labelsFile = file(files, `${taxonomy}/labels.txt`);
  const labelNames = decodeText(await readBytes(labelsFile), 'utf-8', labelsFile, collector.issues)
    .text.split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  collector.issues.addFile(labelsFile);
  const labelMap = Object.fromEntries(labelNames.map((name, i) => [String(i), name]));
  for (const split of ['train', 'dev', 'test'] as const) {
    // Header-less, three tab-separated columns; quoting disabled because texts contain bare quotes.
    await readTableInto(
      file(files, `${taxonomy}/${split}.tsv`),
      { format: 'tsv', header: false, quoting: 'none', fieldCount: 3, name: 'goemotions', textColumn: 0, labelColumn: 1, labelSeparator: ',', labelMap, labelNames, idColumn: 2, split },
      collector,
    );
  }
  return collector.finish({ name: 'goemotions', officialSplits: true, labelNames, multiLabel: true, info: datasetSpec('goemotions').info });
}

// ---------------------------------------------------------------------------------------------
// dair-ai emotion

/** The dair-ai/emotion labels in Hugging Face id order (sadness = 0 … surprise = 5). */
export const DAIR_AI_LABELS: readonly string[] = Object.freeze(['sadness', 'joy', 'love', 'anger', 'fear', 'surprise']);

/**
 * dair-ai "emotion" (CARER): 20,000 tweets, six emotions, official split 16,000 / 2,000 / 2,000.
 * Row ids are `dair-ai-emotion:<split>:<line>` (the files have none).
 *
 * @example
 * ```ts
 * const tweets = await loadDairAiEmotion();
 * tweets.labelNames; // ['sadness', 'joy', 'love', 'anger', 'fear', 'surprise']
 * ```
 */
export async function loadDairAiEmotion(options: CommonLoadOptions = {}): Promise<Dataset> {
  const { files } = await resolveDatasetFiles('dair-ai-emotion', ['default'], options);
  const collector = collectorFor(options);
  for (const [name, split] of [['train', 'train'], ['validation', 'dev'], ['test', 'test']] as const) {
    await readTableInto(
      file(files, `${name}.jsonl`),
      { format: 'jsonl', name: 'dair-ai-emotion', textColumn: 'text', labelColumn: 'label', labelNames: DAIR_AI_LABELS, idPrefix: `dair-ai-emotion:${split}:`, split },
      collector,
    );
  }
  return collector.finish({ name: 'dair-ai-emotion', officialSplits: true, labelNames: DAIR_AI_LABELS, multiLabel: false, info: datasetSpec('dair-ai-emotion').info });
}

// ---------------------------------------------------------------------------------------------
// ISEAR

/** ISEAR's emotions in `EMOT` code order (1 = joy … 7 = guilt). */
export const ISEAR_LABELS: readonly string[] = Object.freeze(['joy', 'fear', 'anger', 'sadness', 'disgust', 'shame', 'guilt']);

export interface IsearOptions extends CommonLoadOptions {
  /**
   * Default true: undo the extract's artefacts in the situation text — drop the `á` line-break
   * markers, turn `\"` and `\` back into `"`, collapse whitespace. False keeps the raw field.
   */
  readonly clean?: boolean;
}

/**
 * ISEAR: 7,666 self-reported emotion episodes (the `SIT` field), seven emotions, no official split.
 * Reads the original pipe-separated extract, rejoining the 163 situations that contain extra `|`.
 *
 * @example
 * ```ts
 * const isear = await loadIsear();
 * const { train, test } = trainTestSplit(isear.splits.train, { testSize: 0.2, seed: 1 });
 * ```
 */
export async function loadIsear(options: IsearOptions = {}): Promise<Dataset> {
  const { files } = await resolveDatasetFiles('isear', ['default'], options);
  const collector = collectorFor(options);
  const issues = collector.issues;
  const source = file(files, 'isear.csv');
  issues.addFile(source);
  const decoded = decodeText(await readBytes(source), 'utf-8', source, issues);
  const records = parseDelimited(decoded.text, '|', 'none', source);
  issues.rowsRead += decoded.badLines.size; // blanked by the decoder, reported there
  const header = records.shift();
  const col = (name: string): number => {
    const i = header?.fields.indexOf(name) ?? -1;
    if (i < 0) issues.fail('malformed', `missing column "${name}"`, { file: source, line: 1, field: name });
    return i;
  };
  const [emotionCol, codeCol, keyCol, sitCol] = [col('Field1'), col('EMOT'), col('MYKEY'), col('SIT')];
  const width = header?.fields.length ?? 0;
  for (const record of records) {
    issues.rowsRead++;
    if (decoded.badLines.has(record.line)) continue;
    const where = { file: source, line: record.line };
    const f = record.fields;
    if (f.length < width) {
      issues.fail('malformed', `expected at least ${width} fields, found ${f.length}`, where);
      continue;
    }
    const emotion = (f[emotionCol] ?? '').trim();
    const code = ISEAR_LABELS.indexOf(emotion) + 1;
    if (code === 0) {
      issues.fail('unknown-label', `unknown emotion "${emotion}" (expected ${ISEAR_LABELS.join(', ')})`, { ...where, field: 'Field1' });
      continue;
    }
    if ((f[codeCol] ?? '').trim() !== String(code)) {
      issues.fail('malformed', `EMOT code "${f[codeCol]}" does not match emotion "${emotion}" (code ${code})`, { ...where, field: 'EMOT' });
      continue;
    }
    // Extra `|` inside the situation (original line breaks) shift the last fields right: SIT is
    // everything from its column up to the fields that follow it in the header.
    const extra = f.length - width;
    const raw = f.slice(sitCol, sitCol + 1 + extra).join(' ');
    const text = options.clean === false ? raw : raw.replace(/á/g, '').replace(/\\"/g, '"').replace(/\\/g, '"').replace(/\s+/g, ' ').trim();
    if (text.trim() === '') {
      issues.fail('empty-text', 'empty situation text', { ...where, field: 'SIT' });
      continue;
    }
    const id = (f[keyCol] ?? '').trim();
    if (id === '') {
      issues.fail('missing-value', 'empty MYKEY', { ...where, field: 'MYKEY' });
      continue;
    }
    collector.add({ id, text, labels: [emotion], source: 'isear' }, 'train', where);
  }
  return collector.finish({ name: 'isear', officialSplits: false, labelNames: ISEAR_LABELS, multiLabel: false, info: datasetSpec('isear').info });
}

// ---------------------------------------------------------------------------------------------
// SentEval-style sentence classification sets

/** The sentence-classification transfer sets, all from the `sentiment-transfer` folder. */
export type SentimentTransferName = 'mr' | 'cr' | 'subj' | 'mpqa' | 'sst2' | 'sst5';

const LINE_CORPORA: Readonly<Record<'mr' | 'cr' | 'subj' | 'mpqa', { labels: readonly [string, string]; files: readonly [string, string]; encoding: TextEncoding }>> = {
  // Index 0 is the negative / objective class, as in SentEval.
  mr: { labels: ['negative', 'positive'], files: ['MR/rt-polarity.neg', 'MR/rt-polarity.pos'], encoding: 'windows-1252' },
  cr: { labels: ['negative', 'positive'], files: ['CR/custrev.neg', 'CR/custrev.pos'], encoding: 'utf-8' },
  subj: { labels: ['objective', 'subjective'], files: ['SUBJ/subj.objective', 'SUBJ/subj.subjective'], encoding: 'windows-1252' },
  mpqa: { labels: ['negative', 'positive'], files: ['MPQA/mpqa.neg', 'MPQA/mpqa.pos'], encoding: 'utf-8' },
};

/** SST-5 class names for labels 0–4. */
export const SST5_LABELS: readonly string[] = Object.freeze(['very negative', 'negative', 'neutral', 'positive', 'very positive']);
/** SST-2 class names for labels 0–1. */
export const SST2_LABELS: readonly string[] = Object.freeze(['negative', 'positive']);

/**
 * MR, CR, SUBJ, MPQA (one sentence per line, one file per class, no official split: use `kFold`,
 * 10 folds as in SentEval) and SST-2 / SST-5 (`<label> <sentence>` lines, official
 * train/dev/test). MR and SUBJ are Windows-1252 (a Latin-1 superset), read as such. Blank lines (CR
 * has 4, MPQA 3, counted in the published sizes) are skipped and listed in `report.skipped`.
 *
 * @example
 * ```ts
 * const mr = await loadSentimentTransfer('mr');
 * mr.labelNames; // ['negative', 'positive']
 * ```
 */
export async function loadSentimentTransfer(name: SentimentTransferName, options: CommonLoadOptions = {}): Promise<Dataset> {
  const { files } = await resolveDatasetFiles(name, ['default'], options);
  const collector = collectorFor(options);
  const issues = collector.issues;
  const info = datasetSpec(name).info;
  if (name === 'sst2' || name === 'sst5') {
    const labelNames = name === 'sst2' ? SST2_LABELS : SST5_LABELS;
    const kind = name === 'sst2' ? 'binary' : 'fine';
    for (const split of ['train', 'dev', 'test'] as const) {
      const source = file(files, `SST/stsa.${kind}.${split}`);
      forEachLine(source, await readBytes(source), 'utf-8', issues, (line, raw) => {
        const where = { file: source, line };
        const space = raw.indexOf(' ');
        const label = space < 0 ? raw : raw.slice(0, space);
        const index = /^\d$/.test(label) ? Number(label) : -1;
        if (index < 0 || index >= labelNames.length) {
          issues.fail('unknown-label', `label "${label}" is not 0–${labelNames.length - 1}`, { ...where, field: 'label' });
          return;
        }
        const text = space < 0 ? '' : raw.slice(space + 1).trim();
        if (text === '') {
          issues.fail('empty-text', 'empty sentence after the label', { ...where, field: 'text' });
          return;
        }
        collector.add({ id: `${name}:${split}:${line}`, text, labels: [labelNames[index] as string], source: name }, split, where);
      });
    }
    return collector.finish({ name, officialSplits: true, labelNames, multiLabel: false, info });
  }
  const corpus = LINE_CORPORA[name];
  for (const [k, local] of corpus.files.entries()) {
    const source = file(files, local);
    const label = corpus.labels[k] as string;
    const tag = path.extname(local).slice(1);
    forEachLine(source, await readBytes(source), corpus.encoding, issues, (line, raw) => {
      collector.add({ id: `${name}:${tag}:${line}`, text: raw.trim(), labels: [label], source: name }, 'train', { file: source, line });
    });
  }
  return collector.finish({ name, officialSplits: false, labelNames: corpus.labels, multiLabel: false, info });
}

/** Calls `fn` for every non-blank line; blank lines are skipped and reported (they are not rows). */
function forEachLine(source: string, bytes: Uint8Array, encoding: TextEncoding, issues: RowIssues, fn: (line: number, text: string) => void): void {
  issues.addFile(source);
  const decoded = decodeText(bytes, encoding, source, issues);
  const lines = decoded.text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((rawLine, i) => {
    const line = i + 1;
    issues.rowsRead++;
    if (decoded.badLines.has(line)) return;
    const text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (text.trim() === '') {
      issues.skip('empty-text', 'blank line', { file: source, line });
      return;
    }
    fn(line, text);
  });
}

// ---------------------------------------------------------------------------------------------
// Warriner word norms

export interface WarrinerOptions extends CommonLoadOptions {
  /**
   * `official` (default): JULIELab's fixed train/dev/test word split (11,463 / 1,296 / 1,032 words);
   * the 124 entries in no split (multi-word and capitalised ones) are left out and noted in the report.
   * `none`: all 13,915 words in `train`.
   */
  readonly split?: 'official' | 'none';
}

/**
 * The Warriner et al. (2013) norms as a dataset of words: `text` and `id` are the lemma, `va` its
 * valence, arousal and dominance (1–9, mapped to [−1, 1]). For lexicon look-ups use
 * `loadWarrinerNorms` / `wordNorms` in @carl/va-labeling.
 *
 * @example
 * ```ts
 * const words = await loadWarrinerWords();
 * words.splits.dev?.length; // 1296
 * ```
 */
export async function loadWarrinerWords(options: WarrinerOptions = {}): Promise<Dataset> {
  const official = (options.split ?? 'official') === 'official';
  const { files } = await resolveDatasetFiles('warriner-vad-norms', official ? ['default', 'splits'] : ['default'], options);
  const collector = collectorFor(options);
  const issues = collector.issues;
  await readTableInto(
    file(files, 'Ratings_Warriner_et_al.csv'),
    { format: 'csv', name: 'warriner-vad-norms', textColumn: 'Word', idColumn: 'Word', va: { valence: 'V.Mean.Sum', arousal: 'A.Mean.Sum', dominance: 'D.Mean.Sum', scale: SCALE_1_9 } },
    collector,
  );
  if (official) {
    const byWord = new Map<string, LabeledText>(collector.splits.train.map((row) => [row.id, row]));
    const assigned = new Set<string>();
    const splits: Record<SplitName, LabeledText[]> = { train: [], dev: [], test: [] };
    for (const split of ['train', 'dev', 'test'] as const) {
      const source = file(files, `splits_crosslingual/${split}.txt`);
      issues.addFile(source);
      const words = decodeText(await readBytes(source), 'utf-8', source, issues).text.split('\n');
      words.forEach((raw, i) => {
        const word = raw.replace(/\r$/, '');
        if (word === '') return;
        const row = byWord.get(word);
        if (row === undefined || assigned.has(word)) {
          issues.fail('malformed', row === undefined ? `split word "${word}" is not in the norms` : `word "${word}" is in more than one split`, { file: source, line: i + 1 });
          return;
        }
        assigned.add(word);
        splits[split].push(row);
      });
    }
    const unassigned = collector.splits.train.filter((row) => !assigned.has(row.id));
    if (unassigned.length > 0) {
      issues.note(`${unassigned.length} words are in no official split and were left out (e.g. ${unassigned.slice(0, 3).map((r) => `"${r.id}"`).join(', ')}); load with split: 'none' to get all words`);
      issues.rowsKept -= unassigned.length;
    }
    collector.splits.train = splits.train;
    collector.splits.dev = splits.dev;
    collector.splits.test = splits.test;
  }
  return collector.finish({ name: 'warriner-vad-norms', officialSplits: official, scale: SCALE_1_9, info: datasetSpec('warriner-vad-norms').info });
}

// ---------------------------------------------------------------------------------------------
// By name

/** Per-dataset options of {@link loadDataset}. */
export interface DatasetOptionsMap {
  readonly emobank: EmoBankOptions;
  readonly 'fb-valence-arousal': FacebookVAOptions;
  readonly goemotions: GoEmotionsOptions;
  readonly 'dair-ai-emotion': CommonLoadOptions;
  readonly isear: IsearOptions;
  readonly mr: CommonLoadOptions;
  readonly cr: CommonLoadOptions;
  readonly subj: CommonLoadOptions;
  readonly mpqa: CommonLoadOptions;
  readonly sst2: CommonLoadOptions;
  readonly sst5: CommonLoadOptions;
  readonly 'warriner-vad-norms': WarrinerOptions;
}

/**
 * Loads a built-in corpus by name (resolving, and if needed downloading, its files first).
 *
 * @example
 * ```ts
 * const eb = await loadDataset('emobank', { perspective: 'writer' });
 * const ge = await loadDataset('goemotions', { taxonomy: 'group', skipBadRows: true });
 * ```
 */
export async function loadDataset<N extends DatasetName>(name: N, options?: DatasetOptionsMap[N]): Promise<Dataset> {
  const spec = datasetSpec(name);
  switch (spec.name) {
    case 'emobank':
      return loadEmoBank(options as EmoBankOptions);
    case 'fb-valence-arousal':
      return loadFacebookVA(options as FacebookVAOptions);
    case 'goemotions':
      return loadGoEmotions(options as GoEmotionsOptions);
    case 'dair-ai-emotion':
      return loadDairAiEmotion(options);
    case 'isear':
      return loadIsear(options as IsearOptions);
    case 'warriner-vad-norms':
      return loadWarrinerWords(options as WarrinerOptions);
    case 'mr':
    case 'cr':
    case 'subj':
    case 'mpqa':
    case 'sst2':
    case 'sst5':
      return loadSentimentTransfer(spec.name, options);
  }
}
