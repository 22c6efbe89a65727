import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CarlError, ensureBackend, writeFileAtomic } from '@carl/core';
import type { Tokenizer } from '@carl/core';
import { maxSequenceLength, parseHfConfig, toHfConfig, type Architecture, type EncoderConfig, type Pooling } from './config';
import { loadTokenizer, readJson } from './load-tokenizer';
import { MlmHead, mlmHeadNames } from './mlm';
import { initialParameters, parameterShapes, TransformerEncoder, type LoadReport } from './model';
import { readSafetensorsFile, writeSafetensorsFile, type FloatDType, type SafetensorsEntry, type TensorToWrite } from './safetensors';
import { TextTokenizer } from './tokenizer-base';

/** Options of {@link loadPretrained}. */
export interface LoadPretrainedOptions {
  /** Use this tokenizer instead of the folder's. */
  readonly tokenizer?: Tokenizer;
  /** Override the pooling (default: `carl_pooling` of config.json, else `mean`). */
  readonly pooling?: Pooling;
  /**
   * Initialise encoder parameters the checkpoint lacks (listed in the report) instead of failing.
   * Default false: a missing layer almost always means the wrong checkpoint. (A missing pooler is never an error.)
   */
  readonly allowMissing?: boolean;
  /** Seed of the dropout stream and of any initialised parameter. Default 0. */
  readonly seed?: number;
  /** Called with what was loaded, missing, unused, renamed. */
  readonly onReport?: (report: LoadReport) => void;
}

/** Options of {@link savePretrained}. */
export interface SavePretrainedOptions {
  /** Also save this MLM head (`cls.predictions.*` / `lm_head.*`; architectures `…ForMaskedLM`). */
  readonly mlmHead?: MlmHead;
  /** Storage type of the weights. Default `F32`. */
  readonly dtype?: FloatDType;
  /** Write base-model names with the `bert.` / `roberta.` prefix (as task models do). Default true. */
  readonly prefix?: boolean;
}

/** A canonical view of a checkpoint's tensors. */
interface CheckpointTensors {
  readonly files: string[];
  readonly encoder: Map<string, SafetensorsEntry>;
  readonly head: Map<string, SafetensorsEntry>;
  readonly unused: string[];
  readonly buffers: string[];
  readonly renamed: Array<readonly [string, string]>;
}

const BUFFERS = new Set(['embeddings.position_ids', 'embeddings.token_type_ids']);

/**
 * The canonical name of a checkpoint tensor: the `bert.` / `roberta.` prefix stripped and
 * TF-era `LayerNorm.gamma` / `.beta` renamed to `.weight` / `.bias`.
 *
 * @example
 * ```ts
 * canonicalName('bert.encoder.layer.0.output.LayerNorm.gamma', 'bert'); // 'encoder.layer.0.output.LayerNorm.weight'
 * ```
 */
export function canonicalName(name: string, architecture: Architecture): string {
  let out = name.startsWith(`${architecture}.`) ? name.slice(architecture.length + 1) : name;
  out = out.replace(/(LayerNorm|layer_norm)\.gamma$/, '$1.weight').replace(/(LayerNorm|layer_norm)\.beta$/, '$1.bias');
  return out;
}

function weightFiles(dir: string): string[] {
  const single = path.join(dir, 'model.safetensors');
  if (fs.existsSync(single)) return [single];
  const indexFile = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(indexFile)) {
    const index = readJson(indexFile, 'INVALID_CHECKPOINT') as { weight_map?: Record<string, string> } | null;
    const map = index?.weight_map;
    if (map === undefined || map === null || typeof map !== 'object') {
      throw new CarlError('INVALID_CHECKPOINT', 'sharded index has no "weight_map" object', { file: indexFile, field: 'weight_map' });
    }
    return [...new Set(Object.values(map))].sort().map((shard) => path.join(dir, shard));
  }
  for (const legacy of ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack']) {
    if (fs.existsSync(path.join(dir, legacy))) {
      throw new CarlError(
        'INVALID_CHECKPOINT',
        `only safetensors weights are supported; convert in Python: AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True)`,
        { file: path.join(dir, legacy) },
      );
    }
  }
  throw new CarlError('NOT_FOUND', 'no model.safetensors (or model.safetensors.index.json) in the checkpoint folder', { file: dir });
}

