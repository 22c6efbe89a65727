import { CarlError } from '@carl/core';
import type { SparseMatrix } from './sparse';

/** Options of {@link fitTfidf}. */
export interface TfidfOptions {
  /** Smallest and largest n-gram length in words. Default [1, 2]. */
  readonly ngramRange?: readonly [number, number];
  /** Replace a term count c by 1 + ln c. Default true. */
  readonly sublinearTf?: boolean;
  /** Keep only terms found in at least this many training documents. Default 2. */
  readonly minDf?: number;
}

/** A TF-IDF vocabulary fitted on training texts. */
export interface TfidfVectorizer {
  /** Term → column. */
  readonly vocabulary: ReadonlyMap<string, number>;
  /** Inverse document frequency of each column: ln((1 + n) / (1 + df)) + 1. */
  readonly idf: Float64Array;
  /** L2-normalised TF-IDF rows (a text with no known term is an all-zero row). */
  transform(texts: readonly string[]): SparseMatrix;
}

// Unicode letters, digits and underscore: the same words as scikit-learn's default token pattern \b\w\w+\b.
const WORD = /[\p{L}\p{N}_]+/gu;

/**
 * The words of a text as scikit-learn's `TfidfVectorizer` sees them by default: lowercased runs of
 * letters, digits and underscores, at least two characters long (so "a" and "I" are dropped).
 *
 * @example
 * ```ts
 * tokenizeWords("It's a GREAT film!"); // ['it', 'great', 'film']
 * ```
 */
export function tokenizeWords(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).filter((w) => [...w].length >= 2);
}

function terms(text: string, lo: number, hi: number): string[] {
  const words = tokenizeWords(text);
  const out: string[] = [];
  for (let n = lo; n <= hi; n++) for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '));
  return out;
}

/**
 * Fits a TF-IDF vocabulary of word n-grams on training texts (scikit-learn's `TfidfVectorizer` with
 * `ngram_range=(1, 2)`, `sublinear_tf=True`, `smooth_idf=True`, `norm='l2'`, `min_df=2` by default).
 * Fit on the training split only: document frequencies of test texts would leak into the features.
 *
 * @example
 * ```ts
 * const tfidf = fitTfidf(['good film', 'bad film', 'good plot']);
 * const x = tfidf.transform(['a good film']); // one sparse row over 'good', 'film', 'good film', …
 * ```
 */
export function fitTfidf(texts: readonly string[], options: TfidfOptions = {}): TfidfVectorizer {
  const [lo, hi] = options.ngramRange ?? [1, 2];
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo)) {
    throw new CarlError('INVALID_ARGUMENT', `ngramRange must be two integers 1 ≤ lo ≤ hi, got [${lo}, ${hi}]`, { field: 'ngramRange' });
  }
  const minDf = options.minDf ?? 2;
  if (!(Number.isInteger(minDf) && minDf >= 1)) throw new CarlError('INVALID_ARGUMENT', `minDf must be a positive integer, got ${minDf}`, { field: 'minDf' });
  if (texts.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one training text', { field: 'texts' });
  const sublinear = options.sublinearTf ?? true;
  const df = new Map<string, number>();
  for (const text of texts) for (const term of new Set(terms(text, lo, hi))) df.set(term, (df.get(term) ?? 0) + 1);
  // Sorted vocabulary (as scikit-learn's) so column order does not depend on the order of the texts.
  const kept = [...df.entries()].filter(([, count]) => count >= minDf).map(([term]) => term).sort();
  const vocabulary = new Map(kept.map((term, i) => [term, i]));
  const n = texts.length;
  const idf = Float64Array.from(kept, (term) => Math.log((1 + n) / (1 + (df.get(term) as number))) + 1);
  return {
    vocabulary,
    idf,
    transform(batch: readonly string[]): SparseMatrix {
      const indptr = new Int32Array(batch.length + 1);
      const cols: number[] = [];
      const vals: number[] = [];
      batch.forEach((text, r) => {
        const counts = new Map<number, number>();
        for (const term of terms(text, lo, hi)) {
          const c = vocabulary.get(term);
          if (c !== undefined) counts.set(c, (counts.get(c) ?? 0) + 1);
        }
        const entries = [...counts.entries()].sort((a, b) => a[0] - b[0]);
        const weights = entries.map(([c, count]) => (sublinear ? 1 + Math.log(count) : count) * (idf[c] as number));
        const norm = Math.sqrt(weights.reduce((s, w) => s + w * w, 0));
        entries.forEach(([c], i) => {
          cols.push(c);
          vals.push((weights[i] as number) / norm);
        });
        indptr[r + 1] = cols.length;
      });
      return { kind: 'sparse', rows: batch.length, cols: kept.length, indptr, indices: Int32Array.from(cols), values: Float64Array.from(vals) };
    },
  };
}
