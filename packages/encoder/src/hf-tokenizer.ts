import * as path from 'node:path';
import { Tokenizer as HfCoreTokenizer } from '@huggingface/tokenizers';
import { CarlError, writeFileAtomic } from '@carl/core';
import type { SpecialTokenIds } from '@carl/core';
import { TextTokenizer, type DecodeOptions } from './tokenizer-base';

/** A parsed `tokenizer.json` (only the fields read here are typed). */
export interface TokenizerJson {
  readonly model: { readonly type?: string; readonly [key: string]: unknown };
  readonly added_tokens?: ReadonlyArray<{ readonly id: number; readonly content: string; readonly special?: boolean }>;
  readonly post_processor?: unknown;
  readonly [key: string]: unknown;
}

/** Options of {@link HfTokenizer}. */
export interface HfTokenizerOptions {
  /** Default maximum length of `encodeBatch`. Default: `model_max_length` of the config if sane, else 512. */
  readonly modelMaxLength?: number;
  /** The file the JSON came from (for error messages). */
  readonly file?: string;
}

const SUPPORTED_MODELS = ['WordPiece', 'BPE', 'Unigram'];

/**
 * Any Hugging Face `tokenizer.json` (byte-level BPE for RoBERTa, WordPiece, Unigram), encoded by
 * `@huggingface/tokenizers` (pure JavaScript; ids equal the Rust library's), with this package's
 * batching, padding and truncation. The special-token template (`<s> … </s>`, `[CLS] … [SEP]`) is
 * read from the post-processor and added here, so truncation never cuts a special token.
 *
 * @example
 * ```ts
 * const tok = HfTokenizer.fromJson(JSON.parse(fs.readFileSync('roberta/tokenizer.json', 'utf8')));
 * tok.encodeBatch(['Hello world']).inputIds; // [[0, 31414, 232, 2]]
 * ```
 */
export class HfTokenizer extends TextTokenizer {
  readonly kind = 'tokenizer.json' as const;
  readonly vocabSize: number;
  readonly specialTokens: SpecialTokenIds;
  readonly prefixIds: readonly number[];
  readonly suffixIds: readonly number[];
  private readonly core: HfCoreTokenizer;
  private readonly idToTokenMap: Map<number, string>;
  private readonly tokenToIdMap: Map<string, number>;
  private readonly addedSpecialIds: readonly number[];

