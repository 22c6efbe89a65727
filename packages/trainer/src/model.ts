import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CarlError, ensureBackend, matMul, type Encoder, type EncoderOutput, type VA } from '@carl/core';
import { explainSaliency, type SaliencyExplanation, type SaliencyScore } from '@carl/saliency-perturbation';
import { writeDirAtomic } from './checkpoint';
import type { TrainMethod } from './config';
import { embedTexts } from '@carl/encoder';
import { defaultEncoderStore, type EncoderStore } from './encoder-store';

/** The file that makes an encoder folder a CARL model. */
export const MODEL_INFO_FILE = 'carl.json';

/**
 * A linear valence–arousal head on the sentence embedding: `[valence, arousal] = x·W + b`, fitted by
 * ridge regression on the training embeddings after training.
 */
export interface VAHead {
  readonly kind: 'ridge';
  /** The penalty chosen (or given) per axis. */
  readonly alpha: readonly number[];
  /** `weights[feature] = [w_valence, w_arousal]`. */
  readonly weights: readonly (readonly number[])[];
  readonly intercept: readonly number[];
  /** Rows it was fitted on. */
  readonly trainedOn: number;
}

/** What `carl.json` holds besides the encoder. */
export interface CarlModelInfo {
  readonly format: 'carl-model';
  readonly version: 1;
  readonly method: TrainMethod | null;
  readonly pooling: 'mean' | 'cls' | null;
  readonly maxLength: number;
  readonly vaHead: VAHead | null;
  /** How it was trained (config, steps, final loss, seconds, corpora). */
  readonly training: Readonly<Record<string, unknown>> | null;
}

/** Writes `dir` atomically: the encoder (through `store`) and `carl.json`. */
export async function writeModelDir(
  dir: string,
  encoder: Encoder,
  store: EncoderStore,
  info: Omit<CarlModelInfo, 'format' | 'version'>,
): Promise<void> {
  await writeDirAtomic(dir, async (tmp) => {
    await store.save(encoder, tmp);
    const full: CarlModelInfo = { format: 'carl-model', version: 1, ...info };
    fs.writeFileSync(path.join(tmp, MODEL_INFO_FILE), `${JSON.stringify(full, null, 1)}\n`);
  });
}

/** Options of {@link loadCarlModel}. */
export interface LoadModelOptions {
  /** How the encoder is read. Default: the Hugging Face layout via @carl/encoder. */
  readonly encoderStore?: EncoderStore;
}

/**
 * A trained CARL model: an encoder plus, when trained by `carl train`, a VA head.
 * `embed` gives sentence embeddings, `predictVA` valence and arousal in [−1, 1], `explain` the
 * tokens that drive a prediction.
 */
export class CarlModel {
  constructor(
    readonly encoder: Encoder,
    readonly info: CarlModelInfo,
    readonly dir: string | undefined,
  ) {}

  /** Whether the model can predict valence and arousal. */
  get hasVAHead(): boolean {
    return this.info.vaHead !== null;
  }

  /**
   * Sentence embeddings, in input order.
   *
   * @example
   * ```ts
   * const [v] = model.embed(['what a day']); // Float32Array(hidden)
   * ```
   */
  embed(texts: readonly string[], options: { batchSize?: number; onBatch?: (done: number) => void } = {}): Float32Array[] {
    return embedTexts(this.encoder, texts, { maxLength: this.info.maxLength, ...options });
  }

  /**
   * Valence and arousal in [−1, 1] (clipped: a linear head can overshoot the scale).
   *
   * @example
   * ```ts
   * model.predictVA(['I am thrilled!'])[0]; // { valence: 0.62, arousal: 0.48 }
   * ```
   */
  predictVA(texts: readonly string[], options: { batchSize?: number } = {}): VA[] {
    const head = this.requireHead();
    return this.embed(texts, options).map((x) => {
      const [v, a] = [0, 1].map((axis) => {
        let sum = head.intercept[axis] as number;
        for (let f = 0; f < x.length; f++) sum += (x[f] as number) * ((head.weights[f] as readonly number[])[axis] as number);
        return Math.max(-1, Math.min(1, sum));
      }) as [number, number];
      return { valence: v, arousal: a };
    });
  }

