import { CarlError } from '@carl/core';
import { DEFAULT_TASKS } from './builtin';
import { cachedEmbedder, type EmbedFunction } from './embed';
import { runTask, type RunTaskOptions, type TaskResult, type TaskSpec } from './tasks';

/** Options of {@link evaluate}. */
export interface EvaluateOptions extends Omit<RunTaskOptions, 'cache'> {
  /** The model under test (or give a `featurizer`, e.g. {@link tfidfFeaturizer}). */
  readonly embed?: EmbedFunction;
  /** Task names and/or specs, run in order. Default {@link DEFAULT_TASKS}. */
  readonly tasks?: readonly (string | TaskSpec)[];
  /** Model name recorded in the report (e.g. its folder). */
  readonly model?: string;
  /** Backend recorded in the report (e.g. `currentBackend()?.backend`). */
  readonly backend?: string;
}

/** Everything one evaluation run measured: serialises to the `carl eval --json` shape. */
export interface EvaluationReport {
  readonly model?: string;
  readonly backend?: string;
  readonly seed: number;
  readonly tasks: readonly TaskResult[];
  /** Embedding width, distinct texts embedded, and seconds spent embedding and overall. */
  readonly embedding: { readonly dimension: number | undefined; readonly texts: number; readonly seconds: number };
  readonly seconds: number;
  /** ISO time the run finished. */
  readonly date: string;
}

/**
 * Runs a suite of tasks on one model, embedding each distinct sentence once across all tasks.
 * Every task uses the same `seed` for its subsampling, folds and probe cross-validation, so two models
 * evaluated with the same seed see exactly the same splits (what a paired comparison needs).
 *
 * @example
 * ```ts
 * const report = await evaluate({ embed: (t) => model.embed(t), tasks: ['emobank-va', 'sst2'], seed: 1, model: 'runs/carl' });
 * console.log(formatTable(report));
 * ```
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluationReport> {
  if (typeof options.embed !== 'function' && options.featurizer === undefined) throw new CarlError('INVALID_ARGUMENT', 'evaluate needs an embed function or a featurizer', { field: 'embed' });
  const tasks = options.tasks ?? DEFAULT_TASKS;
  if (tasks.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no tasks to run', { field: 'tasks' });
  const began = performance.now();
  const seed = options.seed ?? 0;
  const log = options.onProgress;
  const cache = cachedEmbedder(options.embed ?? (() => []), {
    batchSize: options.batchSize ?? 64,
    ...(log === undefined ? {} : { onProgress: (done: number, total: number) => log(`embedded ${done}/${total}`) }),
  });
  const results: TaskResult[] = [];
  for (const task of tasks) results.push(await runTask(task, options.embed, { ...options, seed, cache }));
  return {
    ...(options.model === undefined ? {} : { model: options.model }),
    ...(options.backend === undefined ? {} : { backend: options.backend }),
    seed,
    tasks: results,
    embedding: { dimension: cache.dimension, texts: cache.size, seconds: cache.seconds },
    seconds: (performance.now() - began) / 1000,
    date: new Date().toISOString(),
  };
}
