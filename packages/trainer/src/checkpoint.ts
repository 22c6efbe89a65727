import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { CarlError, filesystemError, fsyncPath, writeFileAtomic, type AdamWState, type RandomState } from '@carl/core';
import { readSafetensorsFile } from '@carl/encoder';
import type { CorpusShare } from './batching';
import type { TrainConfig } from './config';
import type { EncoderStore } from './encoder-store';
import type { TrainingModel } from './step';
import { assignVariables, loadTensors, saveArrays, saveTensors } from './tensor-io';

/**
 * Writes a whole folder so that it either appears complete or not at all: `populate` fills a
 * temporary sibling folder, every file and the folder are fsync'ed, then one `rename` publishes it
 * (and the parent is fsync'ed so the rename itself survives a power cut). An existing `dir` is
 * replaced only after the new one is complete.
 *
 * @example
 * ```ts
 * await writeDirAtomic('runs/a/checkpoints/step-00000100', (tmp) => fs.writeFileSync(path.join(tmp, 'state.json'), '{}'));
 * ```
 */
export async function writeDirAtomic(dir: string, populate: (tmpDir: string) => void | Promise<void>): Promise<void> {
  const parent = path.dirname(dir);
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.mkdirSync(tmp);
  } catch (error) {
    throw filesystemError(error, parent, 'create the folder');
  }
  try {
    await populate(tmp);
    fsyncTree(tmp);
    if (fs.existsSync(dir)) {
      // Keep the old copy until the new one is in place, then delete it.
      const old = path.join(parent, `.${path.basename(dir)}.old-${process.pid}-${Date.now().toString(36)}`);
      fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, dir);
    }
    fsyncPath(parent);
  } catch (error) {
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      // Leave it: cleanTemporary removes it on the next resume.
    }
    throw isErrnoError(error) ? filesystemError(error, dir, 'write') : error;
  }
}

/**
 * A Node system error (`ENOSPC`, `EROFS`, …), as opposed to an error thrown by the caller's code.
 *
 * @example
 * ```ts
 * isErrnoError(Object.assign(new Error('full'), { code: 'ENOSPC' })); // true
 * ```
 */
export function isErrnoError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && /^E[A-Z]+$/.test((error as NodeJS.ErrnoException).code as string);
}

function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(full);
    else if (entry.isFile()) fsyncPath(full);
  }
  fsyncPath(dir);
}

/** The file whose presence marks a checkpoint folder as complete. */
export const STATE_FILE = 'trainer_state.json';
const LATEST_FILE = 'LATEST';
const CHECKPOINT_PATTERN = /^step-(\d+)$/;

/** A complete checkpoint found on disk. */
export interface CheckpointRef {
  readonly step: number;
  readonly dir: string;
}

/**
 * The checkpoints of one run under `<out>/checkpoints/`: `step-00000100/` folders written with
 * {@link writeDirAtomic}, a `LATEST` pointer updated after each, and pruning that keeps the newest
 * `keep` complete ones. Half-written folders from a killed run are never read, only cleaned up.
 *
 * @example
 * ```ts
 * const checkpoints = new CheckpointStore('runs/a/checkpoints', 2);
 * await checkpoints.save(100, (dir) => writeState(dir));
 * checkpoints.latest(); // { step: 100, dir: 'runs/a/checkpoints/step-00000100' }
 * ```
 */
export class CheckpointStore {
  constructor(
    readonly root: string,
    private readonly keep: number,
  ) {
    if (!Number.isInteger(keep) || keep < 1) throw new CarlError('INVALID_ARGUMENT', `keep must be a positive integer, got ${keep}`, { field: 'keepCheckpoints' });
  }

  /** Writes the checkpoint of `step` atomically; `populate` must write {@link STATE_FILE} last or at all. */
  async save(step: number, populate: (dir: string) => void | Promise<void>): Promise<CheckpointRef> {
    const name = `step-${String(step).padStart(8, '0')}`;
    const dir = path.join(this.root, name);
    await writeDirAtomic(dir, async (tmp) => {
      await populate(tmp);
      if (!fs.existsSync(path.join(tmp, STATE_FILE))) {
        throw new CarlError('INTERNAL', `a checkpoint must contain ${STATE_FILE}`, { file: dir });
      }
    });
    writeFileAtomic(path.join(this.root, LATEST_FILE), `${name}\n`);
    this.prune();
    return { step, dir };
  }

