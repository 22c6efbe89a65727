import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, Random, initBackend, isCarlError, learningRateSchedule, type Encoder, type LabeledText } from '@carl/core';
import { momentumSchedule } from '@carl/momentum-queue';
import { BatchSchedule, type CorpusShare } from './batching';
import {
  CheckpointStore,
  STATE_FILE,
  newestIntactCheckpoint,
  readState,
  restoreState,
  writeState,
  type CheckpointRef,
  type SkippedCheckpoint,
  type StepRecord,
  type TrainerState,
} from './checkpoint';
import { DEFAULT_CONFIG, changedOptions, resolveConfig, type TrainConfig } from './config';
import { checkDataNames, runRows, tokenLengths, type TrainingRow } from './data';
import { buildEncoder, defaultEncoderStore, variablesStore, type EncoderStore } from './encoder-store';
import { fitVAHeadOn } from './head-fit';
import { yieldToEventLoop } from './interrupt';
import { MODEL_INFO_FILE, writeModelDir, type VAHead } from './model';
import type { ProgressReporter } from './progress';
import { RUN_FILE, acquireRunLock, prepareRunDir, readRunSpec, writeRunSpec, type RunSpec } from './run-dir';
import { PeakMemory, type MemoryFigures } from './run-memory';
import { TrainingModel, trainingModelOptions } from './step';

export type { StepRecord, TrainerState } from './checkpoint';

/** What {@link trainCarl} reports to `onStep` (a history record plus figures for logs). */
export interface StepReport extends StepRecord {
  readonly examples: number;
  readonly metrics: Readonly<Record<string, number>>;
}

/** Options of {@link trainCarl} beyond the hyperparameters. */
export interface TrainOptions {
  /** Output folder: `checkpoints/` and, when done, `model/` (encoder + VA head). */
  readonly out: string;
  /**
   * Continue the run in `out` from its newest intact checkpoint (same result as an uninterrupted run);
   * a run stopped before its first checkpoint starts again from its `run.json` with the same
   * configuration. A folder without a run is an error (`NOT_FOUND`), never a fresh start.
   */
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
  /**
   * Stop cleanly between steps: the current step finishes, a checkpoint is written and the result
   * says `interrupted`. The loop yields to the event loop before every step, so a signal aborted by
   * an OS signal handler (see `abortOnSignals`) is seen.
   */
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
  /** Peak tensor bytes of this session (inside steps included) and, on wasm, the heap size. */
  readonly memory: MemoryFigures;
  /** Newer checkpoints a resume passed over because they were damaged (renamed `<name>.corrupt`), newest first. */
  readonly skippedCheckpoints: readonly SkippedCheckpoint[];
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
 * The run folder holds `run.json` (the resolved configuration, written at the start) and is locked
 * while the run lasts: a second trainer on it gets `RUN_LOCKED`. Filesystem failures are
 * `FILESYSTEM` errors naming the path; the last complete checkpoint always stays readable.
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
  const out = path.resolve(options.out);
  if (options.resume === true && !fs.existsSync(out)) {
    throw new CarlError('NOT_FOUND', 'nothing to resume: the folder does not exist (start the run without --resume)', { file: out });
  }
  prepareRunDir(out);
  const lock = acquireRunLock(out);
  try {
    return await trainLocked(config, requested, out, options);
  } finally {
    lock.release();
  }
}

async function trainLocked(config: Partial<TrainConfig>, requested: TrainConfig, out: string, options: TrainOptions): Promise<TrainResult> {
  await initBackend(requested.backend === 'auto' ? {} : { backend: requested.backend });
  const checkpoints = new CheckpointStore(path.join(out, 'checkpoints'), requested.keepCheckpoints);
  const opened = openRun(out, checkpoints, options);
  const { resumeFrom, state, spec, skipped } = opened;
  const savedConfig = state?.config ?? spec?.config;
  const cfg = savedConfig === undefined ? requested : resumedConfig(savedConfig, config, requested);
  const store = options.encoderStore ?? (options.encoder === undefined ? defaultEncoderStore() : variablesStore(options.encoder));

  const { rows, spec: dataSpec } = await runRows(cfg, options.data);
  const { corpora, fingerprint } = dataSpec;
  const recorded = state?.data.fingerprint ?? spec?.data.fingerprint;
  if (recorded !== undefined && recorded !== fingerprint) {
    throw new CarlError('INVALID_CHECKPOINT', 'the training data differs from the data this run was trained on; resume with the same data or start a new --out', {
      file: resumeFrom === undefined ? path.join(out, RUN_FILE) : path.join(resumeFrom.dir, STATE_FILE),
      field: 'data',
    });
  }
  // Before any long work, so a run stopped before its first checkpoint resumes with this configuration.
  if (spec === undefined) writeRunSpec(out, cfg, dataSpec);
  for (const ref of skipped) checkpoints.setAside(ref);

  let online: Encoder;
  if (resumeFrom !== undefined) online = await store.load(path.join(resumeFrom.dir, 'encoder'));
  else if (options.encoder !== undefined) online = options.encoder;
  else online = await buildEncoder(cfg, rows.map((r) => r.text), options.encoderStore);
  const rng = new Random(cfg.seed);
  const model = new TrainingModel(online, cfg, rng.seed(), await trainingModelOptions(cfg, online));
  const memory = new PeakMemory();
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
      memory: memory.figures(),
      skippedCheckpoints: skipped,
    });
    const start = state?.step ?? 0;
    if (state !== undefined && state.totalSteps !== totalSteps) {
      throw new CarlError('INVALID_CHECKPOINT', `the checkpoint was made for ${state.totalSteps} steps, this run would take ${totalSteps}`, { field: 'steps' });
    }
    const progress = options.progress?.({ total: totalSteps, start });
    for (const ref of skipped) progress?.event('checkpoint-skipped', { dir: `${ref.dir}.corrupt`, step: ref.step, reason: ref.reason });
    if (resumeFrom !== undefined && skipped.length > 0) progress?.event('resumed', { dir: resumeFrom.dir, step: resumeFrom.step });
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
      // A step is synchronous tensor work: without this, signal handlers would not run until the end.
      await yieldToEventLoop();
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
      const record = stepRecord(step + 1, outcome, learningRate);
      history.push(record);
      const figures = memory.figures();
      progress?.update({
        done: step + 1,
        examples: batchRows.length,
        loss: outcome.loss,
        metrics: { ...outcome.parts, lr: learningRate, gradNorm: outcome.gradNorm, ...outcome.metrics, ...memoryMetrics(figures) },
      });
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
      const fit = fitVAHeadOn(online, rows, { maxLength: cfg.maxLength, ridgeAlpha: cfg.ridgeAlpha, seed: cfg.seed });
      vaHead = fit.head;
      if (fit.note !== undefined) progress?.event('va-head-penalty', { note: fit.note, alpha: fit.head.alpha.join(',') });
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
    const done = result('completed', totalSteps);
    progress?.finish({ seconds: Math.round(elapsed()), ...memoryMetrics(done.memory) });
    return { ...done, modelDir, vaHead };
  } finally {
    memory.stop();
    model.dispose();
    // Only encoders this run created (a store may hand back the caller's own encoder).
    if (online !== options.encoder) online.dispose();
  }
}

