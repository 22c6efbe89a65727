import { CarlError, Random, type LabeledText } from '@carl/core';
import { vaDistance } from '@carl/va-labeling';
import { builtinTask } from './builtin';
import { ALIGN_UNIFORM_MAX_ROWS, DEFAULT_ALIGN_THRESHOLD } from './constants';
import { cachedEmbedder, type CachedEmbedder, type EmbedFunction } from './embed';
import { assignFolds, splitByFold } from './folds';
import { fitLogistic, type LogisticOptions } from './logistic';
import { accuracy, alignment, confusionMatrix, macroF1, mae, pearson, rmse, spearman, uniformity, type ConfusionMatrix } from './metrics';
import { fitRidge, type RidgeOptions } from './ridge';
import { meanStd } from './stats';
import type { Features } from './sparse';
import { fitTfidf, type TfidfOptions } from './tfidf';

/** What a task measures. */
export type TaskKind = 'va' | 'classification' | 'align-uniform';

/**
 * How a task's rows become train and test sets.
 * - `official`: the corpus's own train/test split (dev is not used: probe hyperparameters are cross-validated on train).
 * - `kfold`: all rows, k folds (stratified by class for classification); metrics are averaged over folds.
 * - `holdout`: one seeded split with `testFraction` of the rows held out (stratified for classification).
 */
export type SplitRule =
  | { readonly type: 'official' }
  | { readonly type: 'kfold'; readonly k: number }
  | { readonly type: 'holdout'; readonly testFraction: number };

/** Rows of a task: `test` for official splits; `train` alone holds every row for k-fold and holdout. */
export interface TaskRows {
  readonly train: readonly LabeledText[];
  readonly test?: readonly LabeledText[];
  /** The class names in order (classification). */
  readonly labelNames?: readonly string[];
}

/** Where tasks find their data. */
export interface TaskContext {
  /** Folder holding the corpora (`<dataDir>/<corpus folder>`); default: @carl/datasets' resolution (`$CARL_DATA_DIR`, the cache, a pinned download). */
  readonly dataDir?: string;
  /** Whether a missing corpus may be downloaded (default: @carl/datasets' default, true unless `CARL_OFFLINE=1`). */
  readonly download?: boolean;
}

/**
 * One evaluation task. Built-in tasks are named by string; your own is an object with a `load`
 * function (or comes from {@link loadTaskFile}).
 */
export interface TaskSpec {
  readonly name: string;
  readonly kind: TaskKind;
  readonly split: SplitRule;
  /** Loads the rows; called once per run. */
  readonly load: (context: TaskContext) => Promise<TaskRows>;
  /** For `align-uniform`: pairs whose VA distance (L2 on valence and arousal) is below this are positives. */
  readonly threshold?: number;
  /** One line for reports and `--help`. */
  readonly description?: string;
}

/** Valence or arousal scores of a VA task. */
export interface AxisMetrics {
  readonly pearson: number;
  readonly spearman: number;
  readonly rmse: number;
  readonly mae: number;
}

/** Metrics of a VA regression task (ridge probe). */
export interface VAMetrics {
  readonly valence: AxisMetrics;
  readonly arousal: AxisMetrics;
}

/** Metrics of a classification task (logistic probe). */
export interface ClassMetrics {
  readonly accuracy: number;
  readonly macroF1: number;
}

/** Metrics of the alignment/uniformity task (Wang & Isola 2020); lower is better for both. */
export interface AlignUniformMetrics {
  readonly alignment: number;
  readonly uniformity: number;
  /** Number of positive pairs found under the threshold. */
  readonly positivePairs: number;
  readonly threshold: number;
  /** Rows left out because their embedding is all zeros (no direction to normalise). */
  readonly zeroVectors: number;
}

