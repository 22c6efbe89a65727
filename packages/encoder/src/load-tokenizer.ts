import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError } from '@carl/core';
import { bpeTokenizerJson, HfTokenizer } from './hf-tokenizer';
import type { TextTokenizer } from './tokenizer-base';
import { WordPieceTokenizer, type WordPieceOptions } from './wordpiece';

/** Options of {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /** Default maximum length of `encodeBatch` (the model's). Default: `model_max_length` of tokenizer_config.json, else 512. */
  readonly modelMaxLength?: number;
}

// Tokenizer files this package recognises but cannot read, with what to do instead.
const UNSUPPORTED: Readonly<Record<string, string>> = {
  'spiece.model': 'a SentencePiece model',
  'sentencepiece.bpe.model': 'a SentencePiece model',
  'tokenizer.model': 'a SentencePiece model',
};

/**
 * Loads the tokenizer of a Hugging Face checkpoint folder, or one tokenizer file. In a folder it
 * looks for, in order: `tokenizer.json`; `vocab.txt` (WordPiece); `vocab.json` + `merges.txt`
 * (byte-level BPE); `tokenizer_config.json` supplies casing, special-token names and the maximum
 * length. When it does not name the special tokens of a `vocab.txt`, `config.json`'s `model_type` does
 * (`roberta`: `<s>`, `</s>`, `<pad>`, `<unk>`, `<mask>`; `bert`: `[CLS]`, …). A standard BERT `tokenizer.json` (BertNormalizer + BertPreTokenizer + WordPiece) is
 * loaded into this package's own {@link WordPieceTokenizer}; anything else goes through
 * `@huggingface/tokenizers`. A file of an unknown kind fails with `TOKENIZER_ERROR` naming it.
 *
 * @example
 * ```ts
 * const tokenizer = loadTokenizer('checkpoints/roberta-base');
 * tokenizer.encodeBatch(['Hello world'], { maxLength: 128 });
 * ```
 */
export function loadTokenizer(location: string, options: LoadTokenizerOptions = {}): TextTokenizer {
  if (!fs.existsSync(location)) throw new CarlError('NOT_FOUND', 'tokenizer location not found', { file: location });
  if (fs.statSync(location).isFile()) return loadTokenizerFile(location, path.dirname(location), options);
  const dir = location;
  const has = (name: string): boolean => fs.existsSync(path.join(dir, name));
  if (has('tokenizer.json')) return loadTokenizerFile(path.join(dir, 'tokenizer.json'), dir, options);
  if (has('vocab.txt')) return loadTokenizerFile(path.join(dir, 'vocab.txt'), dir, options);
  if (has('vocab.json') && has('merges.txt')) return loadBpe(path.join(dir, 'vocab.json'), path.join(dir, 'merges.txt'), dir, options);
  if (has('vocab.json')) throw new CarlError('TOKENIZER_ERROR', 'vocab.json without merges.txt: a BPE tokenizer needs both', { file: path.join(dir, 'vocab.json') });
  for (const [name, what] of Object.entries(UNSUPPORTED)) {
    if (has(name)) {
      throw new CarlError('TOKENIZER_ERROR', `${what} is not supported; export the tokenizer as tokenizer.json (transformers: AutoTokenizer(...).save_pretrained)`, {
        file: path.join(dir, name),
      });
    }
  }
  throw new CarlError('NOT_FOUND', 'no tokenizer found (looked for tokenizer.json, vocab.txt, vocab.json + merges.txt)', { file: dir });
}

/** The special tokens of each model family, for a `vocab.txt` whose tokenizer_config.json does not name them. */
const MODEL_TYPE_SPECIALS: Readonly<Record<string, Pick<WordPieceOptions, 'clsToken' | 'sepToken' | 'padToken' | 'unkToken' | 'maskToken'>>> = {
  bert: { clsToken: '[CLS]', sepToken: '[SEP]', padToken: '[PAD]', unkToken: '[UNK]', maskToken: '[MASK]' },
  roberta: { clsToken: '<s>', sepToken: '</s>', padToken: '<pad>', unkToken: '<unk>', maskToken: '<mask>' },
  'xlm-roberta': { clsToken: '<s>', sepToken: '</s>', padToken: '<pad>', unkToken: '<unk>', maskToken: '<mask>' },
  camembert: { clsToken: '<s>', sepToken: '</s>', padToken: '<pad>', unkToken: '<unk>', maskToken: '<mask>' },
};