  /** Every complete checkpoint, oldest first. */
  list(): CheckpointRef[] {
    if (!fs.existsSync(this.root)) return [];
    return fs
      .readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && CHECKPOINT_PATTERN.test(e.name) && fs.existsSync(path.join(this.root, e.name, STATE_FILE)))
      .map((e) => ({ step: Number((CHECKPOINT_PATTERN.exec(e.name) as RegExpExecArray)[1]), dir: path.join(this.root, e.name) }))
      .sort((a, b) => a.step - b.step);
  }

  /** The newest complete checkpoint (by `LATEST`, else by scanning), or undefined when there is none. */
  latest(): CheckpointRef | undefined {
    const pointer = path.join(this.root, LATEST_FILE);
    if (fs.existsSync(pointer)) {
      const name = fs.readFileSync(pointer, 'utf8').trim();
      const match = CHECKPOINT_PATTERN.exec(name);
      const dir = path.join(this.root, name);
      if (match !== null && fs.existsSync(path.join(dir, STATE_FILE))) {
        // LATEST may lag a newer complete folder if the run died between the two renames.
        const newest = this.list().at(-1);
        return newest !== undefined && newest.step > Number(match[1]) ? newest : { step: Number(match[1]), dir };
      }
    }
    return this.list().at(-1);
  }

  /**
   * Renames a damaged checkpoint to `<name>.corrupt` (kept for inspection, never read or pruned), so
   * the run can continue from an older one without the damaged one counting as the newest.
   */
  setAside(ref: CheckpointRef): string {
    const target = `${ref.dir}.corrupt`;
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(ref.dir, target);
    const pointer = path.join(this.root, LATEST_FILE);
    if (fs.existsSync(pointer) && fs.readFileSync(pointer, 'utf8').trim() === path.basename(ref.dir)) fs.rmSync(pointer, { force: true });
    return target;
  }

  /** Removes temporary folders left by a killed writer. */
  cleanTemporary(): void {
    if (!fs.existsSync(this.root)) return;
    for (const entry of fs.readdirSync(this.root)) {
      if (/^\..*\.(tmp|old)-/.test(entry)) fs.rmSync(path.join(this.root, entry), { recursive: true, force: true });
    }
  }

  private prune(): void {
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - this.keep))) fs.rmSync(old.dir, { recursive: true, force: true });
  }
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

/** One optimiser step in the run's history (also stored in checkpoints, so a resumed run keeps it). */
export interface StepRecord {
  /** Steps done after this one (1-based). */
  readonly step: number;
  readonly loss: number;
  /** Unweighted loss parts: `mccl`, `ptd`, `mse`, `infonce`, `supcon`. */
  readonly parts: Readonly<Record<string, number>>;
  readonly learningRate: number;
  readonly gradNorm: number;
  /**
   * The MCCL loss minus the entropy of its soft targets (the KL divergence from the targets to the
   * model's distribution, ≥ 0): unlike the raw loss it does not grow as the queue fills, so it is the
   * figure to watch. Only for the MCCL methods, and only when the step reports it.
   */
  readonly mcclKL?: number;
  /** The same for the supervised-contrastive loss of `carl-discrete` / `supcon-binned` (its targets are the same-bin rows). */
  readonly supconKL?: number;
  /** Keys in the queue at this step (negatives beyond the batch), for methods with a queue. */
  readonly queueSize?: number;
}