/** Sizes and protocol of a finished task. */
export interface TaskProtocol {
  readonly split: SplitRule['type'];
  /** Number of folds (k-fold only). */
  readonly folds?: number;
  /** Training rows (per fold for k-fold). */
  readonly train: number;
  /** Test rows (per fold for k-fold, i.e. about n/k). */
  readonly test: number;
  /** Rows before any `maxTrain`/`maxTest` cap. */
  readonly available: number;
}

/** Out-of-sample predictions, kept when `keepPredictions` is set (e.g. for {@link pairedBootstrap}). */
export interface Predictions<T> {
  readonly ids: readonly string[];
  readonly truth: readonly T[];
  readonly predicted: readonly T[];
}

interface TaskResultBase {
  readonly task: string;
  readonly protocol: TaskProtocol;
  readonly seconds: number;
}

/** Result of a VA task. For k-fold tasks `metrics` are means over folds and `foldMetrics` hold each fold. */
export interface VATaskResult extends TaskResultBase {
  readonly kind: 'va';
  readonly metrics: VAMetrics;
  readonly std?: VAMetrics;
  readonly foldMetrics?: readonly VAMetrics[];
  /** The ridge penalty chosen for [valence, arousal], per fold. */
  /** Chosen α per fold and target, and seconds spent fitting the probes (all folds, CV included). */
  readonly probe: { readonly alpha: readonly (readonly number[])[]; readonly seconds?: number };
  readonly predictions?: Predictions<readonly [number, number]>;
}

/** Result of a classification task. */
export interface ClassificationTaskResult extends TaskResultBase {
  readonly kind: 'classification';
  readonly metrics: ClassMetrics;
  readonly std?: ClassMetrics;
  readonly foldMetrics?: readonly ClassMetrics[];
  readonly labels: readonly string[];
  /** Test-set confusion matrix (summed over folds), rows = true class, columns = predicted, in `labels` order. */
  readonly confusion: ConfusionMatrix<string>;
  /** The L2 strength chosen, per fold. */
  /** Chosen λ per fold, and seconds spent fitting the probes (all folds, CV included). */
  readonly probe: { readonly l2: readonly number[]; readonly seconds?: number };
  readonly predictions?: Predictions<string>;
}

/** Result of the alignment/uniformity task. */
export interface AlignUniformTaskResult extends TaskResultBase {
  readonly kind: 'align-uniform';
  readonly metrics: AlignUniformMetrics;
}

/** What {@link runTask} returns; `kind` tells which. */
export type TaskResult = VATaskResult | ClassificationTaskResult | AlignUniformTaskResult;

/** Options of {@link runTask} and {@link evaluate}. */
export interface RunTaskOptions extends TaskContext {
  /** Seed of subsampling, folds and probe cross-validation. Use the same seed for every model you compare. Default 0. */
  readonly seed?: number;
  /** Cap on training rows (per fold for k-fold), drawn at random with the seed. For quick runs. */
  readonly maxTrain?: number;
  /** Cap on test rows (per fold for k-fold). */
  readonly maxTest?: number;
  /** Ridge options for VA tasks (grid, folds). */
  readonly ridge?: RidgeOptions;
  /** Logistic-regression options for classification tasks (L2 grid, folds). */
  readonly logistic?: LogisticOptions;
  /** Keep out-of-sample predictions in the result. Default false. */
  readonly keepPredictions?: boolean;
  /** Texts per call to the embedding function. Default 64. */
  readonly batchSize?: number;
  /** Progress messages (task started, texts embedded, fold done). */
  readonly onProgress?: (message: string) => void;
  /** Share one embedding cache across tasks (`evaluate` does this). */
  readonly cache?: CachedEmbedder;
  /**
   * Features fitted on each fold's training texts instead of a frozen embedding (e.g. {@link tfidfFeaturizer}):
   * the probes then run on its output. Alignment/uniformity is not defined for it (reported as NaN).
   */
  readonly featurizer?: Featurizer;
}