function readCheckpoint(dir: string, config: EncoderConfig): CheckpointTensors {
  const files = weightFiles(dir);
  const expected = parameterShapes(config, true);
  const out: CheckpointTensors = { files, encoder: new Map(), head: new Map(), unused: [], buffers: [], renamed: [] };
  const origin = new Map<string, string>();
  for (const file of files) {
    for (const [name, entry] of readSafetensorsFile(file).tensors) {
      const canonical = canonicalName(name, config.architecture);
      const previous = origin.get(canonical);
      if (previous !== undefined) {
        throw new CarlError('INVALID_CHECKPOINT', `both "${previous}" and "${name}" name the parameter "${canonical}"`, { file, field: name });
      }
      origin.set(canonical, name);
      if (canonical !== name) out.renamed.push([name, canonical]);
      if (expected.has(canonical)) {
        const shape = expected.get(canonical) as number[];
        if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) {
          throw new CarlError('INVALID_CHECKPOINT', `has shape [${entry.shape.join(', ')}], but config.json implies [${shape.join(', ')}]`, { file, field: name });
        }
        if (!['F32', 'F16', 'BF16', 'F64'].includes(entry.dtype)) {
          throw new CarlError('INVALID_CHECKPOINT', `parameter stored as ${entry.dtype}; expected a float type`, { file, field: name });
        }
        out.encoder.set(canonical, entry);
      } else if (canonical.startsWith('cls.predictions.') || canonical.startsWith('lm_head.')) {
        out.head.set(canonical, entry);
      } else if (BUFFERS.has(canonical)) {
        out.buffers.push(name);
      } else {
        out.unused.push(name);
      }
    }
  }
  return out;
}

/**
 * Reads and checks `config.json` of a checkpoint folder.
 *
 * @example
 * ```ts
 * const config = readConfig('checkpoints/tiny'); // EncoderConfig
 * ```
 */
export function readConfig(dir: string): EncoderConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) throw new CarlError('NOT_FOUND', 'config.json not found in the checkpoint folder', { file });
  return parseHfConfig(readJson(file, 'INVALID_CONFIG'), file);
}

/**
 * Loads a BERT or RoBERTa checkpoint in the Hugging Face layout: `config.json`, `model.safetensors`
 * (or sharded, with `model.safetensors.index.json`; F32, F16, BF16 tensors) and the tokenizer
 * (`tokenizer.json`, `vocab.txt`, or `vocab.json` + `merges.txt`). Parameter names may carry the
 * `bert.` / `roberta.` prefix or not, and layer norms may be named `gamma` / `beta`. Missing and
 * unused tensors are reported by name (`encoder.loadReport`, `options.onReport`); a missing encoder
 * parameter is an error unless `allowMissing`.
 *
 * @example
 * ```ts
 * const encoder = await loadPretrained('checkpoints/bert-base-uncased', { pooling: 'cls' });
 * console.log(encoder.loadReport?.unused); // ['cls.seq_relationship.weight', …]
 * ```
 */
export async function loadPretrained(dir: string, options: LoadPretrainedOptions = {}): Promise<TransformerEncoder> {
  const parsed = readConfig(dir);
  const config: EncoderConfig = options.pooling === undefined ? parsed : { ...parsed, pooling: options.pooling };
  const checkpoint = readCheckpoint(dir, config);
  await ensureBackend();
  const hasPooler = checkpoint.encoder.has('pooler.dense.weight') || checkpoint.encoder.has('pooler.dense.bias');
  // A pooler absent from the checkpoint is left out (not invented) unless the pooling needs it.
  const withPooler = hasPooler || config.pooling === 'pooler';
  const expected = parameterShapes(config, withPooler);
  const missing = [...parameterShapes(config, true).keys()].filter((name) => !checkpoint.encoder.has(name));
  const needed = [...expected.keys()].filter((name) => !checkpoint.encoder.has(name));
  if (needed.length > 0 && options.allowMissing !== true) {
    throw new CarlError(
      'INVALID_CHECKPOINT',
      `${needed.length} encoder parameter(s) missing: ${needed.slice(0, 8).join(', ')}${needed.length > 8 ? ', …' : ''} (pass allowMissing to initialise them)`,
      { file: checkpoint.files[0] as string, field: needed[0] as string },
    );
  }
  const fresh = initialParameters(config, withPooler, options.seed ?? 0, new Set(needed));
  const weights = new Map<string, tf.Variable>();
  try {
    for (const name of expected.keys()) {
      const entry = checkpoint.encoder.get(name);
      const value = entry !== undefined ? tf.tensor(entry.read() as Float32Array, entry.shape as number[], 'float32') : (fresh.get(name) as tf.Tensor);
      weights.set(name, tf.variable(value, true));
      value.dispose();
    }
  } catch (error) {
    for (const v of weights.values()) v.dispose();
    throw error;
  } finally {
    for (const t of fresh.values()) if (!t.isDisposed) t.dispose();
  }
  const report: LoadReport = {
    files: checkpoint.files,
    missing,
    unused: checkpoint.unused,
    mlmHead: [...checkpoint.head.keys()],
    buffers: checkpoint.buffers,
    renamed: checkpoint.renamed,
  };
  const tokenizer = options.tokenizer ?? fitTokenizer(loadTokenizer(dir), maxSequenceLength(config));
  options.onReport?.(report);
  try {
    return new TransformerEncoder(config, tokenizer, weights, { seed: options.seed ?? 0, loadReport: report });
  } catch (error) {
    for (const v of weights.values()) v.dispose();
    throw error;
  }
}