  constructor(
    readonly json: TokenizerJson,
    readonly config: Readonly<Record<string, unknown>> = {},
    options: HfTokenizerOptions = {},
  ) {
    super(options.modelMaxLength ?? saneMaxLength(config['model_max_length']));
    const where = options.file === undefined ? {} : { file: options.file };
    const fail = (message: string, field: string): never => {
      throw new CarlError('TOKENIZER_ERROR', message, { ...where, field });
    };
    if (json === null || typeof json !== 'object' || json.model === null || typeof json.model !== 'object') {
      fail('not a tokenizer.json: it has no "model" object', 'model');
    }
    const type = json.model.type ?? (Array.isArray(json.model['merges']) ? 'BPE' : undefined);
    if (type === undefined || !SUPPORTED_MODELS.includes(type)) {
      fail(`unsupported tokenizer model type ${JSON.stringify(type)} (supported: ${SUPPORTED_MODELS.join(', ')})`, 'model.type');
    }
    try {
      this.core = new HfCoreTokenizer(json, config);
    } catch (error) {
      throw new CarlError('TOKENIZER_ERROR', `@huggingface/tokenizers could not load it: ${error instanceof Error ? error.message : String(error)}`, where, {
        cause: error,
      });
    }
    this.tokenToIdMap = this.core.get_vocab(true);
    this.idToTokenMap = new Map([...this.tokenToIdMap].map(([token, id]) => [id, token]));
    this.vocabSize = Math.max(-1, ...this.tokenToIdMap.values()) + 1;
    const template = templateOf(json.post_processor, this.tokenToIdMap, fail);
    this.prefixIds = template.prefix;
    this.suffixIds = template.suffix;
    this.addedSpecialIds = (json.added_tokens ?? []).filter((t) => t.special === true).map((t) => t.id);
    const named = (key: string, candidates: readonly string[]): number | undefined => {
      const fromConfig = tokenContent(config[key]);
      for (const token of fromConfig === undefined ? candidates : [fromConfig]) {
        const id = this.tokenToIdMap.get(token);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const pad = named('pad_token', ['[PAD]', '<pad>']);
    if (pad === undefined) fail('the tokenizer has no padding token ([PAD] or <pad>, or pad_token in tokenizer_config.json)', 'pad_token');
    const unk = named('unk_token', ['[UNK]', '<unk>']);
    const cls = named('cls_token', ['[CLS]', '<s>']) ?? this.prefixIds[0];
    const sep = named('sep_token', ['[SEP]', '</s>']) ?? this.suffixIds[this.suffixIds.length - 1];
    const mask = named('mask_token', ['[MASK]', '<mask>']);
    this.specialTokens = {
      pad: pad as number,
      ...(unk === undefined ? {} : { unk }),
      ...(cls === undefined ? {} : { cls }),
      ...(sep === undefined ? {} : { sep }),
      ...(mask === undefined ? {} : { mask }),
    };
  }

  /**
   * Builds a tokenizer from a parsed `tokenizer.json` and optional `tokenizer_config.json`.
   *
   * @example
   * ```ts
   * const tok = HfTokenizer.fromJson(json, config, { file: 'tokenizer.json' });
   * ```
   */
  static fromJson(json: unknown, config: Readonly<Record<string, unknown>> = {}, options: HfTokenizerOptions = {}): HfTokenizer {
    return new HfTokenizer(json as TokenizerJson, config, options);
  }

  override get specialIds(): ReadonlySet<number> {
    return new Set([...super.specialIds, ...this.addedSpecialIds]);
  }

  encode(text: string): number[] {
    return this.core.encode(text, { add_special_tokens: false }).ids;
  }

  tokenize(text: string): string[] {
    return this.core.encode(text, { add_special_tokens: false }).tokens;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenToIdMap.get(token);
  }

  idToToken(id: number): string {
    const token = this.idToTokenMap.get(id);
    if (token === undefined) throw new CarlError('INVALID_ARGUMENT', `id ${id} is not in the vocabulary`, { field: 'id' });
    return token;
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.core.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true });
  }

  withModelMaxLength(modelMaxLength: number): HfTokenizer {
    return new HfTokenizer(this.json, this.config, { modelMaxLength });
  }

  /** Writes `tokenizer.json` (as loaded) and `tokenizer_config.json` (with this `model_max_length`). */
  save(dir: string): string[] {
    const jsonFile = path.join(dir, 'tokenizer.json');
    const configFile = path.join(dir, 'tokenizer_config.json');
    writeFileAtomic(jsonFile, JSON.stringify(this.json));
    writeFileAtomic(configFile, `${JSON.stringify({ ...this.config, model_max_length: this.modelMaxLength }, null, 2)}\n`);
    return [jsonFile, configFile];
  }
}

/** Options of {@link bpeTokenizerJson}. */
export interface BpeOptions {
  /** Add a space before the text (GPT-2/RoBERTa option). Default false (RoBERTa's default). */
  readonly addPrefixSpace?: boolean;
  readonly bosToken?: string;
  readonly eosToken?: string;
  readonly padToken?: string;
  readonly unkToken?: string;
  readonly maskToken?: string;
}

/**
 * The RoBERTa-style byte-level BPE `tokenizer.json` for a `vocab.json` + `merges.txt` pair
 * (what transformers' `RobertaTokenizerFast` builds from the two files).
 *
 * @param vocab token → id (`vocab.json`)
 * @param merges merge rules `"a b"` in priority order (`merges.txt` without its `#version` line)
 * @example
 * ```ts
 * const tok = HfTokenizer.fromJson(bpeTokenizerJson(vocab, merges));
 * ```
 */
