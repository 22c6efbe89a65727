import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, CarlError, Random, clipByGlobalNorm, disposeInputs, learningRateSchedule, namedGradients, toEncoderInputs, writeFileAtomic } from '@carl/core';
import type { AdamWState, TokenizedBatch } from '@carl/core';
import { canonicalName, savePretrained } from './checkpoint';
import { MlmHead } from './mlm';
import type { TransformerEncoder } from './model';
import { readSafetensorsFile, writeSafetensorsFile, type TensorToWrite } from './safetensors';

/** Options of {@link pretrainMLM}. */
export interface PretrainMlmOptions {
  readonly encoder: TransformerEncoder;
  /** Training texts (never a test split). Empty and whitespace-only texts are skipped. */
  readonly texts: readonly string[];
  /** Optimiser steps in total (a resumed run continues up to this). */
  readonly steps: number;
  /** Texts per step. Default 32. */
  readonly batchSize?: number;
  /** Tokens per text, specials included (longer texts are truncated). Default 128 (or the encoder's maximum if smaller). */
  readonly maxLength?: number;
  /** Peak learning rate. Default 5e-4 (small encoders from scratch; BERT-base used 1e-4). */
  readonly learningRate?: number;
  /** Linear warm-up steps, then linear decay to 0. Default 6% of `steps`. */
  readonly warmupSteps?: number;
  /** AdamW decoupled weight decay (not on biases and layer norms). Default 0.01. */
  readonly weightDecay?: number;
  /** Clip the global gradient norm to this. Default 1. */
  readonly maxGradNorm?: number;
  /** Share of real tokens selected for prediction (80% → mask, 10% → random, 10% kept). Default 0.15. */
  readonly maskProbability?: number;
  /** Seed of the data order, masking and dropout. Default 0. */
  readonly seed?: number;
  /** The head to train; default a fresh one (seeded). */
  readonly mlmHead?: MlmHead;
  /** Where to save `checkpoint-<step>/` folders and, at the end, the final model (HF layout). */
  readonly checkpointDir?: string;
  /** Save a checkpoint every this many steps. Default max(50, steps / 10). */
  readonly checkpointEvery?: number;
  /** Keep this many most recent checkpoints. Default 2. */
  readonly keepCheckpoints?: number;
  /** Continue from the latest checkpoint in `checkpointDir` if there is one. Default true. */
  readonly resume?: boolean;
  /** Called after every step (awaited). */
  readonly onProgress?: (progress: MlmProgress) => void | Promise<void>;
}

/** One step's report. */
export interface MlmProgress {
  /** 1-based. */
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly learningRate: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  readonly maskedTokens: number;
  /** Real (non-padding) tokens processed per second in this step. */
  readonly tokensPerSecond: number;
  readonly elapsedMs: number;
  /** Set when this step wrote a checkpoint. */
  readonly checkpoint?: string;
}

/** What {@link pretrainMLM} returns. */
export interface PretrainMlmResult {
  /** Loss of every step from 1 (including steps restored from a checkpoint). */
  readonly losses: readonly number[];
  readonly mlmHead: MlmHead;
  /** Steps completed. */
  readonly steps: number;
  /** The step a resumed run started from (0 for a fresh run). */
  readonly resumedFrom: number;
  /** The final model folder (`checkpointDir`) when one was given. */
  readonly savedTo?: string;
}

/** A masked batch: the corrupted ids and, per masked token, its flat index and original id. */
export interface MaskedBatch {
  readonly inputIds: number[][];
  readonly positions: number[];
  readonly labels: number[];
}

/**
 * BERT's masking on a tokenised batch: each real, non-special token is selected with probability
 * `p` (at least one per text that has any), then replaced by the mask token (80%), a random
 * non-special token (10%) or kept (10%). Deterministic for a given `rng` state.
 *
 * @example
 * ```ts
 * const { inputIds, positions, labels } = maskTokens(batch, { mask: 4, vocabSize: 8000, special: new Set([0, 1, 2, 3, 4]) }, 0.15, new Random(0));
 * ```
 */