/** Writes the whole training state of `model` into a checkpoint folder; {@link STATE_FILE} goes last. */
export async function writeState(dir: string, model: TrainingModel, store: EncoderStore, state: TrainerState): Promise<void> {
  await store.save(model.online, path.join(dir, 'encoder'));
  saveTensors(path.join(dir, 'heads.safetensors'), model.headVariables());
  if (model.target !== undefined) saveTensors(path.join(dir, 'target.safetensors'), model.targetVariables());
  // The optimizer's own arrays (live: no copy): on wasm the moments live outside the heap, and turning
  // them back into tensors here would put twice the parameters' bytes into the heap at every checkpoint.
  const optimizer = model.optimizer.getState({ live: true });
  const moments = new Map<string, { shape: readonly number[]; values: Float32Array }>();
  for (const [name, { m, v }] of Object.entries(optimizer.moments)) {
    const shape = (model.params.get(name) as tf.Variable).shape;
    moments.set(`m.${name}`, { shape, values: m });
    moments.set(`v.${name}`, { shape, values: v });
  }
  saveArrays(path.join(dir, 'optimizer.safetensors'), moments);
  if (model.queue !== undefined) fs.writeFileSync(path.join(dir, 'queue.json'), JSON.stringify(model.queue.toJSON()));
  // Written last: its presence marks the checkpoint complete.
  fs.writeFileSync(path.join(dir, STATE_FILE), `${JSON.stringify(state, null, 1)}\n`);
}

/**
 * Reads and checks the {@link STATE_FILE} of a checkpoint folder (`INVALID_CHECKPOINT` when it is
 * unreadable or not a trainer state).
 *
 * @example
 * ```ts
 * readState('runs/a/checkpoints/step-00000100').step; // 100
 * ```
 */
export function readState(dir: string): TrainerState {
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

/** Restores heads, momentum target, optimizer moments and queue of `model` from a checkpoint folder. */
export function restoreState(model: TrainingModel, state: TrainerState, dir: string): void {
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
  if (model.queue !== undefined) model.restoreQueue(readJson(path.join(dir, 'queue.json'), 'the queue'));
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CarlError('INVALID_CHECKPOINT', `cannot read ${what}: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
}

/**
 * Why a complete-looking checkpoint cannot be resumed from, or undefined when every file in it reads
 * back: the state, each safetensors file (header and sizes, also the encoder's), every JSON file.
 * Reads the tensors fully, so a truncated file is found before any of it is assigned.
 *
 * @example
 * ```ts
 * checkpointProblem('runs/a/checkpoints/step-00000100'); // e.g. '…/optimizer.safetensors: header length … truncated …'
 * ```
 */
export function checkpointProblem(dir: string): string | undefined {
  try {
    readState(dir);
    const visit = (folder: string): void => {
      for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
        const file = path.join(folder, entry.name);
        if (entry.isDirectory()) visit(file);
        else if (entry.name.endsWith('.safetensors')) for (const tensor of readSafetensorsFile(file).tensors.values()) tensor.read();
        else if (entry.name.endsWith('.json')) readJson(file, entry.name);
      }
    };
    visit(dir);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** A checkpoint passed over by {@link newestIntactCheckpoint}, and why. */
export interface SkippedCheckpoint extends CheckpointRef {
  readonly reason: string;
}

/**
 * The newest checkpoint of `store` whose files all read back ({@link checkpointProblem}), and the
 * newer ones it skipped with the reason, newest first. Resuming from an older intact checkpoint only
 * repeats steps; resuming from a corrupt one would fail or, worse, continue from damaged state.
 *
 * @example
 * ```ts
 * const { checkpoint, skipped } = newestIntactCheckpoint(new CheckpointStore('runs/a/checkpoints', 2));
 * ```
 */
export function newestIntactCheckpoint(store: CheckpointStore): { checkpoint: CheckpointRef | undefined; skipped: SkippedCheckpoint[] } {
  const latest = store.latest();
  const candidates = [...store.list()].reverse();
  if (latest !== undefined && candidates[0]?.step !== latest.step) candidates.unshift(latest);
  const skipped: SkippedCheckpoint[] = [];
  for (const candidate of candidates) {
    const problem = checkpointProblem(candidate.dir);
    if (problem === undefined) return { checkpoint: candidate, skipped };
    skipped.push({ ...candidate, reason: problem });
  }
  return { checkpoint: undefined, skipped };
}
