import { CarlError } from '@carl/core';

/**
 * The form in which two sentences count as the same: lowercase (after Unicode NFKC), every run of
 * punctuation, symbols and whitespace folded to one space, trimmed. "It's GREAT!" and "it s great"
 * match; so do texts that differ only in tokenisation spaces (SST's "it 's" against MR's "it's").
 *
 * @example
 * ```ts
 * normalizeSentence("  It's a GREAT -- film!! "); // 'it s a great film'
 * ```
 */
export function normalizeSentence(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\p{P}\p{S}\s]+/gu, ' ').trim();
}

/**
 * Splits a text into sentences at `.`, `!` or `?` (runs of them, with closing quotes or brackets)
 * followed by whitespace, and at line breaks. Crude on purpose: it only has to cut the same text the
 * same way on both sides of a contamination check.
 *
 * @example
 * ```ts
 * splitSentences('Loved it. Would watch again!\nTen stars'); // ['Loved it.', 'Would watch again!', 'Ten stars']
 * ```
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?]+["'’”)\]]*)\s+|\n+/u)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** What {@link decontaminate} removed. */
export interface DecontaminationReport {
  /** The texts with every contaminated sentence removed (texts left empty are dropped). */
  readonly texts: string[];
  readonly sentencesBefore: number;
  readonly sentencesRemoved: number;
  /** Texts that lost at least one sentence, and texts dropped because nothing was left. */
  readonly textsAffected: number;
  readonly textsDropped: number;
}

/**
 * Removes from `texts` every sentence whose {@link normalizeSentence} form is in `forbidden` (built
 * with {@link contaminationSet} from evaluation texts), keeping the rest of each text. Sentences that
 * normalise to nothing (pure punctuation) are kept: they cannot leak a label.
 *
 * @example
 * ```ts
 * const forbidden = contaminationSet(['A gorgeous film.']);
 * decontaminate(['A gorgeous film. I cried.', 'Boring'], forbidden).texts; // ['I cried.', 'Boring']
 * ```
 */
export function decontaminate(texts: readonly string[], forbidden: ReadonlySet<string>): DecontaminationReport {
  const out: string[] = [];
  let before = 0;
  let removed = 0;
  let affected = 0;
  let dropped = 0;
  for (const text of texts) {
    if (typeof text !== 'string') throw new CarlError('INVALID_ARGUMENT', 'texts must be strings', { field: 'texts' });
    const sentences = splitSentences(text);
    before += sentences.length;
    // Also the text as a whole: an evaluation item may span what the splitter cuts in two.
    if (forbidden.has(normalizeSentence(text)) && normalizeSentence(text) !== '') {
      removed += sentences.length;
      affected++;
      dropped++;
      continue;
    }
    const kept = sentences.filter((s) => {
      const key = normalizeSentence(s);
      return key === '' || !forbidden.has(key);
    });
    if (kept.length === sentences.length) {
      out.push(text);
      continue;
    }
    removed += sentences.length - kept.length;
    affected++;
    if (kept.length === 0) dropped++;
    else out.push(kept.join(' '));
  }
  return { texts: out, sentencesBefore: before, sentencesRemoved: removed, textsAffected: affected, textsDropped: dropped };
}

/**
 * The normalised forms of evaluation texts and of each of their sentences: what no pre-training text
 * may contain.
 *
 * @example
 * ```ts
 * contaminationSet(['Great film. Ten stars!']); // Set { 'great film ten stars', 'great film', 'ten stars' }
 * ```
 */
export function contaminationSet(texts: Iterable<string>): Set<string> {
  const set = new Set<string>();
  for (const text of texts) {
    const whole = normalizeSentence(text);
    if (whole !== '') set.add(whole);
    for (const s of splitSentences(text)) {
      const key = normalizeSentence(s);
      if (key !== '') set.add(key);
    }
  }
  return set;
}