export function maskTokens(
  batch: TokenizedBatch,
  vocab: { readonly mask: number; readonly vocabSize: number; readonly special: ReadonlySet<number> },
  probability: number,
  rng: Random,
): MaskedBatch {
  if (!(probability > 0 && probability <= 1)) throw new CarlError('INVALID_ARGUMENT', `mask probability must be in (0, 1], got ${probability}`, { field: 'maskProbability' });
  if (vocab.special.size >= vocab.vocabSize) throw new CarlError('INVALID_ARGUMENT', 'every token of the vocabulary is special', { field: 'vocabSize' });
  const seq = batch.inputIds.length === 0 ? 0 : (batch.inputIds[0] as readonly number[]).length;
  const inputIds = batch.inputIds.map((row) => [...row]);
  const positions: number[] = [];
  const labels: number[] = [];
  batch.inputIds.forEach((row, i) => {
    const candidates: number[] = [];
    row.forEach((_, j) => {
      if ((batch.attentionMask[i] as readonly number[])[j] === 1 && (batch.specialTokensMask[i] as readonly number[])[j] === 0) candidates.push(j);
    });
    let chosen = candidates.filter(() => rng.float() < probability);
    if (chosen.length === 0 && candidates.length > 0) chosen = [candidates[rng.int(candidates.length)] as number];
    for (const j of chosen) {
      const original = row[j] as number;
      const r = rng.float();
      let replacement = original;
      if (r < 0.8) replacement = vocab.mask;
      else if (r < 0.9) {
        do replacement = rng.int(vocab.vocabSize);
        while (vocab.special.has(replacement));
      }
      (inputIds[i] as number[])[j] = replacement;
      positions.push(i * seq + j);
      labels.push(original);
    }
  });
  return { inputIds, positions, labels };
}

