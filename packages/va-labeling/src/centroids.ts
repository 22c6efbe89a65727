import { CarlError, type LabeledText, type VA } from '@carl/core';
import { discoverWarrinerNorms, type WordNorms } from './norms';

/** Category taxonomies with built-in label lists. */
export type CategoryScheme = 'ekman' | 'goemotions' | 'dair-ai' | 'isear';

/** The labels of each scheme, in the order the corpora number them. */
export const SCHEME_LABELS: Readonly<Record<CategoryScheme, readonly string[]>> = Object.freeze({
  // Ekman's six plus `neutral`, exactly as in GoEmotions' Ekman taxonomy (ekman/labels.txt).
  ekman: ['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise'],
  // GoEmotions labels.txt order (id 27 = neutral).
  goemotions: [
    'admiration', 'amusement', 'anger', 'annoyance', 'approval', 'caring', 'confusion', 'curiosity', 'desire', 'disappointment',
    'disapproval', 'disgust', 'embarrassment', 'excitement', 'fear', 'gratitude', 'grief', 'joy', 'love', 'nervousness',
    'optimism', 'pride', 'realization', 'relief', 'remorse', 'sadness', 'surprise', 'neutral',
  ],
  // Hugging Face dair-ai/emotion integer ids 0–5.
  'dair-ai': ['sadness', 'joy', 'love', 'anger', 'fear', 'surprise'],
  // ISEAR EMOT codes 1–7.
  isear: ['joy', 'fear', 'anger', 'sadness', 'disgust', 'shame', 'guilt'],
});

/**
 * The norm words each label is looked up under, where it differs from the label itself:
 * Warriner has no "caring" (only "care").
 */
const DEFAULT_WORDS: Readonly<Record<string, readonly string[]>> = Object.freeze({ caring: ['care'] });

/** Where one centroid came from. */
export interface CentroidProvenance {
  readonly method: 'word-norms' | 'corpus' | 'override';
  /** Human-readable origin, e.g. `warriner-2013 (…/Ratings_Warriner_et_al.csv): mean of "care"`. */
  readonly detail: string;
  /** Norm words averaged (method `word-norms`). */
  readonly words?: readonly string[];
  /** Rows averaged (method `corpus`). */
  readonly count?: number;
}

/** A VA point per category, with where each came from. */
export interface CategoryCentroids {
  readonly scheme: string;
  readonly labels: readonly string[];
  readonly centroids: Readonly<Record<string, VA>>;
  readonly provenance: Readonly<Record<string, CentroidProvenance>>;
}

export interface CategoryCentroidOptions {
  /** Word norms to read the category words from; default: the Warriner norms found under `$CARL_DATA_DIR`. */
  readonly norms?: WordNorms;
  /** Words to average per label instead of the label itself, e.g. `{ joy: ['joy', 'happiness'] }`. */
  readonly words?: Readonly<Record<string, readonly string[]>>;
  /** Fixed centroids that replace the computed ones (e.g. from your own annotation study). */
  readonly overrides?: Readonly<Record<string, VA>>;
}

/**
 * VA centroids for a category scheme, read at run time from word norms of the category names
 * (Warriner et al. 2013 by default: the rating of the word "fear" is the centroid of `fear`).
 * These are ratings of the *words*, not of prototypical emotional states (e.g. "surprise" comes out
 * pleasant), so override any that do not suit your data. Centroids keep dominance when the norms
 * have it.
 *
 * @example
 * ```ts
 * const norms = await loadWarrinerNorms(file);
 * const c = categoryCentroids('ekman', { norms, overrides: { surprise: { valence: 0, arousal: 0.6 } } });
 * c.centroids.fear; // { valence: -0.5175, arousal: 0.285, dominance: -0.42 }
 * ```
 */
