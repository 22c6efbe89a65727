import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, writeFileAtomic } from '@carl/core';
import type { SpecialTokenIds } from '@carl/core';
import { bertNormalize, bertPreTokenize } from './basic-tokenizer';
import { TextTokenizer, type DecodeOptions } from './tokenizer-base';

/** Options of {@link WordPieceTokenizer}. */
export interface WordPieceOptions {
  /** Lower-case (uncased models). Default true. */
  readonly lowercase?: boolean;
  /** Strip accents. Default: same as `lowercase`. */
  readonly stripAccents?: boolean;
  /** Space out CJK ideographs. Default true. */
  readonly handleChineseChars?: boolean;
  readonly unkToken?: string;
  readonly clsToken?: string;
  readonly sepToken?: string;
  readonly padToken?: string;
  readonly maskToken?: string;
  /** Prefix of word-continuation pieces. Default `##`. */
  readonly continuingSubwordPrefix?: string;
  /** Longer words become `[UNK]` (counted in characters). Default 100. */
  readonly maxInputCharsPerWord?: number;
  /** Default maximum length of `encodeBatch`. Default 512. */
  readonly modelMaxLength?: number;
  /** The file the vocabulary came from (for error messages). */
  readonly file?: string;
}

/**
 * BERT's WordPiece tokenizer, written in TypeScript: the basic tokenizer (clean, CJK, accents,
 * lower-case, punctuation split) then greedy longest-match-first sub-words with `##` continuations,
 * as the Hugging Face Rust implementation does (ids are checked against `@huggingface/tokenizers`
 * on real sentences). Special tokens typed in the text (`[MASK]`) are kept whole.
 *
 * @example
 * ```ts
 * const tok = WordPieceTokenizer.fromFile('ckpt/vocab.txt');
 * tok.tokenize('Unaffable!'); // ['una', '##ffa', '##ble', '!']
 * ```
 */
export class WordPieceTokenizer extends TextTokenizer {
  readonly kind = 'wordpiece' as const;
  readonly vocab: readonly string[];
  readonly specialTokens: SpecialTokenIds;
  readonly prefixIds: readonly number[];
  readonly suffixIds: readonly number[];
  readonly options: Readonly<Required<Omit<WordPieceOptions, 'file' | 'stripAccents'>>> & { readonly stripAccents: boolean | undefined };
  private readonly index: Map<string, number>;
  private readonly specialPattern: RegExp | undefined;
  private readonly cache = new Map<string, number[]>();