/** A feature extractor that learns from the training texts of each fold (a bag of words) before the probe. */
export interface Featurizer {
  readonly name: string;
  /** Fits on the training texts and returns the map from texts to feature rows. */
  fit(trainTexts: readonly string[]): (texts: readonly string[]) => Features;
  /** L2 grid for the logistic probe on these features (default {@link DEFAULT_LOGISTIC_L2}). */
  readonly logisticL2?: readonly number[];
}

/**
 * TF-IDF of word 1–2-grams (sublinear tf, l2-normalised, terms in ≥ 2 training texts) as a
 * {@link Featurizer}: the bag-of-words row of a comparison, refitted on every fold's training texts.
 * Its logistic grid reaches weaker penalties than the default one, because l2-normalised sparse rows
 * have tiny per-feature variance.
 *
 * @example
 * ```ts
 * const report = await evaluate({ featurizer: tfidfFeaturizer(), model: 'tfidf', tasks: ['sst2'], seed: 1 });
 * ```
 */
export function tfidfFeaturizer(options: TfidfOptions = {}): Featurizer {
  return {
    name: 'tfidf',
    fit(trainTexts) {
      const vectorizer = fitTfidf(trainTexts, options);
      return (texts) => vectorizer.transform(texts);
    },
    logisticL2: [1e-6, 1e-5, 1e-4, 1e-3, 1e-2],
  };
}

/**
 * Runs one task on frozen embeddings: loads its rows, embeds every text once, fits the probe on the
 * training rows only (ridge for VA, multinomial logistic regression for classes, none for
 * alignment/uniformity) and scores the test rows.
 *
 * @example
 * ```ts
 * const result = await runTask('emobank-va', (texts) => model.embed(texts), { seed: 1 });
 * if (result.kind === 'va') console.log(result.metrics.valence.pearson);
 * ```
 */