/** Special-token names implied by `config.json`'s `model_type` beside the tokenizer (none when absent or unknown). */
function modelTypeSpecials(dir: string): WordPieceOptions {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) return {};
  const config = readJson(file, 'INVALID_CONFIG');
  const modelType = config !== null && typeof config === 'object' ? (config as Record<string, unknown>)['model_type'] : undefined;
  return typeof modelType === 'string' ? (MODEL_TYPE_SPECIALS[modelType] ?? {}) : {};
}

function loadTokenizerFile(file: string, dir: string, options: LoadTokenizerOptions): TextTokenizer {
  const name = path.basename(file);
  const config = readTokenizerConfig(dir);
  const maxLength = options.modelMaxLength === undefined ? {} : { modelMaxLength: options.modelMaxLength };
  // tokenizer_config.json wins; a RoBERTa vocab.txt (<s>, </s>, <pad>) without one gets its names from model_type.
  if (name.endsWith('.txt')) return WordPieceTokenizer.fromFile(file, { ...modelTypeSpecials(dir), ...wordPieceOptions(config, file), ...maxLength });
  if (name.endsWith('.json')) {
    const json = readJson(file, 'TOKENIZER_ERROR');
    if (json === null || typeof json !== 'object' || !('model' in json)) {
      throw new CarlError('TOKENIZER_ERROR', 'JSON file is not a tokenizer.json (no "model" field)', { file, field: 'model' });
    }
    const standard = standardWordPiece(json as Record<string, unknown>);
    if (standard !== undefined) {
      return new WordPieceTokenizer(standard.vocab, { ...wordPieceOptions(config, file), ...standard.options, ...maxLength });
    }
    return HfTokenizer.fromJson(json, config, { file, ...maxLength });
  }
  throw new CarlError('TOKENIZER_ERROR', 'tokenizer file of an unknown kind (expected tokenizer.json, vocab.txt or vocab.json + merges.txt)', { file });
}

function loadBpe(vocabFile: string, mergesFile: string, dir: string, options: LoadTokenizerOptions): TextTokenizer {
  const vocab = readJson(vocabFile, 'TOKENIZER_ERROR');
  if (vocab === null || typeof vocab !== 'object' || Array.isArray(vocab)) {
    throw new CarlError('TOKENIZER_ERROR', 'vocab.json is not an object of token → id', { file: vocabFile });
  }
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new CarlError('TOKENIZER_ERROR', `id ${JSON.stringify(id)} is not a non-negative integer`, { file: vocabFile, field: token });
  }
  const merges: string[] = [];
  fs.readFileSync(mergesFile, 'utf8')
    .split('\n')
    .forEach((raw, i) => {
      const line = raw.replace(/\r$/, '');
      if (line === '' || (i === 0 && line.startsWith('#version'))) return;
      if (line.split(' ').length !== 2) {
        throw new CarlError('TOKENIZER_ERROR', `expected a merge rule "a b", got ${JSON.stringify(line)}`, { file: mergesFile, line: i + 1 });
      }
      merges.push(line);
    });
  const config = readTokenizerConfig(dir);
  const str = (key: string): string | undefined => {
    const v = config[key];
    if (typeof v === 'string') return v;
    if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
    return undefined;
  };
  const names = {
    ...(str('bos_token') === undefined ? {} : { bosToken: str('bos_token') as string }),
    ...(str('eos_token') === undefined ? {} : { eosToken: str('eos_token') as string }),
    ...(str('pad_token') === undefined ? {} : { padToken: str('pad_token') as string }),
    ...(str('unk_token') === undefined ? {} : { unkToken: str('unk_token') as string }),
    ...(str('mask_token') === undefined ? {} : { maskToken: str('mask_token') as string }),
    ...(typeof config['add_prefix_space'] === 'boolean' ? { addPrefixSpace: config['add_prefix_space'] } : {}),
  };
  const json = bpeTokenizerJson(vocab as Record<string, number>, merges, names);
  return HfTokenizer.fromJson(json, config, { file: vocabFile, ...(options.modelMaxLength === undefined ? {} : { modelMaxLength: options.modelMaxLength }) });
}