export function bpeTokenizerJson(vocab: Readonly<Record<string, number>>, merges: readonly string[], options: BpeOptions = {}): TokenizerJson {
  const bos = options.bosToken ?? '<s>';
  const eos = options.eosToken ?? '</s>';
  const names = [bos, options.padToken ?? '<pad>', eos, options.unkToken ?? '<unk>', options.maskToken ?? '<mask>'];
  const mask = options.maskToken ?? '<mask>';
  const addPrefixSpace = options.addPrefixSpace ?? false;
  const added = names
    .filter((content) => vocab[content] !== undefined)
    .map((content) => ({
      id: vocab[content] as number,
      content,
      single_word: false,
      // RoBERTa's <mask> swallows the space before it, so "a <mask>" encodes like "a" + mask.
      lstrip: content === mask,
      rstrip: false,
      normalized: false,
      special: true,
    }));
  const bosId = vocab[bos];
  const eosId = vocab[eos];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: addPrefixSpace, trim_offsets: true, use_regex: true },
    post_processor:
      bosId === undefined || eosId === undefined
        ? null
        : { type: 'RobertaProcessing', sep: [eos, eosId], cls: [bos, bosId], trim_offsets: true, add_prefix_space: addPrefixSpace },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: vocab[options.unkToken ?? '<unk>'] === undefined ? null : (options.unkToken ?? '<unk>'),
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
}

function saneMaxLength(value: unknown): number {
  // transformers writes a huge sentinel (1e30) when a tokenizer has no limit.
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 1_000_000 ? value : 512;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

interface Template {
  prefix: number[];
  suffix: number[];
}

function templateOf(processor: unknown, vocab: ReadonlyMap<string, number>, fail: (message: string, field: string) => never): Template {
  if (processor === null || processor === undefined || typeof processor !== 'object') return { prefix: [], suffix: [] };
  const p = processor as Record<string, unknown>;
  const pairId = (value: unknown, field: string): number => {
    if (!Array.isArray(value) || typeof value[1] !== 'number') return fail('expected a [token, id] pair', `post_processor.${field}`);
    return value[1] as number;
  };
  switch (p['type']) {
    case 'BertProcessing':
    case 'RobertaProcessing':
      return { prefix: [pairId(p['cls'], 'cls')], suffix: [pairId(p['sep'], 'sep')] };
    case 'TemplateProcessing': {
      const single = p['single'];
      if (!Array.isArray(single)) return fail('TemplateProcessing has no "single" template', 'post_processor.single');
      const specials = (p['special_tokens'] ?? {}) as Record<string, { ids?: number[] }>;
      const out: Template = { prefix: [], suffix: [] };
      let seenSequence = false;
      for (const piece of single as Array<Record<string, { id: string }>>) {
        if ('Sequence' in piece) {
          seenSequence = true;
          continue;
        }
        const name = piece['SpecialToken']?.id;
        if (name === undefined) return fail('template piece is neither Sequence nor SpecialToken', 'post_processor.single');
        const ids = specials[name]?.ids ?? (vocab.has(name) ? [vocab.get(name) as number] : undefined);
        if (ids === undefined) return fail(`template names special token ${JSON.stringify(name)}, which is not defined`, 'post_processor.special_tokens');
        (seenSequence ? out.suffix : out.prefix).push(...ids);
      }
      return out;
    }
    case 'Sequence': {
      for (const inner of (p['processors'] ?? []) as unknown[]) {
        const t = templateOf(inner, vocab, fail);
        if (t.prefix.length > 0 || t.suffix.length > 0) return t;
      }
      return { prefix: [], suffix: [] };
    }
    default:
      return { prefix: [], suffix: [] };
  }
}