export async function runTask(task: string | TaskSpec, embed: EmbedFunction | undefined, options: RunTaskOptions = {}): Promise<TaskResult> {
  const spec = typeof task === 'string' ? builtinTask(task) : validateSpec(task);
  const began = performance.now();
  const log = options.onProgress ?? (() => undefined);
  const featurizer = options.featurizer;
  if (featurizer === undefined && embed === undefined && options.cache === undefined) {
    throw new CarlError('INVALID_ARGUMENT', 'runTask needs an embed function or a featurizer', { field: 'embed' });
  }
  const cache = options.cache ?? cachedEmbedder(embed ?? (() => []), { batchSize: options.batchSize ?? 64 });
  log(`${spec.name}: loading`);
  const rows = await spec.load({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.download === undefined ? {} : { download: options.download }),
  });
  checkRows(spec, rows);
  const seed = options.seed ?? 0;
  const plan = planSplits(spec, rows, seed, options);
  const texts = [...new Set(plan.folds.flatMap((f) => [...f.train, ...f.test].map((r) => r.text)))];
  if (featurizer === undefined) {
    log(`${spec.name}: embedding ${texts.length} texts`);
    await cache.embed(texts);
  }
  // With a featurizer, each fold's features come from a fit on that fold's training texts only.
  let fitted: { fold: readonly LabeledText[]; map: (texts: readonly string[]) => Features } | undefined;
  const featuresOf = async (items: readonly LabeledText[], fold: Fold): Promise<Features> => {
    if (featurizer === undefined) return cache.embed(items.map((r) => r.text));
    if (fitted?.fold !== fold.train) fitted = { fold: fold.train, map: featurizer.fit(fold.train.map((r) => r.text)) };
    return fitted.map(items.map((r) => r.text));
  };
  const vectors = async (items: readonly LabeledText[]): Promise<Float32Array[]> => cache.embed(items.map((r) => r.text));
  const seconds = (): number => (performance.now() - began) / 1000;
  const protocol = plan.protocol;
  const probeBegan = { total: 0 };
  const timed = <T>(fn: () => T): T => {
    const t0 = performance.now();
    const out = fn();
    probeBegan.total += (performance.now() - t0) / 1000;
    return out;
  };

  if (spec.kind === 'align-uniform' && featurizer !== undefined) {
    const nan = Number.NaN;
    return { task: spec.name, kind: 'align-uniform', metrics: { alignment: nan, uniformity: nan, positivePairs: 0, threshold: spec.threshold ?? DEFAULT_ALIGN_THRESHOLD, zeroVectors: 0 }, protocol, seconds: seconds() };
  }
  if (spec.kind === 'align-uniform') {
    const test = (plan.folds[0] as Fold).test;
    const metrics = alignUniform(test, await vectors(test), spec.threshold ?? DEFAULT_ALIGN_THRESHOLD);
    return { task: spec.name, kind: 'align-uniform', metrics, protocol, seconds: seconds() };
  }

  if (spec.kind === 'va') {
    const foldMetrics: VAMetrics[] = [];
    const alphas: number[][] = [];
    const kept = { ids: [] as string[], truth: [] as (readonly [number, number])[], predicted: [] as (readonly [number, number])[] };
    for (const [f, fold] of plan.folds.entries()) {
      const xTrain = await featuresOf(fold.train, fold);
      const xTest = await featuresOf(fold.test, fold);
      const probe = timed(() => fitRidge(xTrain, fold.train.map(vaOf), { seed: seed + f, ...options.ridge }));
      const predicted = probe.predict(xTest);
      const truth = fold.test.map(vaOf);
      foldMetrics.push(vaMetrics(truth, predicted));
      alphas.push([...probe.alpha]);
      if (options.keepPredictions === true) {
        fold.test.forEach((r, i) => {
          kept.ids.push(r.id);
          kept.truth.push(truth[i] as [number, number]);
          kept.predicted.push([(predicted[i] as number[])[0] as number, (predicted[i] as number[])[1] as number]);
        });
      }
      if (plan.folds.length > 1) log(`${spec.name}: fold ${f + 1}/${plan.folds.length} done`);
    }
    const { mean, std } = averageVA(foldMetrics);
    return {
      task: spec.name,
      kind: 'va',
      metrics: mean,
      ...(plan.folds.length > 1 ? { std, foldMetrics } : {}),
      probe: { alpha: alphas, seconds: probeBegan.total },
      ...(options.keepPredictions === true ? { predictions: kept } : {}),
      protocol,
      seconds: seconds(),
    };
  }

  const foldMetrics: ClassMetrics[] = [];
  const l2s: number[] = [];
  const kept = { ids: [] as string[], truth: [] as string[], predicted: [] as string[] };
  const labels = rows.labelNames ?? [...new Set(plan.folds.flatMap((f) => [...f.train, ...f.test].map(classOf)))].sort();
  const confusion = labels.map(() => new Array<number>(labels.length).fill(0));
  for (const [f, fold] of plan.folds.entries()) {
    const trainLabels = fold.train.map(classOf);
    const present = labels.filter((l) => trainLabels.includes(l));
    const xTrain = await featuresOf(fold.train, fold);
    const xTest = await featuresOf(fold.test, fold);
    const grid = featurizer?.logisticL2 === undefined ? {} : { l2: featurizer.logisticL2 };
    const probe = timed(() => fitLogistic(xTrain, trainLabels, { seed: seed + f, ...grid, ...options.logistic, labels: present }));
    const predicted = probe.predict(xTest);
    const truth = fold.test.map(classOf);
    // macro-F1 over the task's declared classes, so a class the probe never predicts still counts (as 0).
    const scored = labels.filter((l) => truth.includes(l) || predicted.includes(l));
    foldMetrics.push({ accuracy: accuracy(truth, predicted), macroF1: macroF1(truth, predicted, scored) });
    confusionMatrix(truth, predicted, labels).matrix.forEach((row, t) => row.forEach((count, p) => ((confusion[t] as number[])[p] = ((confusion[t] as number[])[p] as number) + count)));
    l2s.push(probe.l2);
    if (options.keepPredictions === true) {
      fold.test.forEach((r, i) => {
        kept.ids.push(r.id);
        kept.truth.push(truth[i] as string);
        kept.predicted.push(predicted[i] as string);
      });
    }
    if (plan.folds.length > 1) log(`${spec.name}: fold ${f + 1}/${plan.folds.length} done`);
  }
  const acc = meanStd(foldMetrics.map((m) => m.accuracy));
  const f1 = meanStd(foldMetrics.map((m) => m.macroF1));
  return {
    task: spec.name,
    kind: 'classification',
    metrics: { accuracy: acc.mean, macroF1: f1.mean },
    ...(plan.folds.length > 1 ? { std: { accuracy: acc.std, macroF1: f1.std }, foldMetrics } : {}),
    labels,
    confusion: { labels, matrix: confusion },
    probe: { l2: l2s, seconds: probeBegan.total },
    ...(options.keepPredictions === true ? { predictions: kept } : {}),
    protocol,
    seconds: seconds(),
  };
}


