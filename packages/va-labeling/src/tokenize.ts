// Lexicon lookups need words, not sub-word pieces: letters and digits, keeping inner apostrophes
// and hyphens so "can't", "well-being" and "n00b" stay whole (AFINN lists such forms).
const WORD = /[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu;

/** Lower-cased word tokens of `text` (curly apostrophes folded to `'`). Internal. */
export function tokenize(text: string): string[] {
  return text.normalize('NFC').toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").match(WORD) ?? [];
}

/**
 * Candidate lemmas for an inflected English word, most likely first. A deliberately small,
 * predictable suffix stripper (no dictionary): the Warriner norms list lemmas, so "loved", "loves"
 * and "loving" should all find "love". Internal.
 */
export function lemmaCandidates(word: string): string[] {
  const out: string[] = [];
  const push = (w: string): void => {
    if (w.length >= 2 && w !== word && !out.includes(w)) out.push(w);
  };
  const undouble = (stem: string): void => {
    // "stopped" → "stopp" → "stop"
    if (stem.length >= 3 && stem[stem.length - 1] === stem[stem.length - 2] && !/[aeiou]/.test(stem[stem.length - 1] as string)) push(stem.slice(0, -1));
  };
  if (word.endsWith("'s")) push(word.slice(0, -2));
  if (word.endsWith('ies')) push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) push(word.slice(0, -2));
  if (word.endsWith('s') && !word.endsWith('ss')) push(word.slice(0, -1));
  if (word.endsWith('ied')) push(`${word.slice(0, -3)}y`);
  if (word.endsWith('ed')) {
    const stem = word.slice(0, -2);
    push(stem);
    push(`${stem}e`);
    undouble(stem);
  }
  if (word.endsWith('ing')) {
    const stem = word.slice(0, -3);
    push(stem);
    push(`${stem}e`);
    undouble(stem);
  }
  if (word.endsWith('ily')) push(`${word.slice(0, -3)}y`);
  if (word.endsWith('ly')) push(word.slice(0, -2));
  return out;
}