  /**
   * Per-token saliency of the predicted valence (or arousal): which tokens move it, and which way
   * (`attribution` > 0 raises it).
   *
   * @example
   * ```ts
   * const { tokens } = model.explain('I love it but the ending was awful', { target: 'valence' });
   * ```
   */
  explain(text: string, options: { target?: 'valence' | 'arousal'; score?: SaliencyScore } = {}): SaliencyExplanation {
    const head = this.requireHead();
    const axis = options.target === 'arousal' ? 1 : 0;
    const w = tf.tensor2d(head.weights.map((row) => [row[axis] as number]));
    try {
      const objective = (out: EncoderOutput): tf.Scalar => tf.sum(matMul(out.pooled, w));
      return explainSaliency(this.encoder, text, objective, { maxLength: this.info.maxLength, ...(options.score === undefined ? {} : { score: options.score }) });
    } finally {
      w.dispose();
    }
  }

  /** Frees the encoder's tensors. */
  dispose(): void {
    this.encoder.dispose();
  }

  private requireHead(): VAHead {
    if (this.info.vaHead === null) {
      throw new CarlError('INVALID_ARGUMENT', 'this model has no valence–arousal head; models written by `carl train` have one', {
        ...(this.dir === undefined ? {} : { file: this.dir }),
        field: 'vaHead',
      });
    }
    return this.info.vaHead;
  }
}

/**
 * Loads a model folder written by `carl train` (or any encoder folder; it then has no VA head).
 * Starts the default tensor backend when none is chosen yet (call `initBackend` first to pick one).
 * Errors: `NOT_FOUND` for a missing folder, `INVALID_CHECKPOINT` for a broken `carl.json`.
 *
 * @example
 * ```ts
 * const model = await loadCarlModel('runs/carl/model');
 * model.predictVA(['What a wonderful surprise']);
 * ```
 */
export async function loadCarlModel(dir: string, options: LoadModelOptions = {}): Promise<CarlModel> {
  if (!fs.existsSync(dir)) throw new CarlError('NOT_FOUND', 'model folder not found', { file: dir });
  if (!fs.statSync(dir).isDirectory()) throw new CarlError('NOT_FOUND', 'expected a model folder, found a file', { file: dir });
  const infoFile = path.join(dir, MODEL_INFO_FILE);
  let info: CarlModelInfo = { format: 'carl-model', version: 1, method: null, pooling: null, maxLength: 512, vaHead: null, training: null };
  if (fs.existsSync(infoFile)) info = readModelInfo(infoFile);
  await ensureBackend();
  const encoder = await (options.encoderStore ?? defaultEncoderStore()).load(dir);
  if (info.vaHead !== null && info.vaHead.weights.length !== encoder.hiddenSize) {
    encoder.dispose();
    throw new CarlError('INVALID_CHECKPOINT', `the VA head has ${info.vaHead.weights.length} input weights but the encoder's hidden size is ${encoder.hiddenSize}`, {
      file: infoFile,
      field: 'vaHead.weights',
    });
  }
  return new CarlModel(encoder, { ...info, maxLength: Math.min(info.maxLength, encoder.maxLength) }, dir);
}

function readModelInfo(file: string): CarlModelInfo {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CarlError('INVALID_CHECKPOINT', `cannot read: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  const info = parsed as Partial<CarlModelInfo>;
  if (info.format !== 'carl-model' || info.version !== 1) throw new CarlError('INVALID_CHECKPOINT', 'not a CARL model description (format carl-model, version 1)', { file });
  const head = info.vaHead;
  if (head !== null && head !== undefined) {
    const ok =
      Array.isArray(head.weights) &&
      head.weights.every((row) => Array.isArray(row) && row.length === 2 && row.every(Number.isFinite)) &&
      Array.isArray(head.intercept) &&
      head.intercept.length === 2 &&
      head.intercept.every(Number.isFinite);
    if (!ok) throw new CarlError('INVALID_CHECKPOINT', 'the VA head must have weights [hidden][2] and intercept [2] of finite numbers', { file, field: 'vaHead' });
  }
  if (typeof info.maxLength !== 'number' || !(info.maxLength >= 4)) throw new CarlError('INVALID_CHECKPOINT', 'maxLength must be a number ≥ 4', { file, field: 'maxLength' });
  return { method: null, pooling: null, vaHead: null, training: null, ...info } as CarlModelInfo;
}
