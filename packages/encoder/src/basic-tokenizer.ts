/**
 * BERT's "basic tokenizer" as the Hugging Face Rust `tokenizers` crate implements it
 * (`BertNormalizer` + `BertPreTokenizer`): clean control characters, space out CJK ideographs,
 * strip accents, lower-case, then split on whitespace and isolate every punctuation character.
 */

/** Options of the BERT normaliser (names as in `tokenizer.json`'s `BertNormalizer`). */
export interface BertNormalizerOptions {
  /** Lower-case the text. Default true (uncased models). */
  readonly lowercase?: boolean;
  /** Remove accents (NFD, drop non-spacing marks). Default: same as `lowercase` (as in transformers). */
  readonly stripAccents?: boolean;
  /** Put spaces around CJK ideographs so each is its own word. Default true. */
  readonly handleChineseChars?: boolean;
  /** Drop control characters and map every whitespace to a space. Default true. */
  readonly cleanText?: boolean;
}

// Rust's char::is_control-based check excludes these three, which count as whitespace.
const CONTROL = /\p{C}/u;
const WHITESPACE = /\s/u;
const NON_SPACING_MARK = /\p{Mn}/gu;

/** Whether a code point is a CJK ideograph (the ranges of BERT's `_is_chinese_char`). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** Punctuation for BERT: ASCII punctuation or any Unicode `P*` category. */
const PUNCTUATION = /[\p{P}\u0021-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007e]/u;

/**
 * Normalises text as `BertNormalizer` does.
 *
 * @example
 * ```ts
 * bertNormalize('Héllo\tWORLD'); // 'hello world'
 * ```
 */
export function bertNormalize(text: string, options: BertNormalizerOptions = {}): string {
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? lowercase;
  let out = text;
  if (options.cleanText ?? true) {
    let cleaned = '';
    for (const ch of out) {
      const cp = ch.codePointAt(0) as number;
      if (cp === 0 || cp === 0xfffd) continue;
      if (ch === '\t' || ch === '\n' || ch === '\r') {
        cleaned += ' ';
        continue;
      }
      if (CONTROL.test(ch)) continue;
      cleaned += WHITESPACE.test(ch) ? ' ' : ch;
    }
    out = cleaned;
  }
  if (options.handleChineseChars ?? true) {
    let spaced = '';
    for (const ch of out) spaced += isChineseChar(ch.codePointAt(0) as number) ? ` ${ch} ` : ch;
    out = spaced;
  }
  // Rust's order: strip accents, then lower-case.
  if (stripAccents) out = out.normalize('NFD').replace(NON_SPACING_MARK, '');
  if (lowercase) out = out.toLowerCase();
  return out;
}

/**
 * Splits normalised text into words as `BertPreTokenizer` does: on whitespace, with every
 * punctuation character a word of its own.
 *
 * @example
 * ```ts
 * bertPreTokenize("don't stop!"); // ['don', "'", 't', 'stop', '!']
 * ```
 */
export function bertPreTokenize(text: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const ch of text) {
    if (WHITESPACE.test(ch)) {
      if (current !== '') words.push(current);
      current = '';
    } else if (PUNCTUATION.test(ch)) {
      if (current !== '') words.push(current);
      words.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') words.push(current);
  return words;
}
