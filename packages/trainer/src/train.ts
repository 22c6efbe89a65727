import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  CarlError,
  Random,
  initBackend,
  isCarlError,
  learningRateSchedule,
  type AdamWState,
  type Encoder,
  type LabeledText,
  type RandomState,
} from '@carl/core';
import { momentumSchedule } from '@carl/momentum-queue';
import { BatchSchedule, type CorpusShare } from './batching';
import { CheckpointStore, STATE_FILE, type CheckpointRef } from './checkpoint';
import { DEFAULT_CONFIG, changedOptions, resolveConfig, type TrainConfig } from './config';
import { checkDataNames, loadTrainingRows, type TrainingRow } from './data';
import { buildEncoder, defaultEncoderStore, variablesStore, type EncoderStore } from './encoder-store';
import { MODEL_INFO_FILE, fitVAHead, writeModelDir, type VAHead } from './model';
import type { ProgressReporter } from './progress';
import { TrainingModel } from './step';
import { assignVariables, loadTensors, saveTensors } from './tensor-io';

/** One optimiser step in the run's history (also stored in checkpoints, so a resumed run keeps it). */
export interface StepRecord {
  /** Steps done after this one (1-based). */
  readonly step: number;
  readonly loss: number;
  /** Unweighted loss parts: `mccl`, `ptd`, `mse`, `infonce`, `supcon`. */
  readonly parts: Readonly<Record<string, number>>;
  readonly learningRate: number;
  readonly gradNorm: number;
}