interface Fold {
  train: LabeledText[];
  test: LabeledText[];
}

interface Plan {
  folds: Fold[];
  protocol: TaskProtocol;
}

/**
 * Turns rows into train/test folds, applying the caps. Subsampling happens after the split so the
 * test set of an official split is a random subset of the real test set, never of training rows.
 */
function planSplits(spec: TaskSpec, rows: TaskRows, seed: number, options: RunTaskOptions): Plan {
  const rng = new Random(seed);
  const strataOf = (items: readonly LabeledText[]): string[] | undefined => (spec.kind === 'classification' ? items.map(classOf) : undefined);
  const cap = (items: readonly LabeledText[], max: number | undefined, field: string): LabeledText[] => {
    if (max === undefined || items.length <= max) return [...items];
    if (!Number.isInteger(max) || max < 1) throw new CarlError('INVALID_ARGUMENT', `must be a positive integer, got ${max}`, { field });
    // A seeded subset in the original order, so the same seed picks the same sentences for every model.
    const keep = new Set(rng.fork().shuffle(Array.from({ length: items.length }, (_, i) => i)).slice(0, max));
    return items.filter((_, i) => keep.has(i));
  };
  if (spec.kind === 'align-uniform') {
    // No probe, so no training rows: score the test rows (or every row), capped because the cost is quadratic.
    const source = rows.test !== undefined && rows.test.length > 0 ? rows.test : [...rows.train];
    const test = cap(source, options.maxTest ?? ALIGN_UNIFORM_MAX_ROWS, 'maxTest');
    return { folds: [{ train: [], test }], protocol: { split: spec.split.type, train: 0, test: test.length, available: source.length } };
  }
  const { split } = spec;
  if (split.type === 'official') {
    if (rows.test === undefined || rows.test.length === 0) {
      throw new CarlError('INVALID_DATA', `task "${spec.name}" uses the official split but its data has no test rows`, { field: 'split' });
    }
    const train = cap(rows.train, options.maxTrain, 'maxTrain');
    const test = cap(rows.test, options.maxTest, 'maxTest');
    return { folds: [{ train, test }], protocol: { split: 'official', train: train.length, test: test.length, available: rows.train.length + rows.test.length } };
  }
  const all = [...rows.train, ...(rows.test ?? [])];
  if (split.type === 'kfold') {
    const k = split.k;
    // Cap the pool so that no fold trains on more than maxTrain rows or tests more than maxTest.
    const limit = Math.min(
      options.maxTrain === undefined ? Infinity : Math.floor((options.maxTrain * k) / (k - 1)),
      options.maxTest === undefined ? Infinity : options.maxTest * k,
    );
    const pool = cap(all, Number.isFinite(limit) ? limit : undefined, 'maxTrain');
    const fold = assignFolds(pool.length, k, { seed, ...(spec.kind === 'classification' ? { strata: strataOf(pool) as string[] } : {}) });
    const folds = Array.from({ length: k }, (_, f) => {
      const { train, test } = splitByFold(fold, f);
      return { train: train.map((i) => pool[i] as LabeledText), test: test.map((i) => pool[i] as LabeledText) };
    });
    return {
      folds,
      protocol: { split: 'kfold', folds: k, train: Math.round((pool.length * (k - 1)) / k), test: Math.round(pool.length / k), available: all.length },
    };
  }
  // holdout: fold 0 of a stratified assignment into round(1 / testFraction) parts would fix the fraction
  // to 1/k; instead shuffle (within classes) and cut, so any fraction works.
  const f = split.testFraction;
  const groups = new Map<string, LabeledText[]>();
  const strata = strataOf(all);
  all.forEach((row, i) => {
    const key = strata?.[i] ?? '';
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  });
  const train: LabeledText[] = [];
  const test: LabeledText[] = [];
  for (const key of [...groups.keys()].sort()) {
    const members = rng.shuffle([...(groups.get(key) as LabeledText[])]);
    const nTest = Math.round(members.length * f);
    test.push(...members.slice(0, nTest));
    train.push(...members.slice(nTest));
  }
  const cappedTrain = cap(train, options.maxTrain, 'maxTrain');
  const cappedTest = cap(test, options.maxTest, 'maxTest');
  if (cappedTest.length === 0 || cappedTrain.length === 0) {
    throw new CarlError('INVALID_DATA', `holdout split of ${all.length} rows left ${cappedTrain.length} train and ${cappedTest.length} test rows`, { field: 'split.testFraction' });
  }
  return { folds: [{ train: cappedTrain, test: cappedTest }], protocol: { split: 'holdout', train: cappedTrain.length, test: cappedTest.length, available: all.length } };
}