/** Mixes a seed and a counter into an independent seed (so step n's randomness needs no history). */
function mix(seed: number, n: number): number {
  let z = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(n + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
}

interface TrainerState {
  readonly format: 'carl-mlm-v1';
  readonly step: number;
  readonly losses: number[];
  readonly seed: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly texts: number;
  readonly optimizerStep: number;
}

/**
 * Pre-trains an encoder with masked language modelling (BERT's objective) on local text, so CARL
 * starts from a pre-trained encoder as the paper does. AdamW (weight decay off for biases and
 * norms), linear warm-up and decay, global-norm clipping, dropout on, 15% masking with 80/10/10.
 * Each step's data, masking and dropout derive from `(seed, step)` alone, so a run resumed from a
 * checkpoint reproduces the uninterrupted run's losses exactly. Logits are computed only at the
 * masked positions (the vocabulary product is the largest of a small model).
 *
 * @example
 * ```ts
 * const encoder = createEncoder({ preset: 'tiny', seed: 1 });
 * const { losses } = await pretrainMLM({ encoder, texts, steps: 300, batchSize: 32, maxLength: 64, learningRate: 5e-4, seed: 1,
 *   checkpointDir: 'runs/tiny-mlm', onProgress: (p) => console.log(p.step, p.loss.toFixed(3)) });
 * ```
 */
export async function pretrainMLM(options: PretrainMlmOptions): Promise<PretrainMlmResult> {
  const { encoder, steps } = options;
  const batchSize = options.batchSize ?? 32;
  const maxLength = options.maxLength ?? Math.min(128, encoder.maxLength);
  const peak = options.learningRate ?? 5e-4;
  const seed = options.seed ?? 0;
  const maskProbability = options.maskProbability ?? 0.15;
  const maxGradNorm = options.maxGradNorm ?? 1;
  const positiveInt = (value: number, field: string): void => {
    if (!Number.isInteger(value) || value < 1) throw new CarlError('INVALID_ARGUMENT', `${field} must be a positive integer, got ${value}`, { field });
  };
  positiveInt(steps, 'steps');
  positiveInt(batchSize, 'batchSize');
  positiveInt(maxLength, 'maxLength');
  if (!(peak > 0)) throw new CarlError('INVALID_ARGUMENT', `learningRate must be > 0, got ${peak}`, { field: 'learningRate' });
  if (maxLength > encoder.maxLength) {
    throw new CarlError('INVALID_ARGUMENT', `maxLength ${maxLength} exceeds the encoder's maximum of ${encoder.maxLength}`, { field: 'maxLength' });
  }
  const tokenizer = encoder.tokenizer;
  const maskId = tokenizer.specialTokens.mask;
  if (maskId === undefined) throw new CarlError('TOKENIZER_ERROR', 'MLM needs a mask token ([MASK] / <mask>) in the tokenizer', { field: 'mask_token' });
  const texts = options.texts.filter((t) => typeof t === 'string' && t.trim() !== '');
  if (texts.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no non-empty training text', { field: 'texts' });
  const special = new Set<number>(Object.values(tokenizer.specialTokens).filter((id): id is number => typeof id === 'number'));
  const extra = (tokenizer as { specialIds?: ReadonlySet<number> }).specialIds;
  if (extra !== undefined) for (const id of extra) special.add(id);
  const vocab = { mask: maskId, vocabSize: tokenizer.vocabSize, special };

  const head = options.mlmHead ?? new MlmHead(encoder, undefined, { seed: mix(seed, 0x4d4c4d) });
  if (head.encoder !== encoder) throw new CarlError('INVALID_ARGUMENT', 'the MLM head belongs to another encoder', { field: 'mlmHead' });
  const params = new Map<string, tf.Variable>([...encoder.variables(), ...head.variables()]);
  const optimizer = new AdamW({ learningRate: peak, weightDecay: options.weightDecay ?? 0.01 });
  const schedule = learningRateSchedule({ peak, warmupSteps: options.warmupSteps ?? Math.round(0.06 * steps), totalSteps: steps, decay: 'linear' });
  const checkpointEvery = options.checkpointEvery ?? Math.max(50, Math.ceil(steps / 10));
  const keep = options.keepCheckpoints ?? 2;

  let losses: number[] = [];
  let start = 0;
  if (options.checkpointDir !== undefined && (options.resume ?? true)) {
    const latest = latestCheckpoint(options.checkpointDir);
    if (latest !== undefined) {
      const state = restore(latest, params, encoder, optimizer);
      const expect = { seed, batchSize, maxLength, texts: texts.length };
      for (const [field, value] of Object.entries(expect)) {
        if (state[field as keyof typeof expect] !== value) {
          throw new CarlError(
            'INVALID_ARGUMENT',
            `the checkpoint was trained with ${field} = ${state[field as keyof typeof expect]}, this run has ${value}; resume needs the same (or pass resume: false)`,
            { file: path.join(latest, 'trainer_state.json'), field },
          );
        }
      }
      start = state.step;
      losses = state.losses.slice(0, start);
    }
  }

  const order = new Map<number, number[]>();
  const textAt = (global: number): string => {
    const epoch = Math.floor(global / texts.length);
    let perm = order.get(epoch);
    if (perm === undefined) {
      order.clear(); // only the current epoch is ever needed
      perm = new Random(mix(seed, 0x5eed0000 + epoch)).shuffle(texts.map((_, i) => i));
      order.set(epoch, perm);
    }
    return texts[perm[global % texts.length] as number] as string;
  };

  const began = Date.now();
  for (let step = start; step < steps; step++) {
    const t0 = Date.now();
    const rng = new Random(mix(seed, step + 1));
    const batchTexts = Array.from({ length: batchSize }, (_, k) => textAt(step * batchSize + k));
    const batch = tokenizer.encodeBatch(batchTexts, { maxLength });
    const masked = maskTokens(batch, vocab, maskProbability, rng);
    const inputs = toEncoderInputs({ ...batch, inputIds: masked.inputIds });
    const positions = tf.tensor1d(masked.positions, 'int32');
    const labels = tf.tensor1d(masked.labels, 'int32');
    const dropoutSeed = rng.seed();
    let loss: number;
    let gradNorm: number;
    try {
      const { value, grads } = namedGradients(() => {
        const { hiddenStates } = encoder.forward(inputs, { training: true, seed: dropoutSeed });
        const picked = tf.gather(tf.reshape(hiddenStates, [-1, encoder.hiddenSize]), positions);
        const logProbs = tf.logSoftmax(head.logits(picked));
        const nll = tf.neg(tf.sum(tf.mul(logProbs, tf.oneHot(labels, encoder.config.vocabSize)), 1));
        return tf.mean(nll) as tf.Scalar;
      }, params);
      loss = value.dataSync()[0] as number;
      value.dispose();
      const clipped = clipByGlobalNorm(grads, maxGradNorm);
      gradNorm = clipped.norm;
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        for (const g of clipped.grads.values()) g.dispose();
        throw new CarlError('NUMERIC_INSTABILITY', `loss ${loss}, gradient norm ${gradNorm} at step ${step + 1}; lower the learning rate`, { field: 'loss' });
      }
      const lr = schedule(step);
      optimizer.step(params, clipped.grads, lr);
      for (const g of clipped.grads.values()) g.dispose();
    } finally {
      disposeInputs(inputs);
      positions.dispose();
      labels.dispose();
    }
    losses.push(loss);
    const done = step + 1;
    let checkpoint: string | undefined;
    if (options.checkpointDir !== undefined && (done % checkpointEvery === 0 || done === steps)) {
      checkpoint = await saveCheckpoint(options.checkpointDir, done, encoder, head, optimizer, {
        format: 'carl-mlm-v1',
        step: done,
        losses,
        seed,
        batchSize,
        maxLength,
        texts: texts.length,
        optimizerStep: optimizer.steps,
      });
      pruneCheckpoints(options.checkpointDir, keep);
    }
    const realTokens = batch.attentionMask.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
    const elapsed = Date.now() - t0;
    await options.onProgress?.({
      step: done,
      steps,
      loss,
      learningRate: schedule(step),
      gradNorm,
      maskedTokens: masked.positions.length,
      tokensPerSecond: elapsed > 0 ? (realTokens * 1000) / elapsed : realTokens * 1000,
      elapsedMs: Date.now() - began,
      ...(checkpoint === undefined ? {} : { checkpoint }),
    });
  }
  optimizer.dispose();
  let savedTo: string | undefined;
  if (options.checkpointDir !== undefined) {
    await savePretrained(encoder, options.checkpointDir, { mlmHead: head });
    savedTo = options.checkpointDir;
  }
  return { losses, mlmHead: head, steps, resumedFrom: start, ...(savedTo === undefined ? {} : { savedTo }) };
}

async function saveCheckpoint(dir: string, step: number, encoder: TransformerEncoder, head: MlmHead, optimizer: AdamW, state: TrainerState): Promise<string> {
  const target = path.join(dir, `checkpoint-${step}`);
  await savePretrained(encoder, target, { mlmHead: head });
  const moments = new Map<string, TensorToWrite>();
  const shapes = new Map([...encoder.variables(), ...head.variables()].map(([name, v]) => [name, v.shape]));
  for (const [name, { m, v }] of Object.entries(optimizer.getState().moments)) {
    const shape = shapes.get(name) as number[];
    moments.set(`${name}.exp_avg`, { shape, values: m });
    moments.set(`${name}.exp_avg_sq`, { shape, values: v });
  }
  writeSafetensorsFile(path.join(target, 'optimizer.safetensors'), moments, { optimizer: 'AdamW', step: String(optimizer.steps) });
  // Written last: its presence marks the checkpoint complete.
  writeFileAtomic(path.join(target, 'trainer_state.json'), `${JSON.stringify(state)}\n`);
  return target;
}

function listCheckpoints(dir: string): Array<{ step: number; dir: string }> {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: path.join(dir, m[0]) }))
    .filter((c) => fs.existsSync(path.join(c.dir, 'trainer_state.json')))
    .sort((a, b) => a.step - b.step);
}

