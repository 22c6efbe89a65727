import { CarlError } from '@carl/core';
import type { EncodeOptions, SpecialTokenIds, TokenizedBatch, Tokenizer } from '@carl/core';

/** Options of {@link TextTokenizer.decode}. */
export interface DecodeOptions {
  /** Leave out special tokens and padding. Default true. */
  readonly skipSpecialTokens?: boolean;
}

/**
 * What every tokenizer of this package adds to core's `Tokenizer`: single-text encoding,
 * token strings, decoding, the template of special tokens and saving in the Hugging Face layout.
 * Batching, padding and truncation are shared (implemented once here) so every tokenizer
 * truncates, pads and counts the same way.
 */
export abstract class TextTokenizer implements Tokenizer {
  abstract readonly vocabSize: number;
  abstract readonly specialTokens: SpecialTokenIds;
  /** `wordpiece` (vocab.txt, ours) or `tokenizer.json` (via `@huggingface/tokenizers`). */
  abstract readonly kind: 'wordpiece' | 'tokenizer.json';
  /** Default maximum length (tokens, specials included) when `encodeBatch` is given none. */
  readonly modelMaxLength: number;

  protected constructor(modelMaxLength: number) {
    if (!Number.isInteger(modelMaxLength) || modelMaxLength < 1) {
      throw new CarlError('INVALID_ARGUMENT', `modelMaxLength must be a positive integer, got ${modelMaxLength}`, { field: 'modelMaxLength' });
    }
    this.modelMaxLength = modelMaxLength;
  }

  /** Ids of one text without special tokens. */
  abstract encode(text: string): number[];
  /** Token strings of one text without special tokens. */
  abstract tokenize(text: string): string[];
  /** The id of a token string, if it is in the vocabulary. */
  abstract tokenToId(token: string): number | undefined;
  abstract idToToken(id: number): string;
  /** Ids put before / after the text (e.g. `[CLS]` / `[SEP]`). */
  abstract readonly prefixIds: readonly number[];
  abstract readonly suffixIds: readonly number[];
  /** Writes the tokenizer files into `dir`; returns their paths. */
  abstract save(dir: string): string[];
  /** Ids → text. */
  abstract decode(ids: readonly number[], options?: DecodeOptions): string;
  /** A copy whose default maximum length is `modelMaxLength`. */
  abstract withModelMaxLength(modelMaxLength: number): TextTokenizer;

  /** Every special id (specials of the template, pad, unk, mask and any added special token). */
  get specialIds(): ReadonlySet<number> {
    const { pad, unk, cls, sep, mask } = this.specialTokens;
    return new Set([pad, unk, cls, sep, mask, ...this.prefixIds, ...this.suffixIds].filter((id): id is number => id !== undefined));
  }

  /**
   * Tokenises, truncates and pads a batch. Each text gets the special-token template, its content
   * is cut to `maxLength` minus the specials (the number cut is reported in `truncated`), and rows
   * are right-padded with the pad id to the longest row (or to `maxLength` with `padding: 'max_length'`).
   *
   * @example
   * ```ts
   * const batch = tokenizer.encodeBatch(['so happy', 'meh'], { maxLength: 16 });
   * batch.inputIds; // [[2, 45, 91, 3], [2, 77, 3, 0]]
   * ```
   */
  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): TokenizedBatch {
    const maxLength = options.maxLength ?? this.modelMaxLength;
    const specials = this.prefixIds.length + this.suffixIds.length;
    if (!Number.isInteger(maxLength) || maxLength <= specials) {
      throw new CarlError('INVALID_ARGUMENT', `maxLength must be an integer > ${specials} (the special tokens), got ${maxLength}`, { field: 'maxLength' });
    }
    const padding = options.padding ?? 'longest';
    if (padding !== 'longest' && padding !== 'max_length') {
      throw new CarlError('INVALID_ARGUMENT', `padding must be "longest" or "max_length", got ${JSON.stringify(padding)}`, { field: 'padding' });
    }
    const room = maxLength - specials;
    const rows = texts.map((text, i) => {
      if (typeof text !== 'string') throw new CarlError('INVALID_ARGUMENT', `expected a string, got ${typeof text}`, { field: `texts[${i}]` });
      const ids = this.encode(text);
      const kept = ids.length > room ? ids.slice(0, room) : ids;
      return { ids: [...this.prefixIds, ...kept, ...this.suffixIds], truncated: ids.length - kept.length };
    });
    const width = padding === 'max_length' ? maxLength : rows.reduce((m, r) => Math.max(m, r.ids.length), 0);
    const pad = this.specialTokens.pad;
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    const specialTokensMask: number[][] = [];
    const tokenTypeIds: number[][] = [];
    const first = this.prefixIds.length;
    // Special tokens typed in the text itself ("[MASK]") are special too; [UNK] stands for real text and is not.
    const literalSpecials = new Set(this.specialIds);
    if (this.specialTokens.unk !== undefined) literalSpecials.delete(this.specialTokens.unk);
    for (const { ids } of rows) {
      const n = ids.length;
      const rowIds = new Array<number>(width).fill(pad);
      const rowMask = new Array<number>(width).fill(0);
      const rowSpecial = new Array<number>(width).fill(1);
      for (let j = 0; j < n; j++) {
        rowIds[j] = ids[j] as number;
        rowMask[j] = 1;
        rowSpecial[j] = j < first || j >= n - this.suffixIds.length || literalSpecials.has(ids[j] as number) ? 1 : 0;
      }
      inputIds.push(rowIds);
      attentionMask.push(rowMask);
      specialTokensMask.push(rowSpecial);
      tokenTypeIds.push(new Array<number>(width).fill(0));
    }
    return { inputIds, attentionMask, specialTokensMask, tokenTypeIds, truncated: rows.map((r) => r.truncated) };
  }
}