function vaOf(row: LabeledText): [number, number] {
  const v = row.va;
  if (v === undefined) throw new CarlError('INVALID_DATA', `row "${row.id}" has no valence/arousal label`, { field: 'va' });
  return [v.valence, v.arousal];
}

function classOf(row: LabeledText): string {
  const labels = row.labels;
  if (labels === undefined || labels.length !== 1) {
    throw new CarlError('INVALID_DATA', `row "${row.id}" has ${labels?.length ?? 0} labels; classification tasks need exactly one`, { field: 'labels' });
  }
  return labels[0] as string;
}

function checkRows(spec: TaskSpec, rows: TaskRows): void {
  const all = [...rows.train, ...(rows.test ?? [])];
  if (all.length === 0) throw new CarlError('INVALID_DATA', `task "${spec.name}" loaded no rows`, { field: spec.name });
  for (const row of all) {
    if (typeof row.text !== 'string') throw new CarlError('INVALID_DATA', `row "${row.id}" has no text`, { field: 'text' });
    if (spec.kind === 'classification') classOf(row);
    else vaOf(row);
  }
}

function vaMetrics(truth: readonly (readonly number[])[], predicted: readonly (readonly number[])[]): VAMetrics {
  const axis = (c: number): AxisMetrics => {
    const t = truth.map((r) => r[c] as number);
    const p = predicted.map((r) => r[c] as number);
    return { pearson: pearson(t, p), spearman: spearman(t, p), rmse: rmse(t, p), mae: mae(t, p) };
  };
  return { valence: axis(0), arousal: axis(1) };
}

function averageVA(folds: readonly VAMetrics[]): { mean: VAMetrics; std: VAMetrics } {
  const stat = (axis: 'valence' | 'arousal', key: keyof AxisMetrics) => meanStd(folds.map((m) => m[axis][key]));
  const build = (pick: 'mean' | 'std'): VAMetrics => {
    const axis = (a: 'valence' | 'arousal'): AxisMetrics => ({
      pearson: stat(a, 'pearson')[pick],
      spearman: stat(a, 'spearman')[pick],
      rmse: stat(a, 'rmse')[pick],
      mae: stat(a, 'mae')[pick],
    });
    return { valence: axis('valence'), arousal: axis('arousal') };
  };
  return { mean: build('mean'), std: build('std') };
}