function fitTokenizer(tokenizer: TextTokenizer, maxLength: number): TextTokenizer {
  return tokenizer.modelMaxLength > maxLength ? tokenizer.withModelMaxLength(maxLength) : tokenizer;
}

/**
 * Loads the MLM head (`cls.predictions.*` / `lm_head.*`) of a checkpoint for an encoder loaded
 * from it. The tied decoder weight (`…decoder.weight`) is the encoder's word embeddings and is
 * not read; `cls.predictions.decoder.bias` is accepted for `cls.predictions.bias`.
 * With `allowMissing` a checkpoint without a head gets a fresh one.
 *
 * @example
 * ```ts
 * const encoder = await loadPretrained(dir);
 * const head = await loadMlmHead(dir, encoder);
 * ```
 */
export async function loadMlmHead(dir: string, encoder: TransformerEncoder, options: { allowMissing?: boolean; seed?: number } = {}): Promise<MlmHead> {
  const checkpoint = readCheckpoint(dir, encoder.config);
  const names = mlmHeadNames(encoder.architecture);
  const aliases: Record<string, string> = { 'cls.predictions.decoder.bias': names.bias, 'lm_head.decoder.bias': names.bias };
  const values = new Map<string, tf.Tensor>();
  for (const [name, entry] of checkpoint.head) {
    const target = aliases[name] ?? name;
    if (name.endsWith('decoder.weight')) continue; // tied to the word embeddings
    if (values.has(target)) continue; // the alias and the canonical name hold the same tied tensor
    if (!(Object.values(names) as string[]).includes(target)) continue;
    values.set(target, tf.tensor(entry.read() as Float32Array, entry.shape as number[], 'float32'));
  }
  try {
    const missing = Object.values(names).filter((n) => !values.has(n));
    if (missing.length === 0) return new MlmHead(encoder, values);
    if (options.allowMissing === true && values.size === 0) return new MlmHead(encoder, undefined, { seed: options.seed ?? 0 });
    throw new CarlError('INVALID_CHECKPOINT', `MLM head parameter(s) missing: ${missing.join(', ')}`, { file: checkpoint.files[0] as string, field: missing[0] as string });
  } finally {
    for (const t of values.values()) t.dispose();
  }
}

/**
 * Saves an encoder (and optionally its MLM head) in the Hugging Face layout: `config.json`,
 * `model.safetensors` (names with the `bert.` / `roberta.` prefix by default, as
 * `BertForMaskedLM` saves them; the tied decoder is not duplicated) and the tokenizer files, so it
 * loads back here and in Python transformers (`AutoModel` / `AutoModelForMaskedLM.from_pretrained`).
 * Tokenizer files are written when the tokenizer is one of this package's (`TextTokenizer`); a
 * user's own `Tokenizer` is left to its owner. Files are written atomically. Returns the paths written.
 *
 * @example
 * ```ts
 * await savePretrained(encoder, 'checkpoints/tiny-mlm', { mlmHead: head });
 * ```
 */
export async function savePretrained(encoder: TransformerEncoder, dir: string, options: SavePretrainedOptions = {}): Promise<string[]> {
  const dtype = options.dtype ?? 'F32';
  const prefix = options.prefix ?? true ? encoder.parameterPrefix : '';
  const head = options.mlmHead;
  if (head !== undefined && head.encoder !== encoder) {
    throw new CarlError('INVALID_ARGUMENT', 'the MLM head belongs to another encoder (its decoder is tied to that encoder’s embeddings)', { field: 'mlmHead' });
  }
  fs.mkdirSync(dir, { recursive: true });
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, v] of encoder.variables()) tensors.set(`${prefix}${name}`, { shape: v.shape, values: v.dataSync() as Float32Array, dtype });
  if (head !== undefined) for (const [name, v] of head.variables()) tensors.set(name, { shape: v.shape, values: v.dataSync() as Float32Array, dtype });
  const roberta = encoder.architecture === 'roberta';
  const architectures = [roberta ? (head ? 'RobertaForMaskedLM' : 'RobertaModel') : head ? 'BertForMaskedLM' : 'BertModel'];
  const hfConfig: Record<string, unknown> = { ...toHfConfig(encoder.config, architectures), torch_dtype: dtype === 'F32' ? 'float32' : dtype === 'F16' ? 'float16' : 'bfloat16' };
  const { cls, sep } = encoder.tokenizer.specialTokens;
  if (roberta && cls !== undefined) hfConfig['bos_token_id'] = cls;
  if (roberta && sep !== undefined) hfConfig['eos_token_id'] = sep;
  const configFile = path.join(dir, 'config.json');
  const modelFile = path.join(dir, 'model.safetensors');
  writeSafetensorsFile(modelFile, tensors);
  writeFileAtomic(configFile, `${JSON.stringify(hfConfig, null, 2)}\n`);
  const written = [configFile, modelFile];
  if (encoder.tokenizer instanceof TextTokenizer) written.push(...encoder.tokenizer.save(dir));
  return written;
}