  /**
   * @param vocab tokens in id order (the lines of `vocab.txt`)
   */
  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    super(options.modelMaxLength ?? 512);
    this.vocab = [...vocab];
    this.options = {
      lowercase: options.lowercase ?? true,
      stripAccents: options.stripAccents,
      handleChineseChars: options.handleChineseChars ?? true,
      unkToken: options.unkToken ?? '[UNK]',
      clsToken: options.clsToken ?? '[CLS]',
      sepToken: options.sepToken ?? '[SEP]',
      padToken: options.padToken ?? '[PAD]',
      maskToken: options.maskToken ?? '[MASK]',
      continuingSubwordPrefix: options.continuingSubwordPrefix ?? '##',
      maxInputCharsPerWord: options.maxInputCharsPerWord ?? 100,
      modelMaxLength: this.modelMaxLength,
    };
    // Later duplicates win, as in transformers' load_vocab and the Rust crate.
    this.index = new Map(this.vocab.map((token, id) => [token, id]));
    const where = options.file === undefined ? {} : { file: options.file };
    const required = (token: string, field: string): number => {
      const id = this.index.get(token);
      if (id === undefined) throw new CarlError('TOKENIZER_ERROR', `the vocabulary has no ${JSON.stringify(token)} token`, { ...where, field });
      return id;
    };
    const optional = (token: string): number | undefined => this.index.get(token);
    const pad = required(this.options.padToken, 'pad_token');
    const unk = required(this.options.unkToken, 'unk_token');
    const cls = optional(this.options.clsToken);
    const sep = optional(this.options.sepToken);
    const mask = optional(this.options.maskToken);
    this.specialTokens = { pad, unk, ...(cls === undefined ? {} : { cls }), ...(sep === undefined ? {} : { sep }), ...(mask === undefined ? {} : { mask }) };
    this.prefixIds = cls === undefined ? [] : [cls];
    this.suffixIds = sep === undefined ? [] : [sep];
    const literals = [this.options.padToken, this.options.unkToken, this.options.clsToken, this.options.sepToken, this.options.maskToken].filter((t) =>
      this.index.has(t),
    );
    // Longest first, so "[MASK]" wins over a shorter special that prefixes it.
    literals.sort((a, b) => b.length - a.length);
    this.specialPattern = literals.length === 0 ? undefined : new RegExp(`(${literals.map(escapeRegExp).join('|')})`, 'u');
  }

  /**
   * Reads a `vocab.txt` (one token per line, id = line number).
   *
   * @example
   * ```ts
   * const tok = WordPieceTokenizer.fromFile('vocab.txt', { lowercase: false });
   * ```
   */
  static fromFile(file: string, options: WordPieceOptions = {}): WordPieceTokenizer {
    if (!fs.existsSync(file)) throw new CarlError('NOT_FOUND', 'vocabulary file not found', { file });
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    const vocab = lines.map((line) => line.replace(/\r$/, ''));
    if (vocab.length === 0) throw new CarlError('TOKENIZER_ERROR', 'vocabulary file is empty', { file });
    return new WordPieceTokenizer(vocab, { ...options, file });
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  tokenToId(token: string): number | undefined {
    return this.index.get(token);
  }

  idToToken(id: number): string {
    const token = this.vocab[id];
    if (token === undefined) throw new CarlError('INVALID_ARGUMENT', `id ${id} is outside the vocabulary [0, ${this.vocab.length})`, { field: 'id' });
    return token;
  }

  /** The basic tokenizer's words (normalised, split on whitespace and punctuation), before WordPiece. */
  words(text: string): string[] {
    return bertPreTokenize(
      bertNormalize(text, {
        lowercase: this.options.lowercase,
        handleChineseChars: this.options.handleChineseChars,
        ...(this.options.stripAccents === undefined ? {} : { stripAccents: this.options.stripAccents }),
      }),
    );
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of this.splitSpecials(text)) {
      if (typeof piece === 'number') ids.push(piece);
      else for (const word of this.words(piece)) ids.push(...this.wordIds(word));
    }
    return ids;
  }

  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id] as string);
  }

  /**
   * Joins tokens back into text: `##` pieces glue to the previous token (lower-cased, accent-free
   * text cannot be restored exactly).
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const specials = this.specialIds;
    const prefix = this.options.continuingSubwordPrefix;
    let out = '';
    for (const id of ids) {
      if (skip && specials.has(id)) continue;
      const token = this.idToToken(id);
      if (token.startsWith(prefix) && out !== '') out += token.slice(prefix.length);
      else out += out === '' ? token : ` ${token}`;
    }
    // transformers' clean_up_tokenization: no space before punctuation and contractions.
    return out
      .replace(/ ([.?!,])/g, '$1')
      .replace(/ ' /g, "'")
      .replace(/ n't/g, "n't")
      .replace(/ 'm/g, "'m")
      .replace(/ 's/g, "'s")
      .replace(/ 've/g, "'ve")
      .replace(/ 're/g, "'re");
  }

  withModelMaxLength(modelMaxLength: number): WordPieceTokenizer {
    return new WordPieceTokenizer(this.vocab, { ...this.options, modelMaxLength });
  }

  /**
   * The equivalent Hugging Face `tokenizer.json` (BertNormalizer, BertPreTokenizer, WordPiece model,
   * `[CLS] $A [SEP]` template), which Python's `PreTrainedTokenizerFast` and `@huggingface/tokenizers` load.
   *
   * @example
   * ```ts
   * fs.writeFileSync('tokenizer.json', JSON.stringify(tok.toTokenizerJson()));
   * ```
   */
  toTokenizerJson(): Record<string, unknown> {
    const o = this.options;
    const specials = [o.padToken, o.unkToken, o.clsToken, o.sepToken, o.maskToken].filter((t) => this.index.has(t));
    const vocab: Record<string, number> = {};
    this.index.forEach((id, token) => (vocab[token] = id));
    const cls = this.specialTokens.cls;
    const sep = this.specialTokens.sep;
    const template = (pair: boolean): unknown[] => [
      ...(cls === undefined ? [] : [{ SpecialToken: { id: o.clsToken, type_id: 0 } }]),
      { Sequence: { id: 'A', type_id: 0 } },
      ...(sep === undefined ? [] : [{ SpecialToken: { id: o.sepToken, type_id: 0 } }]),
      ...(pair ? [{ Sequence: { id: 'B', type_id: 1 } }, ...(sep === undefined ? [] : [{ SpecialToken: { id: o.sepToken, type_id: 1 } }])] : []),
    ];
    const specialTokens: Record<string, unknown> = {};
    if (cls !== undefined) specialTokens[o.clsToken] = { id: o.clsToken, ids: [cls], tokens: [o.clsToken] };
    if (sep !== undefined) specialTokens[o.sepToken] = { id: o.sepToken, ids: [sep], tokens: [o.sepToken] };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: specials
        .map((content) => ({ id: this.index.get(content) as number, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
        .sort((a, b) => a.id - b.id),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: o.handleChineseChars,
        strip_accents: o.stripAccents ?? null,
        lowercase: o.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: { type: 'TemplateProcessing', single: template(false), pair: template(true), special_tokens: specialTokens },
      decoder: { type: 'WordPiece', prefix: o.continuingSubwordPrefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: o.unkToken,
        continuing_subword_prefix: o.continuingSubwordPrefix,
        max_input_chars_per_word: o.maxInputCharsPerWord,
        vocab,
      },
    };
  }

  /** transformers' `tokenizer_config.json` for this tokenizer. */
  tokenizerConfig(): Record<string, unknown> {
    const o = this.options;
    return {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: o.lowercase,
      strip_accents: o.stripAccents ?? null,
      tokenize_chinese_chars: o.handleChineseChars,
      model_max_length: this.modelMaxLength,
      unk_token: o.unkToken,
      sep_token: o.sepToken,
      pad_token: o.padToken,
      cls_token: o.clsToken,
      mask_token: o.maskToken,
      clean_up_tokenization_spaces: true,
    };
  }

  /**
   * Writes `vocab.txt`, `tokenizer.json`, `tokenizer_config.json` and `special_tokens_map.json`
   * (what transformers' `save_pretrained` writes for a BERT tokenizer).
   */
  save(dir: string): string[] {
    const o = this.options;
    const files: Array<[string, string]> = [
      ['vocab.txt', `${this.vocab.join('\n')}\n`],
      ['tokenizer.json', JSON.stringify(this.toTokenizerJson())],
      ['tokenizer_config.json', `${JSON.stringify(this.tokenizerConfig(), null, 2)}\n`],
      [
        'special_tokens_map.json',
        `${JSON.stringify({ unk_token: o.unkToken, sep_token: o.sepToken, pad_token: o.padToken, cls_token: o.clsToken, mask_token: o.maskToken }, null, 2)}\n`,
      ],
    ];
    return files.map(([name, text]) => {
      const file = path.join(dir, name);
      writeFileAtomic(file, text);
      return file;
    });
  }

  private splitSpecials(text: string): Array<string | number> {
    if (this.specialPattern === undefined) return [text];
    return text
      .split(this.specialPattern)
      .map((part, i) => (i % 2 === 1 ? (this.index.get(part) as number) : part))
      .filter((part) => part !== '');
  }

  private wordIds(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const ids = this.wordPiece(word);
    if (this.cache.size > 100_000) this.cache.clear(); // bounded: corpora have long tails of rare words
    this.cache.set(word, ids);
    return ids;
  }

  private wordPiece(word: string): number[] {
    const chars = Array.from(word);
    const unk = this.specialTokens.unk as number;
    if (chars.length > this.options.maxInputCharsPerWord) return [unk];
    const prefix = this.options.continuingSubwordPrefix;
    const ids: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? prefix : '') + chars.slice(start, end).join('');
        found = this.index.get(piece);
        if (found !== undefined) break;
        end -= 1;
      }
      if (found === undefined) return [unk]; // one unknown piece makes the whole word [UNK]
      ids.push(found);
      start = end;
    }
    return ids;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