/**
 * The newest complete `checkpoint-<step>` folder under `dir` (one whose `trainer_state.json` was written), if any.
 *
 * @example
 * ```ts
 * latestCheckpoint('runs/tiny-mlm'); // 'runs/tiny-mlm/checkpoint-300'
 * ```
 */
export function latestCheckpoint(dir: string): string | undefined {
  return listCheckpoints(dir).pop()?.dir;
}

function pruneCheckpoints(dir: string, keep: number): void {
  const all = listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(old.dir, { recursive: true, force: true });
}

function restore(dir: string, params: ReadonlyMap<string, tf.Variable>, encoder: TransformerEncoder, optimizer: AdamW): TrainerState {
  const stateFile = path.join(dir, 'trainer_state.json');
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TrainerState;
  if (state.format !== 'carl-mlm-v1') throw new CarlError('INVALID_CHECKPOINT', `unknown trainer state format ${JSON.stringify(state.format)}`, { file: stateFile, field: 'format' });
  const modelFile = path.join(dir, 'model.safetensors');
  const { tensors } = readSafetensorsFile(modelFile);
  const seen = new Set<string>();
  for (const [name, entry] of tensors) {
    const canonical = canonicalName(name, encoder.architecture);
    const target = params.get(canonical);
    if (target === undefined) continue;
    if (entry.shape.length !== target.shape.length || entry.shape.some((d, i) => d !== target.shape[i])) {
      throw new CarlError('INVALID_CHECKPOINT', `has shape [${entry.shape.join(', ')}], the model [${target.shape.join(', ')}]`, { file: modelFile, field: name });
    }
    tf.tidy(() => target.assign(tf.tensor(entry.read() as Float32Array, target.shape, 'float32')));
    seen.add(canonical);
  }
  const missing = [...params.keys()].filter((name) => !seen.has(name) && !name.startsWith('pooler.'));
  if (missing.length > 0) throw new CarlError('INVALID_CHECKPOINT', `checkpoint lacks ${missing.length} parameter(s)`, { file: modelFile, field: missing[0] as string });
  const optimizerFile = path.join(dir, 'optimizer.safetensors');
  const opt = readSafetensorsFile(optimizerFile);
  const moments: Record<string, { m: Float32Array; v: Float32Array }> = {};
  for (const [name, entry] of opt.tensors) {
    const m = /^(.*)\.exp_avg$/.exec(name);
    if (m === null) continue;
    const param = m[1] as string;
    const v = opt.tensors.get(`${param}.exp_avg_sq`);
    if (v === undefined) throw new CarlError('INVALID_CHECKPOINT', 'first moment without second moment', { file: optimizerFile, field: name });
    moments[param] = { m: entry.read() as Float32Array, v: v.read() as Float32Array };
  }
  const adamState: AdamWState = { step: state.optimizerStep, moments };
  optimizer.setState(adamState, params);
  return state;
}