export function categoryCentroids(scheme: CategoryScheme, options: CategoryCentroidOptions = {}): CategoryCentroids {
  const labels = SCHEME_LABELS[scheme];
  if (labels === undefined) {
    throw new CarlError('INVALID_ARGUMENT', `unknown scheme "${String(scheme)}" (known: ${Object.keys(SCHEME_LABELS).join(', ')}); use centroidsFor() for your own labels`, { field: 'scheme' });
  }
  return centroidsFor(labels, { ...options, scheme });
}

/**
 * Like {@link categoryCentroids}, for any list of category labels.
 *
 * @example
 * ```ts
 * centroidsFor(['calm', 'tense'], { norms }).centroids.calm; // { valence: 0.4725, arousal: -0.8325, ... }
 * ```
 */
export function centroidsFor(labels: readonly string[], options: CategoryCentroidOptions & { scheme?: string } = {}): CategoryCentroids {
  const overrides = options.overrides ?? {};
  for (const label of Object.keys(overrides)) {
    if (!labels.includes(label)) throw new CarlError('INVALID_ARGUMENT', `override for unknown label "${label}" (labels: ${labels.join(', ')})`, { field: `overrides.${label}` });
  }
  const needNorms = labels.some((label) => overrides[label] === undefined);
  const norms = needNorms ? (options.norms ?? discoverWarrinerNorms('categoryCentroids')) : undefined;
  const centroids: Record<string, VA> = {};
  const provenance: Record<string, CentroidProvenance> = {};
  for (const label of labels) {
    const override = overrides[label];
    if (override !== undefined) {
      centroids[label] = checkVA(override, `overrides.${label}`);
      provenance[label] = { method: 'override', detail: 'given by the caller' };
      continue;
    }
    const words = options.words?.[label] ?? DEFAULT_WORDS[label] ?? [label];
    const n = norms as WordNorms;
    const entries = words.map((word) => {
      const entry = n.entries.get(word.toLowerCase());
      if (entry?.valence === undefined || entry.arousal === undefined) {
        throw new CarlError(
          'INVALID_ARGUMENT',
          `the ${n.name} norms have no valence and arousal for "${word}" (label "${label}"); give other words ({ words: { ${label}: [...] } }) or an override`,
          { field: `words.${label}` },
        );
      }
      return entry;
    });
    const avg = (axis: 'valence' | 'arousal' | 'dominance'): number | undefined =>
      entries.every((e) => e[axis] !== undefined) ? entries.reduce((s, e) => s + (e[axis] as number), 0) / entries.length : undefined;
    const dominance = avg('dominance');
    centroids[label] = { valence: avg('valence') as number, arousal: avg('arousal') as number, ...(dominance === undefined ? {} : { dominance }) };
    provenance[label] = { method: 'word-norms', detail: `${n.name} (${n.source}): mean of ${words.map((w) => `"${w}"`).join(', ')}`, words: [...words] };
  }
  return Object.freeze({ scheme: options.scheme ?? 'custom', labels: [...labels], centroids, provenance });
}

export interface CorpusCentroidOptions {
  /** Label order of the result; default: labels in order of first appearance. */
  readonly labels?: readonly string[];
  /**
   * Which rows count: `single` (default) only rows with exactly one label, so a centroid is not
   * pulled towards co-occurring emotions; `all` lets a multi-label row count for each of its labels.
   */
  readonly multiLabel?: 'single' | 'all';
  /** Scheme name recorded in the result; default `corpus`. */
  readonly scheme?: string;
}

/**
 * Empirical centroids from a corpus that has both categories and VA ratings (e.g. EmoTales, or your
 * own): the mean VA of the rows of each label.
 *
 * @example
 * ```ts
 * const c = centroidsFromCorpus(rows); // rows: LabeledText with labels and va
 * c.provenance.joy; // { method: 'corpus', count: 211, ... }
 * ```
 */