function readTokenizerConfig(dir: string): Record<string, unknown> {
  const file = path.join(dir, 'tokenizer_config.json');
  if (!fs.existsSync(file)) return {};
  const json = readJson(file, 'TOKENIZER_ERROR');
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CarlError('TOKENIZER_ERROR', 'not a JSON object', { file });
  return json as Record<string, unknown>;
}

function wordPieceOptions(config: Record<string, unknown>, file: string): WordPieceOptions {
  const str = (key: string): string | undefined => {
    const v = config[key];
    if (typeof v === 'string') return v;
    if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
    return undefined;
  };
  const bool = (key: string): boolean | undefined => (typeof config[key] === 'boolean' ? (config[key] as boolean) : undefined);
  const max = config['model_max_length'];
  const out: { -readonly [K in keyof WordPieceOptions]: WordPieceOptions[K] } = { file };
  if (bool('do_lower_case') !== undefined) out.lowercase = bool('do_lower_case');
  if (bool('strip_accents') !== undefined) out.stripAccents = bool('strip_accents');
  if (bool('tokenize_chinese_chars') !== undefined) out.handleChineseChars = bool('tokenize_chinese_chars');
  if (str('unk_token') !== undefined) out.unkToken = str('unk_token');
  if (str('cls_token') !== undefined) out.clsToken = str('cls_token');
  if (str('sep_token') !== undefined) out.sepToken = str('sep_token');
  if (str('pad_token') !== undefined) out.padToken = str('pad_token');
  if (str('mask_token') !== undefined) out.maskToken = str('mask_token');
  if (typeof max === 'number' && Number.isInteger(max) && max > 0 && max <= 1_000_000) out.modelMaxLength = max;
  return out;
}

/** The vocabulary and options of a tokenizer.json that is exactly BERT's WordPiece pipeline, else undefined. */
function standardWordPiece(json: Record<string, unknown>): { vocab: string[]; options: WordPieceOptions } | undefined {
  const model = json['model'] as Record<string, unknown> | undefined;
  const normalizer = json['normalizer'] as Record<string, unknown> | null | undefined;
  const pre = json['pre_tokenizer'] as Record<string, unknown> | null | undefined;
  if (model?.['type'] !== 'WordPiece' || normalizer?.['type'] !== 'BertNormalizer' || pre?.['type'] !== 'BertPreTokenizer') return undefined;
  if (normalizer['clean_text'] === false) return undefined;
  const post = json['post_processor'] as Record<string, unknown> | null | undefined;
  if (post !== null && post !== undefined && post['type'] !== 'TemplateProcessing' && post['type'] !== 'BertProcessing') return undefined;
  const entries = Object.entries((model['vocab'] ?? {}) as Record<string, number>);
  const vocab: string[] = new Array<string>(entries.length);
  for (const [token, id] of entries) {
    if (!Number.isInteger(id) || id < 0 || id >= entries.length || vocab[id] !== undefined) return undefined; // not a dense id range
    vocab[id] = token;
  }
  const options: { -readonly [K in keyof WordPieceOptions]: WordPieceOptions[K] } = {
    lowercase: normalizer['lowercase'] !== false,
    handleChineseChars: normalizer['handle_chinese_chars'] !== false,
  };
  if (typeof normalizer['strip_accents'] === 'boolean') options.stripAccents = normalizer['strip_accents'];
  if (typeof model['unk_token'] === 'string') options.unkToken = model['unk_token'];
  if (typeof model['continuing_subword_prefix'] === 'string') options.continuingSubwordPrefix = model['continuing_subword_prefix'];
  if (typeof model['max_input_chars_per_word'] === 'number') options.maxInputCharsPerWord = model['max_input_chars_per_word'];
  const special = (json['added_tokens'] ?? []) as Array<{ content: string; special?: boolean }>;
  // Added tokens beyond BERT's five would be matched in text by the HF pipeline; leave those to it.
  const known = new Set(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  if (special.some((t) => !known.has(t.content))) return undefined;
  return { vocab, options };
}

/** Reads and parses a JSON file, failing with `code` and the file name on bad JSON. */
export function readJson(file: string, code: 'TOKENIZER_ERROR' | 'INVALID_CONFIG' | 'INVALID_CHECKPOINT'): unknown {
  if (!fs.existsSync(file)) throw new CarlError('NOT_FOUND', 'file not found', { file });
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CarlError(code, `not valid JSON (${error instanceof Error ? error.message : String(error)})`, { file }, { cause: error });
  }
}