/** The history record of a step: loss, parts, and the queue-independent figures when the step gives them. */
function stepRecord(step: number, outcome: { loss: number; parts: Readonly<Record<string, number>>; gradNorm: number; metrics: Readonly<Record<string, number>> }, learningRate: number): StepRecord {
  const optional: { mcclKL?: number; supconKL?: number; queueSize?: number } = {};
  for (const key of ['mcclKL', 'supconKL', 'queueSize'] as const) {
    const value = outcome.metrics[key];
    if (value !== undefined) optional[key] = value;
  }
  return { step, loss: outcome.loss, parts: outcome.parts, learningRate, gradNorm: outcome.gradNorm, ...optional };
}

/** Memory figures for logs, in MiB (one decimal): bytes would print as 1.23e+08. */
function memoryMetrics(figures: MemoryFigures): Record<string, number> {
  const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  return { peakTensorMiB: mib(figures.peakTensorBytes), ...(figures.wasmHeapBytes === undefined ? {} : { wasmHeapMiB: mib(figures.wasmHeapBytes) }) };
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

/** Where a run starts: the checkpoint (and its state) or run description to continue, and damaged checkpoints passed over. */
interface OpenedRun {
  readonly resumeFrom: CheckpointRef | undefined;
  readonly state: TrainerState | undefined;
  readonly spec: RunSpec | undefined;
  readonly skipped: SkippedCheckpoint[];
}

/** Checks `out` against the resume/force flags and finds what to continue from. */
function openRun(out: string, checkpoints: CheckpointStore, options: TrainOptions): OpenedRun {
  if (options.resume === true) {
    checkpoints.cleanTemporary();
    const spec = readRunSpec(out);
    const { checkpoint, skipped } = newestIntactCheckpoint(checkpoints);
    if (checkpoint !== undefined) return { resumeFrom: checkpoint, state: readState(checkpoint.dir), spec, skipped };
    if (skipped.length > 0) {
      const reasons = skipped.map((s) => `${path.basename(s.dir)}: ${s.reason}`).join('; ');
      throw new CarlError('INVALID_CHECKPOINT', `nothing to resume: every checkpoint is damaged (${reasons}); use --force to start over`, { file: checkpoints.root });
    }
    if (spec !== undefined) return { resumeFrom: undefined, state: undefined, spec, skipped };
    const what = fs.existsSync(path.join(out, 'model')) ? 'the folder has a model but no checkpoint or run.json' : 'the folder holds no run (no run.json or checkpoint)';
    throw new CarlError('NOT_FOUND', `nothing to resume: ${what}; start the run without --resume (add --force to replace what is there)`, { file: out });
  }
  const managed = ['checkpoints', 'model', RUN_FILE].filter((name) => fs.existsSync(path.join(out, name)));
  if (managed.length > 0) {
    if (options.force !== true) {
      // run.json is named only when it is all there is (a run stopped before its first checkpoint).
      const shown = managed.length > 1 ? managed.filter((name) => name !== RUN_FILE) : managed;
      throw new CarlError('FILE_EXISTS', `already holds a training run (${shown.join(', ')}); use --resume to continue it or --force to replace it`, { file: out });
    }
    for (const name of managed) fs.rmSync(path.join(out, name), { recursive: true, force: true });
  }
  return { resumeFrom: undefined, state: undefined, spec: undefined, skipped: [] };
}

/** The saved config, with run-only overrides; an explicit option that contradicts it is an error. */
function resumedConfig(savedConfig: TrainConfig, explicit: Partial<TrainConfig>, requested: TrainConfig): TrainConfig {
  const saved = resolveConfig({ ...DEFAULT_CONFIG, ...savedConfig } as unknown as Record<string, unknown>);
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