export function centroidsFromCorpus(rows: Iterable<LabeledText>, options: CorpusCentroidOptions = {}): CategoryCentroids {
  const mode = options.multiLabel ?? 'single';
  const acc = new Map<string, { v: number; a: number; d: number; dn: number; n: number }>();
  for (const row of rows) {
    const labels = row.labels ?? [];
    if (row.va === undefined || labels.length === 0) continue;
    if (mode === 'single' && labels.length !== 1) continue;
    for (const label of labels) {
      const s = acc.get(label) ?? { v: 0, a: 0, d: 0, dn: 0, n: 0 };
      s.v += row.va.valence;
      s.a += row.va.arousal;
      if (row.va.dominance !== undefined) {
        s.d += row.va.dominance;
        s.dn += 1;
      }
      s.n += 1;
      acc.set(label, s);
    }
  }
  const labels = options.labels ?? [...acc.keys()];
  if (labels.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no row has both labels and va, so no centroid can be estimated', { field: 'rows' });
  const centroids: Record<string, VA> = {};
  const provenance: Record<string, CentroidProvenance> = {};
  for (const label of labels) {
    const s = acc.get(label);
    if (s === undefined) {
      throw new CarlError('INVALID_ARGUMENT', `no ${mode === 'single' ? 'single-label ' : ''}row with va has label "${label}"`, { field: `labels.${label}` });
    }
    centroids[label] = { valence: s.v / s.n, arousal: s.a / s.n, ...(s.dn === s.n ? { dominance: s.d / s.n } : {}) };
    provenance[label] = { method: 'corpus', detail: `mean of ${s.n} ${mode === 'single' ? 'single-label ' : ''}rows`, count: s.n };
  }
  return Object.freeze({ scheme: options.scheme ?? 'corpus', labels: [...labels], centroids, provenance });
}

/**
 * The VA point for a row's category labels: the centroid, or for several labels the mean of their
 * centroids. Unknown labels throw, naming the label.
 *
 * @example
 * ```ts
 * labelsToVA(['joy', 'surprise'], centroids); // midpoint of the two centroids
 * ```
 */
export function labelsToVA(labels: readonly string[], centroids: CategoryCentroids): VA {
  if (labels.length === 0) throw new CarlError('INVALID_ARGUMENT', 'a row without labels has no centroid', { field: 'labels' });
  const points = labels.map((label) => {
    const c = centroids.centroids[label];
    if (c === undefined) throw new CarlError('INVALID_ARGUMENT', `no centroid for label "${label}" in scheme ${centroids.scheme} (${centroids.labels.join(', ')})`, { field: 'labels' });
    return c;
  });
  const mean = (f: (p: VA) => number): number => points.reduce((s, p) => s + f(p), 0) / points.length;
  const withD = points.every((p) => p.dominance !== undefined);
  return { valence: mean((p) => p.valence), arousal: mean((p) => p.arousal), ...(withD ? { dominance: mean((p) => p.dominance as number) } : {}) };
}

/**
 * Gives every labelled row a VA point from its categories (so categorical corpora can join the
 * continuous contrastive loss). Rows that already have `va` keep it unless `overwrite` is set.
 *
 * @example
 * ```ts
 * const rows = withCentroidVA(dataset.splits.train, categoryCentroids('dair-ai', { norms }));
 * ```
 */
export function withCentroidVA<T extends LabeledText>(rows: readonly T[], centroids: CategoryCentroids, options: { overwrite?: boolean } = {}): T[] {
  return rows.map((row) => {
    if (row.va !== undefined && options.overwrite !== true) return row;
    if (row.labels === undefined || row.labels.length === 0) throw new CarlError('INVALID_ARGUMENT', `row ${row.id} has neither va nor labels`, { field: 'labels' });
    return { ...row, va: labelsToVA(row.labels, centroids) };
  });
}

function checkVA(point: VA, field: string): VA {
  for (const axis of ['valence', 'arousal', 'dominance'] as const) {
    const value = point[axis];
    if (axis === 'dominance' && value === undefined) continue;
    if (value === undefined || !Number.isFinite(value) || value < -1 - 1e-9 || value > 1 + 1e-9) {
      throw new CarlError('INVALID_ARGUMENT', `${field}.${axis} must be a finite number in [-1, 1], got ${value}`, { field: `${field}.${axis}` });
    }
  }
  return point;
}