/**
 * Alignment over the pairs whose VA points lie closer than `threshold` (L2 on valence and arousal),
 * uniformity over all pairs. Both on L2-normalised embeddings; a zero vector has no direction, so its row
 * is left out and counted in `zeroVectors` (a bag-of-words model gives one for a sentence of unknown words).
 */
function alignUniform(allRows: readonly LabeledText[], allVectors: readonly Float32Array[], threshold: number): AlignUniformMetrics {
  const keep = allVectors.map((v) => v.some((x) => x !== 0));
  const rows = allRows.filter((_, i) => keep[i]);
  const vectors = allVectors.filter((_, i) => keep[i]);
  const a: Float32Array[] = [];
  const b: Float32Array[] = [];
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      if (vaDistance((rows[i] as LabeledText).va as NonNullable<LabeledText['va']>, (rows[j] as LabeledText).va as NonNullable<LabeledText['va']>) < threshold) {
        a.push(vectors[i] as Float32Array);
        b.push(vectors[j] as Float32Array);
      }
    }
  }
  if (a.length === 0) {
    throw new CarlError('INVALID_DATA', `no pair of the ${rows.length} rows lies closer than ${threshold} in VA; raise the threshold`, { field: 'threshold' });
  }
  return { alignment: alignment(a, b), uniformity: uniformity(vectors), positivePairs: a.length, threshold, zeroVectors: allRows.length - rows.length };
}

function validateSpec(spec: TaskSpec): TaskSpec {
  if (typeof spec !== 'object' || spec === null) throw new CarlError('INVALID_ARGUMENT', 'a task must be a name or a TaskSpec object', { field: 'task' });
  if (typeof spec.name !== 'string' || spec.name === '') throw new CarlError('INVALID_ARGUMENT', 'a task needs a name', { field: 'name' });
  if (!['va', 'classification', 'align-uniform'].includes(spec.kind)) {
    throw new CarlError('INVALID_ARGUMENT', `unknown kind "${String(spec.kind)}"; expected va, classification or align-uniform`, { field: `${spec.name}.kind` });
  }
  if (typeof spec.load !== 'function') throw new CarlError('INVALID_ARGUMENT', 'a task needs a load function', { field: `${spec.name}.load` });
  validateSplit(spec.split, `${spec.name}.split`);
  if (spec.threshold !== undefined && !(Number.isFinite(spec.threshold) && spec.threshold > 0)) {
    throw new CarlError('INVALID_ARGUMENT', `threshold must be a positive number, got ${spec.threshold}`, { field: `${spec.name}.threshold` });
  }
  return spec;
}

/** Checks a {@link SplitRule}; throws INVALID_CONFIG naming `field`. */
export function validateSplit(split: SplitRule, field: string, file?: string): void {
  const where = file === undefined ? { field } : { file, field };
  if (typeof split !== 'object' || split === null) throw new CarlError('INVALID_CONFIG', 'split must be an object with a "type"', where);
  if (split.type === 'official') return;
  if (split.type === 'kfold') {
    if (!Number.isInteger(split.k) || split.k < 2) throw new CarlError('INVALID_CONFIG', `k must be an integer ≥ 2, got ${String(split.k)}`, { ...where, field: `${field}.k` });
    return;
  }
  if (split.type === 'holdout') {
    if (!(typeof split.testFraction === 'number' && split.testFraction > 0 && split.testFraction < 1)) {
      throw new CarlError('INVALID_CONFIG', `testFraction must lie in (0, 1), got ${String(split.testFraction)}`, { ...where, field: `${field}.testFraction` });
    }
    return;
  }
  throw new CarlError('INVALID_CONFIG', `unknown split type "${String((split as { type?: unknown }).type)}"; expected official, kfold or holdout`, { ...where, field: `${field}.type` });
}
