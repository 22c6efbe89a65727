import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, initBackend, type Encoder, type LabeledText } from '@carl/core';
import { CheckpointStore, newestIntactCheckpoint, readState, type CheckpointRef } from './checkpoint';
import { DEFAULT_CONFIG, changedOptions, resolveConfig, type TrainConfig } from './config';
import { runRows } from './data';
import { defaultEncoderStore, variablesStore, type EncoderStore } from './encoder-store';
import { fitVAHeadOn } from './head-fit';
import { MODEL_INFO_FILE, writeModelDir, type CarlModelInfo, type VAHead } from './model';
import { acquireRunLock, readRunSpec } from './run-dir';

/** Options of {@link refitVAHead}. */
export interface RefitOptions {
  /** A fixed ridge penalty; 0 or absent = choose it per axis by cross-validation (recommended). */
  readonly ridgeAlpha?: number;
  /** The rows the run was trained on, when it was trained on rows passed in (`trainCarl({ data })`, `--train-file`). */
  readonly data?: readonly LabeledText[];
  /** Folder of the corpora, when it moved since training (default: the run's `dataDir` / `$CARL_DATA_DIR`). */
  readonly dataDir?: string;
  /**
   * For a run trained on your own `Encoder` object: that encoder (constructed as for training; its
   * variables are loaded into it, and it stays yours: not disposed). The store then defaults to
   * `variablesStore(encoder)`.
   */
  readonly encoder?: Encoder;
  /** How the encoder is read and written. Default: the Hugging Face layout via @carl/encoder. */
  readonly encoderStore?: EncoderStore;
  /** Called as the refit moves on (for a progress line). */
  readonly onProgress?: (event: RefitProgress) => void;
}

/** A stage of {@link refitVAHead}. */
export type RefitProgress =
  | { readonly stage: 'encoder'; readonly from: string }
  | { readonly stage: 'embed'; readonly rows: number }
  | { readonly stage: 'fit'; readonly alpha: readonly number[]; readonly note: string | undefined }
  | { readonly stage: 'model'; readonly dir: string };

/** What {@link refitVAHead} did. */
export interface RefitResult {
  /** `<runDir>/model`, (re)written. */
  readonly modelDir: string;
  readonly vaHead: VAHead;
  /** Where the encoder came from: the run's model, or the newest intact checkpoint (a run whose head fit failed, or that diverged). */
  readonly encoderFrom: 'model' | CheckpointRef;
  /** Why the penalty search differs from what was asked, if it does. */
  readonly note: string | undefined;
}

/**
 * Fits the valence–arousal head of a run again and writes `<runDir>/model`: for a finished run
 * (e.g. with another penalty), for one whose head fit failed (it has a final checkpoint but no
 * model), or for one that diverged or was stopped (the newest intact checkpoint's encoder is used).
 * The run's configuration and data come from its `run.json` (or checkpoint); the same training rows
 * are embedded and the penalty is cross-validated unless `ridgeAlpha` is given. The run folder is
 * locked meanwhile, so it cannot race a trainer.
 *
 * @example
 * ```ts
 * const { modelDir, vaHead } = await refitVAHead('runs/carl');
 * vaHead.alpha; // e.g. [100, 1000], chosen per axis
 * ```
 */
export async function refitVAHead(runDir: string, options: RefitOptions = {}): Promise<RefitResult> {
  const dir = path.resolve(runDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CarlError('NOT_FOUND', 'run folder not found', { file: dir });
  const lock = acquireRunLock(dir);
  try {
    const modelDir = path.join(dir, 'model');
    const spec = readRunSpec(dir);
    const { checkpoint } = newestIntactCheckpoint(new CheckpointStore(path.join(dir, 'checkpoints'), 1));
    const state = checkpoint === undefined ? undefined : readState(checkpoint.dir);
    const info = readInfo(modelDir);
    const saved = spec?.config ?? state?.config ?? (info?.training?.['config'] as TrainConfig | undefined);
    if (saved === undefined) {
      throw new CarlError('NOT_FOUND', 'not a training run: no run.json, intact checkpoint or model with its training configuration', { file: dir });
    }
    const config = resolveConfig({
      ...DEFAULT_CONFIG,
      ...saved,
      ...(options.dataDir === undefined ? {} : { dataDir: path.resolve(options.dataDir) }),
    } as unknown as Record<string, unknown>);
    const source = spec?.data.source;
    if (source === 'rows' && options.data === undefined) {
      throw new CarlError('INVALID_ARGUMENT', 'this run was trained on rows passed in (--train-file / trainCarl({ data })); pass the same rows', { file: dir, field: 'data' });
    }
    await initBackend(config.backend === 'auto' ? {} : { backend: config.backend });

    const store = options.encoderStore ?? (options.encoder === undefined ? defaultEncoderStore() : variablesStore(options.encoder));
    const useModel = info !== undefined && (checkpoint === undefined || state?.step === state?.totalSteps);
    const encoderDir = useModel ? modelDir : path.join((checkpoint as CheckpointRef).dir, 'encoder');
    if (!useModel && checkpoint === undefined) throw new CarlError('NOT_FOUND', 'the run has neither a model nor an intact checkpoint to take the encoder from', { file: dir });
    options.onProgress?.({ stage: 'encoder', from: encoderDir });
    const encoder: Encoder = await store.load(encoderDir);
    try {
      const { rows, spec: dataSpec } = await runRows(config, options.data);
      const expected = spec?.data.fingerprint ?? state?.data.fingerprint;
      if (expected !== undefined && expected !== dataSpec.fingerprint) {
        throw new CarlError('INVALID_DATA', 'these rows differ from the rows the run was trained on; the head must be fitted on the same rows', { file: dir, field: 'data' });
      }
      options.onProgress?.({ stage: 'embed', rows: rows.length });
      const ridgeAlpha = options.ridgeAlpha ?? config.ridgeAlpha;
      const fit = fitVAHeadOn(encoder, rows, { maxLength: config.maxLength, ridgeAlpha, seed: config.seed });
      options.onProgress?.({ stage: 'fit', alpha: fit.head.alpha, note: fit.note });
      const training: Readonly<Record<string, unknown>> = useModel
        ? { ...(info?.training ?? {}), ridgeAlpha }
        : {
            config,
            changed: changedOptions(config),
            steps: state?.step ?? 0,
            totalSteps: state?.totalSteps ?? config.steps,
            finalLoss: state?.history.at(-1)?.loss ?? null,
            seconds: state?.seconds ?? 0,
            corpora: dataSpec.corpora,
            ridgeAlpha,
          };
      await writeModelDir(modelDir, encoder, store, { method: config.method, pooling: config.pooling, maxLength: config.maxLength, vaHead: fit.head, training });
      options.onProgress?.({ stage: 'model', dir: modelDir });
      return { modelDir, vaHead: fit.head, encoderFrom: useModel ? 'model' : (checkpoint as CheckpointRef), note: fit.note };
    } finally {
      if (encoder !== options.encoder) encoder.dispose();
    }
  } finally {
    lock.release();
  }
}

/** `carl.json` of the run's model, or undefined when there is no model (or it cannot be read: it is about to be rewritten). */
function readInfo(modelDir: string): CarlModelInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(path.join(modelDir, MODEL_INFO_FILE), 'utf8')) as CarlModelInfo;
    return info.format === 'carl-model' ? info : undefined;
  } catch {
    return undefined;
  }
}