/** What {@link trainCarl} reports to `onStep` (a history record plus figures for logs). */
export interface StepReport extends StepRecord {
  readonly examples: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Options of {@link trainCarl} beyond the hyperparameters. */
export interface TrainOptions {
  /** Output folder: `checkpoints/` and, when done, `model/` (encoder + VA head). */
  readonly out: string;
  /** Continue from the newest checkpoint in `out` (same result as an uninterrupted run). */
  readonly resume?: boolean;
  /** Replace the checkpoints and model of an earlier run in `out`. */
  readonly force?: boolean;
  /** Training rows instead of loading `config.data` (each needs `va`; `source` groups rows into corpora for mixing). */
  readonly data?: readonly LabeledText[];
  /** Train this encoder (any `Encoder`) instead of building one from `preset`/`init`. The caller keeps ownership. */
  readonly encoder?: Encoder;
  /** How encoders are saved and loaded. Default: Hugging Face layout via @carl/encoder (or, with `encoder`, its variables by name). */
  readonly encoderStore?: EncoderStore;
  /** Builds the progress reporter once the number of steps is known. Default: silent. */
  readonly progress?: (info: { readonly total: number; readonly start: number }) => ProgressReporter;
  /** Stop cleanly between steps: a checkpoint is written and the result says `interrupted`. */
  readonly signal?: AbortSignal;
  /** Called after every step (an exception here stops the run like a crash: nothing is saved). */
  readonly onStep?: (report: StepReport) => void;
  /** Fit the ridge VA head on the training embeddings and write `out/model`. Default true. */
  readonly saveModel?: boolean;
}

/** What {@link trainCarl} returns. */
export interface TrainResult {
  readonly status: 'completed' | 'interrupted';
  readonly config: TrainConfig;
  /** Steps done. */
  readonly step: number;
  readonly totalSteps: number;
  /** Every step's loss, from step 1 (including steps done before a resume). */
  readonly history: readonly StepRecord[];
  /** The newest checkpoint. */
  readonly checkpoint: CheckpointRef | undefined;
  /** `out/model` when the run completed and `saveModel` was not false. */
  readonly modelDir: string | undefined;
  readonly vaHead: VAHead | undefined;
  /** Training rows per corpus. */
  readonly corpora: readonly CorpusShare[];
  /** Wall-clock seconds spent training, summed over resumed sessions. */
  readonly seconds: number;
}

/** The JSON state of a checkpoint ({@link STATE_FILE}); tensors live in safetensors files beside it. */
export interface TrainerState {
  readonly format: 'carl-trainer-state';
  readonly version: 1;
  readonly step: number;
  readonly totalSteps: number;
  readonly config: TrainConfig;
  readonly rng: RandomState;
  readonly optimizerStep: number;
  readonly data: { readonly corpora: readonly CorpusShare[]; readonly fingerprint: string };
  readonly history: readonly StepRecord[];
  readonly seconds: number;
  readonly savedAt: string;
}

/** Options that may change when resuming: they do not affect the result. */
const RUN_ONLY_KEYS: ReadonlySet<keyof TrainConfig> = new Set(['logEvery', 'checkpointEvery', 'keepCheckpoints', 'backend']);

/**
 * Trains an encoder with CARL or one of its baselines/ablations (`config.method`), checkpointing as
 * it goes, then fits a ridge VA head on the training embeddings and writes `out/model`.
 *
 * Each step (method `carl`): the momentum target embeds the clean batch → keys (projected,
 * L2-normalised) joined with the queue's keys and labels; the saliency of the MCCL loss w.r.t. the
 * online token embeddings picks the top-ρ tokens, which are perturbed; the online encoder on the
 * perturbed batch gives the query (soft continuous-label contrast against keys + queue) and token
 * logits (PTD); AdamW steps on MCCL + λ·PTD; the target follows by EMA; the keys are enqueued.
 * A non-finite loss stops the run with `NUMERIC_INSTABILITY`, leaving the last good checkpoint.
 * Same seed and backend → same loss trajectory, also across a kill and `resume`.
 *
 * @param config hyperparameters: the keys you set (the rest default; see `DEFAULT_CONFIG`)
 * @example
 * ```ts
 * const result = await trainCarl({ method: 'carl', preset: 'tiny', steps: 300 }, { out: 'runs/carl' });
 * result.modelDir; // 'runs/carl/model' — load it with loadCarlModel
 * ```
 */
export async function trainCarl(config: Partial<TrainConfig>, options: TrainOptions): Promise<TrainResult> {
  const requested = resolveConfig(config as Record<string, unknown>);
  if (options.data === undefined) checkDataNames(requested);
  await initBackend(requested.backend === 'auto' ? {} : { backend: requested.backend });
  const out = path.resolve(options.out);
  const checkpoints = new CheckpointStore(path.join(out, 'checkpoints'), requested.keepCheckpoints);
  const resumeFrom = prepareOutDir(out, checkpoints, options);
  const state = resumeFrom === undefined ? undefined : readState(resumeFrom.dir);
  const cfg = state === undefined ? requested : resumedConfig(state, config, requested);
  const store = options.encoderStore ?? (options.encoder === undefined ? defaultEncoderStore() : variablesStore(options.encoder));

  const rows = options.data === undefined ? await loadTrainingRows(cfg) : rowsFromLabeled(options.data, cfg);
  const corpora = corpusShares(rows);
  const fingerprint = dataFingerprint(rows);
  if (state !== undefined && state.data.fingerprint !== fingerprint) {
    throw new CarlError('INVALID_CHECKPOINT', 'the training data differs from the data this checkpoint was trained on; resume with the same data or start a new --out', {
      file: path.join((resumeFrom as CheckpointRef).dir, STATE_FILE),
      field: 'data',
    });
  }

  let online: Encoder;
  if (resumeFrom !== undefined) online = await store.load(path.join(resumeFrom.dir, 'encoder'));
  else if (options.encoder !== undefined) online = options.encoder;
  else online = await buildEncoder(cfg, rows.map((r) => r.text), options.encoderStore);
  const rng = new Random(cfg.seed);
  const model = new TrainingModel(online, cfg, rng.seed());
  let session: Random = rng;
  let history: StepRecord[] = [];
  let secondsBefore = 0;
  try {
    if (state !== undefined && resumeFrom !== undefined) {
      restoreState(model, state, resumeFrom.dir);
      session = new Random(state.rng);
      history = [...state.history];
      secondsBefore = state.seconds;
    }

    const lengths = tokenLengths(online, rows, cfg.maxLength);
    const schedule = new BatchSchedule(corpora, lengths, {
      batchSize: cfg.batchSize,
      bucketPool: cfg.bucketPool,
      dropLast: cfg.dropLast,
      mixingTemperature: cfg.mixingTemperature,
      seed: cfg.seed,
    });
    const totalSteps = cfg.steps > 0 ? cfg.steps : Math.max(1, Math.round(cfg.epochs * schedule.batchesPerEpoch));
    const lr = learningRateSchedule({
      peak: cfg.learningRate,
      warmupSteps: Math.round(cfg.warmupRatio * totalSteps),
      totalSteps,
      decay: cfg.decay,
      minRatio: cfg.minLrRatio,
    });
    const momentumAt = momentumSchedule(
      cfg.momentumSchedule === 'constant' ? { kind: 'constant', momentum: cfg.momentum } : { kind: 'cosine', base: cfg.momentum, final: cfg.momentumEnd, totalSteps },
    );

    const result = (status: 'completed' | 'interrupted', step: number): TrainResult => ({
      status,
      config: cfg,
      step,
      totalSteps,
      history,
      checkpoint: latest,
      modelDir: undefined,
      vaHead: undefined,
      corpora,
      seconds: elapsed(),
    });
    const start = state?.step ?? 0;
    if (state !== undefined && state.totalSteps !== totalSteps) {
      throw new CarlError('INVALID_CHECKPOINT', `the checkpoint was made for ${state.totalSteps} steps, this run would take ${totalSteps}`, { field: 'steps' });
    }
    const progress = options.progress?.({ total: totalSteps, start });
    const began = Date.now();
    const elapsed = (): number => secondsBefore + (Date.now() - began) / 1000;
    let latest = resumeFrom;
    const save = async (step: number): Promise<CheckpointRef> => {
      const ref = await checkpoints.save(step, (dir) =>
        writeState(dir, model, store, {
          format: 'carl-trainer-state',
          version: 1,
          step,
          totalSteps,
          config: cfg,
          rng: session.getState(),
          optimizerStep: model.optimizer.steps,
          data: { corpora, fingerprint },
          history,
          seconds: elapsed(),
          savedAt: new Date().toISOString(),
        }),
      );
      progress?.event('checkpoint', { step, dir: ref.dir });
      latest = ref;
      return ref;
    };

    for (let step = start; step < totalSteps; step++) {
      if (options.signal?.aborted === true) {
        if (latest?.step !== step) await save(step);
        progress?.event('interrupted', { step });
        return result('interrupted', step);
      }
      const batchRows = schedule.batchAt(step).map((i) => rows[i] as TrainingRow);
      const learningRate = lr(step);
      let outcome;
      try {
        outcome = model.step(batchRows, session, learningRate, momentumAt(step));
      } catch (error) {
        if (isCarlError(error, 'NUMERIC_INSTABILITY')) {
          const where = latest === undefined ? 'no checkpoint was written yet' : `the last good checkpoint is ${latest.dir} (step ${latest.step})`;
          throw new CarlError('NUMERIC_INSTABILITY', `training diverged at step ${step + 1}: ${error.message.replace(/^\[\w+\]: /, '')}. Stopped; ${where}. Try a lower learningRate or a higher temperature.`, {
            field: error.location.field ?? 'loss',
          }, { cause: error });
        }
        throw error;
      }
      const record: StepRecord = { step: step + 1, loss: outcome.loss, parts: outcome.parts, learningRate, gradNorm: outcome.gradNorm };
      history.push(record);
      progress?.update({ done: step + 1, examples: batchRows.length, loss: outcome.loss, metrics: { ...outcome.parts, lr: learningRate, gradNorm: outcome.gradNorm, ...outcome.metrics } });
      options.onStep?.({ ...record, examples: batchRows.length, metrics: outcome.metrics });
      if (cfg.checkpointEvery > 0 && (step + 1) % cfg.checkpointEvery === 0 && step + 1 < totalSteps) await save(step + 1);
    }
    if (latest?.step !== totalSteps) await save(totalSteps);

    let modelDir: string | undefined;
    let vaHead: VAHead | undefined;
    const finished = finishedModel(out, start, totalSteps);
    if (options.saveModel !== false && finished !== undefined) {
      // Resuming a run that had already finished: its model is there, nothing to redo.
      modelDir = path.join(out, 'model');
      vaHead = finished;
    } else if (options.saveModel !== false) {
      progress?.event('va-head', { rows: rows.length });
      vaHead = fitVAHead(online, rows, cfg);
      modelDir = path.join(out, 'model');
      await writeModelDir(modelDir, online, store, {
        method: cfg.method,
        pooling: cfg.pooling,
        maxLength: cfg.maxLength,
        vaHead,
        training: { config: cfg, changed: changedOptions(cfg), steps: totalSteps, finalLoss: history.at(-1)?.loss ?? null, seconds: elapsed(), corpora },
      });
      progress?.event('model', { dir: modelDir });
    }
    progress?.finish({ seconds: Math.round(elapsed()) });
    return { ...result('completed', totalSteps), modelDir, vaHead };
  } finally {
    model.dispose();
    // Only encoders this run created (a store may hand back the caller's own encoder).
    if (online !== options.encoder) online.dispose();
  }
}

/** The VA head of `out/model` when a resumed run had already completed and written it. */
function finishedModel(out: string, start: number, totalSteps: number): VAHead | undefined {
  const file = path.join(out, 'model', MODEL_INFO_FILE);
  if (start !== totalSteps || !fs.existsSync(file)) return undefined;
  try {
    const info = JSON.parse(fs.readFileSync(file, 'utf8')) as { vaHead?: VAHead | null };
    return info.vaHead ?? undefined;
  } catch {
    return undefined; // unreadable: refit and rewrite it
  }
}

/** Checks `out` against the resume/force flags; returns the checkpoint to resume from, if any. */
function prepareOutDir(out: string, checkpoints: CheckpointStore, options: TrainOptions): CheckpointRef | undefined {
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new CarlError('FILE_EXISTS', 'the output path exists and is not a folder', { file: out });
  const managed = ['checkpoints', 'model'].filter((name) => fs.existsSync(path.join(out, name)));
  if (options.resume === true) {
    checkpoints.cleanTemporary();
    const latest = checkpoints.latest();
    if (latest === undefined && managed.length > 0) {
      throw new CarlError('NOT_FOUND', 'nothing to resume: the folder has no complete checkpoint (use --force to start over)', { file: path.join(out, 'checkpoints') });
    }
    return latest;
  }
  if (managed.length > 0) {
    if (options.force !== true) {
      throw new CarlError('FILE_EXISTS', `already holds a training run (${managed.join(', ')}); use --resume to continue it or --force to replace it`, { file: out });
    }
    for (const name of managed) fs.rmSync(path.join(out, name), { recursive: true, force: true });
  }
  fs.mkdirSync(out, { recursive: true });
  return undefined;
}

/** The checkpoint's config, with run-only overrides; an explicit flag that contradicts it is an error. */
function resumedConfig(state: TrainerState, explicit: Partial<TrainConfig>, requested: TrainConfig): TrainConfig {
  const saved = resolveConfig({ ...DEFAULT_CONFIG, ...state.config } as unknown as Record<string, unknown>);
  const merged: Record<string, unknown> = { ...saved };
  for (const key of Object.keys(explicit) as Array<keyof TrainConfig>) {
    if (RUN_ONLY_KEYS.has(key)) {
      merged[key] = requested[key];
      continue;
    }
    if (JSON.stringify(requested[key]) !== JSON.stringify(saved[key])) {
      throw new CarlError(
        'INVALID_CONFIG',
        `is ${JSON.stringify(requested[key])} but the run being resumed used ${JSON.stringify(saved[key])}; a resumed run keeps its configuration (drop the option, or start a new --out)`,
        { field: key },
      );
    }
  }
  return merged as unknown as TrainConfig;
}

async function writeState(dir: string, model: TrainingModel, store: EncoderStore, state: TrainerState): Promise<void> {
  await store.save(model.online, path.join(dir, 'encoder'));
  saveTensors(path.join(dir, 'heads.safetensors'), model.headVariables());
  if (model.target !== undefined) saveTensors(path.join(dir, 'target.safetensors'), model.targetVariables());
  const optimizer = model.optimizer.getState();
  const moments = new Map<string, tf.Tensor>();
  try {
    for (const [name, { m, v }] of Object.entries(optimizer.moments)) {
      const shape = (model.params.get(name) as tf.Variable).shape;
      moments.set(`m.${name}`, tf.tensor(m, shape));
      moments.set(`v.${name}`, tf.tensor(v, shape));
    }
    saveTensors(path.join(dir, 'optimizer.safetensors'), moments);
  } finally {
    moments.forEach((t) => t.dispose());
  }
  if (model.queue !== undefined) fs.writeFileSync(path.join(dir, 'queue.json'), JSON.stringify(model.queue.toJSON()));
  // Written last: its presence marks the checkpoint complete.
  fs.writeFileSync(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
}

function readState(dir: string): TrainerState {
  const file = path.join(dir, STATE_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CarlError('INVALID_CHECKPOINT', `cannot read the trainer state: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  const state = parsed as Partial<TrainerState>;
  if (state.format !== 'carl-trainer-state' || state.version !== 1) {
    throw new CarlError('INVALID_CHECKPOINT', `not a CARL trainer state (format ${String(state.format)}, version ${String(state.version)})`, { file });
  }
  return parsed as TrainerState;
}

function restoreState(model: TrainingModel, state: TrainerState, dir: string): void {
  const heads = path.join(dir, 'heads.safetensors');
  assignVariables(model.headVariables(), loadTensors(heads), heads);
  if (model.target !== undefined) {
    const file = path.join(dir, 'target.safetensors');
    assignVariables(model.targetVariables(), loadTensors(file), file);
  }
  const optimizerFile = path.join(dir, 'optimizer.safetensors');
  const saved = loadTensors(optimizerFile);
  const moments: Record<string, { m: Float32Array; v: Float32Array }> = {};
  for (const [name, entry] of saved) {
    const [kind, ...rest] = name.split('.');
    const param = rest.join('.');
    const slot = (moments[param] ??= { m: new Float32Array(0), v: new Float32Array(0) });
    if (kind === 'm') slot.m = entry.values;
    else if (kind === 'v') slot.v = entry.values;
    else throw new CarlError('INVALID_CHECKPOINT', 'unexpected optimizer tensor', { file: optimizerFile, field: name });
  }
  const optimizerState: AdamWState = { step: state.optimizerStep, moments };
  model.optimizer.setState(optimizerState, model.params);
  if (model.queue !== undefined) {
    const file = path.join(dir, 'queue.json');
    let saved: unknown;
    try {
      saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CarlError('INVALID_CHECKPOINT', `cannot read the queue: ${error instanceof Error ? error.message : String(error)}`, { file });
    }
    model.restoreQueue(saved);
  }
}

/** Token counts (with special tokens, after truncation) of every row, for length bucketing. */
function tokenLengths(encoder: Encoder, rows: readonly TrainingRow[], maxLength: number): number[] {
  const lengths: number[] = [];
  for (let start = 0; start < rows.length; start += 512) {
    const batch = encoder.tokenizer.encodeBatch(
      rows.slice(start, start + 512).map((r) => r.text),
      { maxLength },
    );
    for (const mask of batch.attentionMask) lengths.push(mask.reduce((a, b) => a + b, 0));
  }
  return lengths;
}

/** Rows supplied directly: keep those with a VA label (all rows for SimCSE), ids made unique per source. */
function rowsFromLabeled(data: readonly LabeledText[], config: TrainConfig): TrainingRow[] {
  const rows: TrainingRow[] = [];
  data.forEach((row, i) => {
    if (typeof row?.text !== 'string') throw new CarlError('INVALID_DATA', `row ${i} has no text`, { field: `data[${i}].text` });
    const source = row.source ?? 'custom';
    if (row.va === undefined) {
      if (config.method !== 'simcse') return;
    }
    rows.push({ id: `${source}/${row.id}`, text: row.text, va: row.va ?? { valence: 0, arousal: 0 }, source });
  });
  if (rows.length < 2) throw new CarlError('INVALID_DATA', `training needs at least 2 rows with a VA label, got ${rows.length}`, { field: 'data' });
  // Grouped by source (stable), so the corpora are contiguous as the batch schedule expects.
  const order = [...new Set(rows.map((r) => r.source))];
  return order.flatMap((source) => rows.filter((r) => r.source === source));
}

function corpusShares(rows: readonly TrainingRow[]): CorpusShare[] {
  const shares: CorpusShare[] = [];
  for (const row of rows) {
    const last = shares.at(-1);
    if (last !== undefined && last.name === row.source) shares[shares.length - 1] = { name: last.name, size: last.size + 1 };
    else shares.push({ name: row.source, size: 1 });
  }
  return shares;
}

/** FNV-1a over ids, texts and labels: detects resuming on different data. */
function dataFingerprint(rows: readonly TrainingRow[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string): void => {
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  };
  for (const r of rows) mix(`${r.id}\u0000${r.text}\u0000${r.va.valence},${r.va.arousal}\u0001`);
  return `${rows.length}-${h.toString(16).padStart(8, '0')}`;
}
