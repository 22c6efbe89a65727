/**
 * `npm run bench:reproduce`: the benchmark behind CARL's claims, on one machine (issue 12's protocol).
 *
 * 0. Equal tuning: the sweep of `sweep.ts` (same budget of settings per trained method, EmoBank dev,
 *    seed 1); every method then trains with its own best setting, and the report says which. Before a larger
 *    preset's cells, their learning rate is tuned again on that preset (`runPresetSweep`, `sweep-<preset>.json`).
 * 1. Common starts: `--starts` (default 2) MLM pre-trainings per preset, each with its own seed, on the
 *    training text of EmoBank, GoEmotions, dair-ai and SST-5 with every sentence that occurs in an
 *    evaluation test split or k-fold pool removed (counts per corpus in the report). Seed s is paired with
 *    start ((s − 1) mod starts) + 1, so the spread over seeds includes pre-training.
 * 2. Methods from those starts on EmoBank train with one step budget: `none` (the start, embedded at the
 *    same maximum length as trained models), `tfidf` (TF-IDF of word 1–2-grams, no encoder), the trained
 *    baselines, `carl` and its ablations; `none`, `carl` and the best trained baseline also on the `mini` preset.
 * 3. The evaluation suite with frozen-embedding probes, then mean, sd, a 95 % bootstrap interval of each
 *    method's per-seed difference to the best baseline, paired t-tests with Holm's correction, figures.
 *
 * Every cell is cached under `--cache` (training and pre-training resume from checkpoints), so the run can
 * be stopped and continued; `--aggregate-only` rebuilds the report from what is cached.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type BackendName } from '@carl/core';
import { allRows, loadDataset } from '@carl/datasets';
import {
  bootstrapMean,
  evaluate,
  holm,
  meanStd,
  pairedTest,
  projectionSvgs,
  seriesStyles,
  taskPanelsSvg,
  tfidfFeaturizer,
  toMarkdown,
  trainingCurvePanelsSvg,
  aggregateReports,
  type CurveFamily,
  type EvaluationReport,
  type LineSeries,
  type SeriesStyle,
} from '@carl/eval-benchmarks';
import { trainCarl, type StepRecord, type TrainConfig } from '@carl/trainer';
import { checkStartSteps, commonStart, modelName, openModel, parseModelName, startDir, type DecontaminationCounts } from './repro-common';
import { learningRateEdge, runPresetSweep, runSweep, SETTINGS_PER_METHOD, tunedFrom, TUNED_METHODS, type SweepFile } from './sweep-grid';

const BASELINES = ['none', 'tfidf', 'mse-regression', 'simcse', 'supcon-binned'] as const;
const ABLATIONS = ['carl-no-ptd', 'carl-no-momentum', 'carl-discrete', 'carl-random-tokens'] as const;
const ALL_METHODS = [...BASELINES, 'carl', ...ABLATIONS] as const;
/** Methods that train nothing: `none` embeds with the start, `tfidf` has no encoder. */
const UNTRAINED = new Set<string>(['none', 'tfidf']);
/** Loss family of each trained method (one training-curve panel each: their losses are on different scales). */
const CARL_FAMILY = { title: 'CARL and ablations: MCCL + λ·PTD', yLabel: 'MCCL + λ·PTD loss' };
const CONTRASTIVE_KL_FAMILY = { title: "CARL and ablations: loss minus its targets' entropy", yLabel: 'KL(targets ‖ model)' };
const LOSS_FAMILY: Readonly<Record<string, { readonly title: string; readonly yLabel: string }>> = {
  'mse-regression': { title: 'mse-regression: MSE on valence/arousal', yLabel: 'MSE loss' },
  simcse: { title: 'simcse: InfoNCE', yLabel: 'InfoNCE loss' },
  'supcon-binned': { title: 'supcon-binned: SupCon on VA bins', yLabel: 'SupCon loss' },
  carl: CARL_FAMILY,
  'carl-no-ptd': CARL_FAMILY,
  'carl-no-momentum': CARL_FAMILY,
  'carl-discrete': CARL_FAMILY,
  'carl-random-tokens': CARL_FAMILY,
};

interface Cell {
  readonly method: string;
  readonly preset: string;
  readonly seed: number;
  readonly start: number;
  /** Trainer options set for this cell beyond the shared budget (its tuned setting). */
  readonly config: Partial<TrainConfig>;
  readonly report: EvaluationReport;
  readonly trainSeconds: number;
  readonly history: readonly StepRecord[];
}

function parse() {
  const { values } = parseArgs({
    options: {
      presets: { type: 'string', default: 'tiny,mini' },
      'mini-methods': { type: 'string', default: 'none,carl,best' },
      init: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      seeds: { type: 'string', default: '1,2,3,4,5' },
      starts: { type: 'string', default: '2' },
      methods: { type: 'string', default: ALL_METHODS.join(',') },
      tasks: { type: 'string' },
      steps: { type: 'string', default: '1000' },
      'batch-size': { type: 'string', default: '32' },
      'max-length': { type: 'string', default: '48' },
      'pretrain-steps': { type: 'string', default: '3000' },
      'mini-pretrain-steps': { type: 'string' },
      'vocab-size': { type: 'string', default: '8000' },
      'max-train': { type: 'string', default: '0' },
      'max-test': { type: 'string', default: '0' },
      'sweep-budget': { type: 'string', default: String(SETTINGS_PER_METHOD) },
      'sweep-steps': { type: 'string' },
      'no-sweep': { type: 'boolean', default: false },
      cache: { type: 'string', default: path.join(__dirname, '..', '.cache', 'reproduce-v2') },
      out: { type: 'string', default: path.join(__dirname, '..', 'results', 'reproduce') },
      'aggregate-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  return values;
}

const HELP = `npm run bench:reproduce -- [options]
  --presets tiny,mini   encoder shapes (default tiny,mini; mini runs only --mini-methods)
  --mini-methods a,b    methods on the second preset (default none,carl,best = its start alone, CARL and the
                        best trained tiny baseline)
  --init DIR            start from this Hugging Face checkpoint instead of the MLM starts (one start)
  --backend NAME        auto | wasm | cpu | tensorflow | tensorflow-gpu (default auto)
  --seeds 1,2,3,4,5     training and evaluation seeds (default 1–5)
  --starts N            MLM starts per preset; seed s uses start ((s−1) mod N) + 1 (default 2)
  --methods a,b         subset of: ${ALL_METHODS.join(', ')}
  --tasks a,b           evaluation tasks (default: the whole suite)
  --steps N             optimiser steps per method (default 1000)
  --pretrain-steps N    MLM steps of each tiny start (default 3000); --mini-pretrain-steps for mini (default the same)
  --max-train N / --max-test N   probe rows per task (default 0 = the whole splits)
  --sweep-budget N      settings per trained method in the equal-tuning sweep (default ${SETTINGS_PER_METHOD})
  --sweep-steps N       steps per sweep cell (default --steps)
  --no-sweep            use the tuned settings already in <out>/sweep.json (library defaults where absent)
  --cache DIR / --out DIR        cached runs / where the report goes
  --aggregate-only      rebuild the report from cached cells`;

const int = (v: string, name: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
};

async function main(): Promise<void> {
  const args = parse();
  if (args.help) {
    console.log(HELP);
    return;
  }
  const began = Date.now();
  const seeds = args.seeds.split(',').map(Number);
  const methods = args.methods.split(',').map((m) => m.trim());
  const unknown = methods.filter((m) => !(ALL_METHODS as readonly string[]).includes(m));
  if (unknown.length > 0) throw new Error(`unknown method(s) ${unknown.join(', ')}; known: ${ALL_METHODS.join(', ')}`);
  const presets = args.presets.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const steps = int(args.steps, 'steps');
  const batchSize = int(args['batch-size'], 'batch-size');
  const maxLength = int(args['max-length'], 'max-length');
  const starts = Math.max(1, int(args.starts, 'starts'));
  const pretrainSteps = int(args['pretrain-steps'], 'pretrain-steps');
  const pretrainOf = (preset: string): number => (preset === 'tiny' || args['mini-pretrain-steps'] === undefined ? pretrainSteps : int(args['mini-pretrain-steps'], 'mini-pretrain-steps'));
  const vocabSize = int(args['vocab-size'], 'vocab-size');
  const tasks = args.tasks?.split(',').map((t) => t.trim());
  const cacheDir = path.resolve(args.cache);
  const outDir = path.resolve(args.out);
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const backend = await initBackend(args.backend === 'auto' ? {} : { backend: args.backend as BackendName });
  log(`backend ${backend.backend}; cache ${cacheDir}`);
  const evalOptions = { tasks, maxTrain: int(args['max-train'], 'max-train'), maxTest: int(args['max-test'], 'max-test') };
  const sweepFile = path.join(outDir, 'sweep.json');

  // 0. Equal tuning.
  let sweep: SweepFile | undefined;
  if (!args['aggregate-only'] && !args['no-sweep'] && args.init === undefined) {
    sweep = await runSweep({
      methods: TUNED_METHODS.filter((m) => methods.some((x) => tunedFrom(x) === m)),
      budget: int(args['sweep-budget'], 'sweep-budget'),
      steps: args['sweep-steps'] === undefined ? steps : int(args['sweep-steps'], 'sweep-steps'),
      batchSize,
      maxLength,
      cacheDir,
      out: sweepFile,
      backend: backend.backend,
      start: { pretrainSteps, vocabSize },
      log,
    });
  } else if (fs.existsSync(sweepFile)) {
    sweep = JSON.parse(fs.readFileSync(sweepFile, 'utf8')) as SweepFile;
  } else if (!args['aggregate-only'] && methods.some((m) => tunedFrom(m) !== undefined)) {
    log(`no ${sweepFile}: trained methods use @carl/trainer's defaults, not tuned settings`);
  }
  // A larger preset's learning rates are tuned on that preset (`sweep-<preset>.json`), from tiny's settings.
  const presetSweeps: Record<string, SweepFile> = {};
  const tunedConfig = (method: string, preset: string): Partial<TrainConfig> => {
    const from = tunedFrom(method);
    return from === undefined ? {} : { ...settingSweep(from, preset === presets[0] ? undefined : preset, sweep, presetSweeps)?.best?.[from]?.config };
  };

  const startFor = async (preset: string, seed: number): Promise<{ dir: string; start: number }> => {
    const start = ((seed - 1) % starts) + 1;
    if (args.init !== undefined) return { dir: args.init, start: 1 };
    if (args['aggregate-only']) return { dir: startDir(cacheDir, preset, start), start };
    return { dir: await commonStart({ cacheDir, preset, start, pretrainSteps: pretrainOf(preset), vocabSize, maxLength, log }), start };
  };

  const cells: Cell[] = [];
  const runCell = async (method: string, preset: string, seed: number): Promise<void> => {
    const name = modelName(method, preset, 'tiny');
    const cellDir = path.join(cacheDir, 'runs', `${method}${preset === 'tiny' ? '' : `@${preset}`}-seed${seed}`);
    const resultFile = path.join(cellDir, 'cell.json');
    if (fs.existsSync(resultFile)) {
      const cached = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Cell;
      // A cached cell came from this cache's start: one pre-trained for other steps makes it another cell.
      if (method !== 'tfidf' && args.init === undefined) checkStartSteps(startDir(cacheDir, preset, cached.start), pretrainOf(preset));
      // A cell trained with other settings (say, library defaults by a process run with --no-sweep and no
      // sweep.json) must not enter a table of tuned methods unnoticed.
      const wanted = tunedConfig(method, preset);
      if (sweep !== undefined && JSON.stringify(sortedKeys(cached.config)) !== JSON.stringify(sortedKeys(wanted))) {
        throw new Error(`${resultFile} was trained with ${JSON.stringify(cached.config)}, but the tuned setting is ${JSON.stringify(wanted)}: delete ${cellDir} to train it again`);
      }
      cells.push(cached);
      return;
    }
    if (args['aggregate-only']) return;
    const { dir: start, start: startIndex } = method === 'tfidf' ? { dir: '', start: 0 } : await startFor(preset, seed);
    log(`— ${name}, seed ${seed}${method === 'tfidf' ? '' : `, start ${startIndex}`}`);
    const t0 = Date.now();
    const config = tunedConfig(method, preset);
    let history: readonly StepRecord[] = [];
    let trainSeconds = 0;
    let report: EvaluationReport;
    const common = {
      model: name,
      backend: backend.backend,
      seed,
      ...(evalOptions.maxTrain > 0 ? { maxTrain: evalOptions.maxTrain } : {}),
      ...(evalOptions.maxTest > 0 ? { maxTest: evalOptions.maxTest } : {}),
      ...(evalOptions.tasks === undefined ? {} : { tasks: evalOptions.tasks }),
      onProgress: (m: string) => {
        if (!m.startsWith('embedded')) log(`  ${m}`);
      },
    };
    if (method === 'tfidf') {
      report = await evaluate({ ...common, featurizer: tfidfFeaturizer() });
    } else {
      let modelDir = start;
      if (!UNTRAINED.has(method)) {
        const out = path.join(cellDir, 'train');
        const result = await trainCarl(
          { ...config, method: method as TrainConfig['method'], init: start, seed, steps, batchSize, maxLength, data: ['emobank'], checkpointEvery: 250, logEvery: 100 },
          { out, resume: fs.existsSync(out), onStep: (r) => { if (r.step % 250 === 0) log(`  step ${r.step}/${steps} loss ${r.loss.toFixed(4)}`); } },
        );
        if (result.modelDir === undefined) throw new Error(`${name} seed ${seed} did not complete`);
        modelDir = result.modelDir;
        history = result.history;
        trainSeconds = result.seconds;
      }
      const model = await openModel(modelDir, maxLength);
      try {
        report = await evaluate({ ...common, embed: (texts) => model.embed(texts) });
      } finally {
        model.dispose();
      }
    }
    const cell: Cell = { method: name, preset, seed, start: startIndex, config, report, trainSeconds, history };
    fs.mkdirSync(cellDir, { recursive: true });
    fs.writeFileSync(resultFile, JSON.stringify(cell));
    cells.push(cell);
    log(`  done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  };

  const [first, ...others] = presets;
  for (const seed of seeds) for (const method of methods) await runCell(method, first ?? 'tiny', seed);
  // `best` on a larger preset is the best *trained* baseline: tfidf has no encoder and `none` trains nothing.
  const best = pickBestBaseline(cells, { trainedOnly: true });
  for (const preset of others) {
    const wanted = [...new Set(args['mini-methods'].split(',').map((m) => (m.trim() === 'best' ? best : m.trim())).filter((m): m is string => m !== undefined && m !== 'tfidf'))];
    const presetSweepFile = path.join(outDir, `sweep-${preset}.json`);
    const toTune = [...new Set(wanted.map(tunedFrom).filter((m): m is string => m !== undefined))];
    if (!args['aggregate-only'] && sweep !== undefined && args.init === undefined && toTune.length > 0) {
      presetSweeps[preset] = await runPresetSweep({ preset, methods: toTune, tuned: sweep.best, steps, batchSize, maxLength, cacheDir, out: presetSweepFile, backend: backend.backend, start: { pretrainSteps: pretrainOf(preset), vocabSize }, log });
    } else if (fs.existsSync(presetSweepFile)) {
      presetSweeps[preset] = JSON.parse(fs.readFileSync(presetSweepFile, 'utf8')) as SweepFile;
    }
    for (const seed of seeds) for (const method of wanted) await runCell(method, preset, seed);
  }
  await writeReport(cells, { outDir, cacheDir, backend: backend.backend, seeds, starts, steps, batchSize, maxLength, evalOptions, began, sweep, presetSweeps, presets, pretrainOf, init: args.init });
}

interface ReportContext {
  readonly outDir: string;
  readonly cacheDir: string;
  readonly backend: string;
  readonly seeds: readonly number[];
  readonly starts: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly evalOptions: { tasks?: string[]; maxTrain: number; maxTest: number };
  readonly began: number;
  readonly sweep: SweepFile | undefined;
  /** Learning-rate tuning of the larger presets' methods, by preset. */
  readonly presetSweeps: Readonly<Record<string, SweepFile>>;
  readonly presets: readonly string[];
  readonly pretrainOf: (preset: string) => number;
  readonly init: string | undefined;
}

/** One row of the comparison with the best baseline: per-seed differences on one metric. */
interface Comparison {
  readonly method: string;
  /** The model it is compared with (the baseline of its own preset where the table pairs presets). */
  readonly baseline: string;
  readonly task: string;
  readonly metric: string;
  readonly label: string;
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  readonly interval: readonly [number, number];
  readonly p: number;
  readonly pHolm: number;
}

/**
 * Per-seed differences of every other model to `baseline` on every metric. A model of a larger preset is
 * compared with the baseline of its own preset (`carl (mini)` with `mse-regression (mini)`), or with `tfidf`,
 * which has no encoder; it is left out when its preset lacks the baseline. Holm-adjusted over the rows returned.
 */
function compareToBaseline(reports: readonly EvaluationReport[], baseline: string): Comparison[] {
  const agg = aggregateReports([...reports], 'headline');
  const rows: Omit<Comparison, 'pHolm'>[] = [];
  for (const row of agg.rows.filter((r) => r.model !== baseline)) {
    const { preset } = parseModelName(row.model);
    const against = preset === undefined || baseline === 'tfidf' ? baseline : modelName(baseline, preset, 'tiny');
    const base = agg.rows.find((r) => r.model === against);
    if (base === undefined || base === row) continue;
    for (const col of agg.columns) {
      const key = `${col.task}/${col.metric}`;
      const a = row.cells[key];
      const b = base.cells[key];
      if (a === undefined || b === undefined) continue;
      // Pair by seed; a lower-is-better metric is flipped so a positive difference always means "better".
      const sign = col.higherIsBetter ? 1 : -1;
      const diffs: number[] = [];
      a.seeds.forEach((seed, i) => {
        const j = b.seeds.indexOf(seed);
        const x = a.values[i] as number;
        const y = j < 0 ? Number.NaN : (b.values[j] as number);
        if (Number.isFinite(x) && Number.isFinite(y)) diffs.push(sign * (x - y));
      });
      if (diffs.length === 0) continue;
      const ms = meanStd(diffs);
      const interval = bootstrapMean(diffs, { seed: 1 }).interval;
      const p = diffs.length >= 2 && ms.std > 0 ? pairedTest(diffs, diffs.map(() => 0)).p : Number.NaN;
      rows.push({ method: row.model, baseline: against, task: col.task, metric: col.metric, label: col.label, n: diffs.length, mean: ms.mean, sd: ms.std, interval, p });
    }
  }
  const adjusted = holm(rows.map((r) => r.p));
  return rows.map((r, i) => ({ ...r, pHolm: adjusted[i] as number }));
}

/** Two-sided 5 % critical values of Student's t for 1–9 degrees of freedom. */
const T_CRITICAL = [Number.NaN, 12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26];

const STATS_NOTE = (n: number, families: readonly number[]): string => `**What ${n} seed${n === 1 ? '' : 's'} can and cannot support.** Each seed pairs one MLM start with one training run and one set of probe splits, so a per-seed difference carries pre-training, training and split noise together. With n = ${n}:
- A paired t-test has ${Math.max(0, n - 1)} degrees of freedom (two-sided 5 % needs |t| > ${n >= 2 && n <= 10 ? (T_CRITICAL[n - 1] as number).toFixed(2) : 'the t quantile for that df'}) and leans on normality that ${n} values cannot check. The sign-flip permutation test cannot go below p = ${(2 / 2 ** n).toFixed(4)}.
- The bootstrap interval over seeds is a percentile interval of ${n} values: it can never be wider than their range, so it is too narrow on average (it undercovers at this n); read it as a description of the spread, not as a guarantee.
- Holm's correction over the comparisons of each table (${families.join(' and ')}) controls the chance of any false "better/worse" claim in that table; with n = ${n} only large, consistent differences survive it. Uncorrected, p < 0.05 would turn up about ${families.map((f) => (0.05 * f).toFixed(1)).join(' and ')} times by chance alone.
- So: a difference whose Holm-adjusted p is small **and** whose interval excludes 0 is a finding on this machine's budget; anything else is "no detectable difference at this n", never evidence of equality. Claims about other model sizes, longer training or other data need their own runs.`;

async function writeReport(cells: readonly Cell[], ctx: ReportContext): Promise<void> {
  if (cells.length === 0) {
    log('no finished cells yet: nothing to report');
    return;
  }
  const reports = cells.map((c) => c.report);
  const present = [...new Set(cells.map((c) => c.method))];
  const styles = seriesStyles([...ALL_METHODS, ...ALL_METHODS.map((m) => `${m} (mini)`)].filter((m) => present.includes(m)).concat(present.filter((m) => !(ALL_METHODS as readonly string[]).includes(m) && !m.endsWith('(mini)'))));
  const bestBaseline = pickBestBaseline(cells);
  const comparisons = bestBaseline === undefined ? [] : compareToBaseline(reports, bestBaseline);
  // When the best baseline trains no encoder (tfidf), the question "does CARL's objective beat the others at the
  // same budget?" needs its own table: against the best trained baseline, preset by preset.
  const bestTrained = pickBestBaseline(cells, { trainedOnly: true });
  const trainedComparisons = bestTrained === undefined || bestTrained === bestBaseline ? [] : compareToBaseline(reports, bestTrained);
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
  const versions = Object.fromEntries(['@carl/trainer', '@carl/encoder', '@tensorflow/tfjs-core'].map((p) => [p, require(`${p}/package.json`).version as string]));
  const startsUsed = [...new Set(cells.filter((c) => c.start > 0).map((c) => `${c.preset}:${c.start}`))].sort();
  const decontamination: Record<string, Record<string, DecontaminationCounts>> = {};
  const mlm: Record<string, { steps: number; first: number; last100: number; curve: { step: number; loss: number }[] }> = {};
  for (const key of startsUsed) {
    const [preset, start] = key.split(':') as [string, string];
    const dir = ctx.init ?? startDir(ctx.cacheDir, preset, Number(start));
    const counts = path.join(dir, 'decontamination.json');
    if (fs.existsSync(counts)) decontamination[key] = JSON.parse(fs.readFileSync(counts, 'utf8')) as Record<string, DecontaminationCounts>;
    const lossFile = path.join(dir, 'mlm-losses.json');
    if (fs.existsSync(lossFile)) {
      const losses = JSON.parse(fs.readFileSync(lossFile, 'utf8')) as number[];
      const every = Math.max(1, Math.floor(losses.length / 300));
      const tail = losses.slice(-100);
      mlm[key] = { steps: losses.length, first: losses[0] ?? Number.NaN, last100: tail.reduce((s, v) => s + v, 0) / Math.max(1, tail.length), curve: losses.flatMap((loss, i) => (i % every === 0 || i === losses.length - 1 ? [{ step: i + 1, loss }] : [])) };
    }
  }
  const probeSeconds = (c: Cell): Record<string, number> => Object.fromEntries(c.report.tasks.map((t) => [t.task, ('probe' in t ? (t.probe as { seconds?: number }).seconds : undefined) ?? Number.NaN]));
  const probeTimings = Object.fromEntries(present.map((m) => {
    const mine = cells.filter((c) => c.method === m);
    const tasks = [...new Set(mine.flatMap((c) => c.report.tasks.map((t) => t.task)))];
    return [m, Object.fromEntries(tasks.map((t) => [t, meanStd(mine.map((c) => probeSeconds(c)[t] ?? Number.NaN)).mean]).filter(([, v]) => Number.isFinite(v as number)))];
  }));
  const tuning = Object.fromEntries(present.map((m) => {
    const { method: base, preset } = parseModelName(m);
    const from = tunedFrom(base);
    // A larger preset's own learning-rate sweep when it ran, else tiny's setting (as the run trained it).
    const sweepOf = from === undefined ? ctx.sweep : settingSweep(from, preset, ctx.sweep, ctx.presetSweeps);
    const tunedOn = sweepOf === ctx.sweep ? (ctx.presets[0] ?? 'tiny') : (preset as string);
    const chosen = from === undefined ? undefined : sweepOf?.best?.[from];
    if (from === undefined) return [m, 'nothing to train (probe penalties by cross-validation on training rows)'];
    if (chosen === undefined) return [m, 'library defaults (no sweep result)'];
    const tried = (sweepOf?.cells ?? []).filter((c) => c.method === from).map((c) => c.config.learningRate).filter((r): r is number => r !== undefined);
    return [m, { tunedAs: from, tunedOn, setting: chosen.setting, devScore: chosen.devScore, config: chosen.config, learningRateEdge: learningRateEdge(chosen.config.learningRate, tried) ?? null }];
  }));
  const summary = {
    date: new Date().toISOString(),
    machine,
    backend: ctx.backend,
    versions,
    protocol: {
      seeds: ctx.seeds,
      starts: `${ctx.starts} MLM start(s) per preset; seed s uses start ((s − 1) mod ${ctx.starts}) + 1`,
      presets: ctx.presets,
      pretrainSteps: Object.fromEntries(ctx.presets.map((p) => [p, ctx.pretrainOf(p)])),
      steps: ctx.steps,
      batchSize: ctx.batchSize,
      maxLength: `${ctx.maxLength} tokens for training and for embedding every model, \`none\` included`,
      trainingData: 'emobank (train split)',
      evaluation: { ...ctx.evalOptions, caps: ctx.evalOptions.maxTrain === 0 && ctx.evalOptions.maxTest === 0 ? 'none (whole splits)' : 'seeded subsets' },
    },
    tuning: { sweep: 'sweep.json', presetSweeps: Object.keys(ctx.presetSweeps).map((p) => `sweep-${p}.json`), perMethod: tuning },
    decontamination,
    mlm,
    wallSecondsThisInvocation: (Date.now() - ctx.began) / 1000,
    trainSeconds: Object.fromEntries(present.map((m) => [m, meanStd(cells.filter((c) => c.method === m).map((c) => c.trainSeconds))])),
    probeSecondsPerTask: probeTimings,
    cells: cells.map((c) => ({ method: c.method, preset: c.preset, seed: c.seed, start: c.start, config: c.config, trainSeconds: c.trainSeconds, finalLoss: c.history.at(-1)?.loss ?? null, probeSeconds: probeSeconds(c), tasks: c.report.tasks })),
    bestBaseline,
    comparisons,
    bestTrainedBaseline: bestTrained ?? null,
    trainedComparisons,
  };
  fs.writeFileSync(path.join(ctx.outDir, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);

  const fmt = (x: number | undefined, d = 3): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
  const lines = [
    '# CARL reproduction benchmark',
    '',
    `${summary.date} · ${machine.cpu} (${machine.cores} cores) · backend ${ctx.backend} · Node ${machine.node}`,
    '',
    `Protocol: seeds ${ctx.seeds.join(', ')}, ${summary.protocol.starts}; presets ${ctx.presets.join(', ')}; ${ctx.steps} steps × batch ${ctx.batchSize} per method on EmoBank train; every model embedded at ${ctx.maxLength} tokens; probes on ${summary.protocol.evaluation.caps === 'none (whole splits)' ? 'the whole splits' : `≤ ${ctx.evalOptions.maxTrain} train / ≤ ${ctx.evalOptions.maxTest} test rows`} of each task. Cells: mean ± sd over seeds.`,
    '',
    toMarkdown(reports),
    '',
    '## Tuning',
    '',
    `Every trained method was tuned with the same protocol (\`sweep.json\`: ${ctx.sweep?.budget?.['settingsPerMethod'] ?? '—'} settings per method on EmoBank dev, seed 1, first tiny start${ctx.sweep?.budget?.['edgeSteps'] === undefined ? '' : `, plus up to ${String(ctx.sweep.budget['edgeSteps'])} learning-rate steps past a grid edge its best setting sat on`}) and trained here with its own best setting; \`@carl/trainer\`'s defaults are unchanged.${Object.keys(ctx.presetSweeps).length === 0 ? '' : ` On ${Object.keys(ctx.presetSweeps).join(', ')}, each method's learning rate was tuned again on that preset's first start by one rule for all (${Object.keys(ctx.presetSweeps).map((p) => `\`sweep-${p}.json\``).join(', ')}: tiny's rate and the next lower rung, other knobs kept, plus the same edge steps): a rate tuned on tiny need not suit a larger encoder.`}`,
    '',
    ...present.map((m) => {
      const t = tuning[m];
      const { method, preset } = parseModelName(m);
      const notes = typeof t === 'string' ? [] : [
        ...(t?.tunedAs !== method ? [`${t?.tunedAs}'s setting`] : []),
        ...(preset !== undefined && t !== undefined ? [t.tunedOn === preset ? `learning rate tuned on ${t.tunedOn}` : `${t.tunedOn}'s setting, not tuned on this preset`] : []),
        ...(t?.learningRateEdge ? [`still the ${t.learningRateEdge} learning rate it tried after the sweep's steps past its grid: the optimum may lie beyond it`] : []),
      ];
      return `- \`${m}\`: ${typeof t === 'string' ? t : `${t?.setting ?? ''} (dev score ${fmt(t?.devScore)}${notes.map((x) => `, ${x}`).join('')})`}`;
    }),
    '',
    '## Decontamination',
    '',
    'Before each MLM start was built, every sentence of its text that occurs (lowercased, punctuation and whitespace folded) in an evaluation test split or k-fold pool was removed.',
    '',
    '| start | corpus | texts | sentences | removed | texts dropped |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(decontamination).flatMap(([start, byCorpus]) => Object.entries(byCorpus).map(([corpus, c]) => `| ${start} | ${corpus} | ${c.texts} | ${c.sentences} | ${c.sentencesRemoved} | ${c.textsDropped} |`)),
    '',
    `MLM starts: ${Object.entries(mlm).map(([k, v]) => `${k} ${v.steps} steps, loss ${fmt(v.first)} → ${fmt(v.last100)} (mean of the last 100)`).join('; ') || '—'}.`,
    '',
  ];
  const tables = [
    { title: `Each method against the best baseline (${bestBaseline ?? '—'}, by mean headline score over tasks)`, rows: comparisons },
    { title: `Each method against the best trained baseline (${bestTrained ?? '—'}), preset by preset`, rows: trainedComparisons },
  ].filter((t) => t.rows.length > 0);
  for (const table of tables) {
    lines.push(
      `## ${table.title}`,
      '',
      'Per-seed differences (method − baseline; for ↓ metrics baseline − method, so positive is always better), paired by seed.',
      '',
      '| method | baseline | task | metric | n | mean diff | sd | 95 % bootstrap interval | p (paired t) | p (Holm) |',
      '| --- | --- | --- | --- | ---: | ---: | ---: | --- | ---: | ---: |',
      ...table.rows.map((c) => `| ${c.method} | ${c.baseline} | ${c.task} | ${c.label} | ${c.n} | ${fmt(c.mean)} | ${fmt(c.sd)} | [${fmt(c.interval[0])}, ${fmt(c.interval[1])}] | ${fmt(c.p)} | ${fmt(c.pHolm)} |`),
      '',
    );
  }
  if (tables.length > 0) lines.push(STATS_NOTE(ctx.seeds.length, tables.map((t) => t.rows.filter((c) => Number.isFinite(c.p)).length)), '');
  lines.push(...figureNotes(cells, ctx), '');
  lines.push('## Probe time (seconds per task, all folds and the penalty search, mean over seeds)', '', '| method | ' + [...new Set(Object.values(probeTimings).flatMap((t) => Object.keys(t)))].join(' | ') + ' |');
  const taskNames = [...new Set(Object.values(probeTimings).flatMap((t) => Object.keys(t)))];
  lines.push(`| --- | ${taskNames.map(() => '---:').join(' | ')} |`, ...present.map((m) => `| ${m} | ${taskNames.map((t) => fmt((probeTimings[m] as Record<string, number>)[t], 1)).join(' | ')} |`), '');
  fs.writeFileSync(path.join(ctx.outDir, 'results.md'), `${lines.join('\n')}\n`);

  // The seeds actually present per method (an aggregate of a run still in progress has fewer than asked for).
  const seedCounts = present.map((m) => new Set(cells.filter((c) => c.method === m).map((c) => c.seed)).size);
  const [fewest, most] = [Math.min(...seedCounts), Math.max(...seedCounts)];
  const seedsShown = fewest === most ? `${most} seed${most === 1 ? '' : 's'}` : `${fewest}–${most} seeds`;
  fs.writeFileSync(path.join(ctx.outDir, 'tasks.svg'), taskPanelsSvg(reports, { styles, title: `Frozen-embedding probes: mean ± sd over ${seedsShown}, each panel on its own scale` }));
  writeCurves(cells, ctx, styles, mlm);
  await writeProjections(ctx, cells, bestTrained);
  log(`report written to ${ctx.outDir}`);
}

function writeCurves(cells: readonly Cell[], ctx: ReportContext, styles: ReadonlyMap<string, SeriesStyle>, mlm: Record<string, { curve: { step: number; loss: number }[] }>): void {
  const seed = ctx.seeds[0];
  const families = new Map<string, { yLabel: string; series: LineSeries[] }>();
  for (const c of cells.filter((x) => x.seed === seed && x.history.length > 0)) {
    const family = LOSS_FAMILY[parseModelName(c.method).method] ?? { title: c.method, yLabel: 'loss' };
    const { x: xs, y: ys } = meanEvery10(c.history, (h) => h.loss);
    const style = styles.get(c.method);
    const entry = families.get(family.title) ?? { yLabel: family.yLabel, series: [] };
    entry.series.push({ name: c.method, x: xs, y: ys, ...(style === undefined ? {} : { style }) });
    families.set(family.title, entry);
    // A queue-backed contrastive loss climbs while the queue fills (more candidates, higher target
    // entropy); its KL to the targets does not, so it gets a panel of its own beside the loss.
    const kl = meanEvery10(c.history, (h) => h.mcclKL ?? h.supconKL);
    if (kl.x.length > 0 && family === CARL_FAMILY) {
      const klEntry = families.get(CONTRASTIVE_KL_FAMILY.title) ?? { yLabel: CONTRASTIVE_KL_FAMILY.yLabel, series: [] };
      klEntry.series.push({ name: c.method, ...kl, ...(style === undefined ? {} : { style }) });
      families.set(CONTRASTIVE_KL_FAMILY.title, klEntry);
    }
  }
  const panels: CurveFamily[] = [...families.entries()].map(([title, f]) => ({ title: `${title} (seed ${seed})`, yLabel: `${f.yLabel}, mean of 10 steps`, series: f.series }));
  // Starts are not methods: dark grey, told apart by marker, so they never borrow a method's colour.
  const startMarkers = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross', 'star'] as const;
  const mlmSeries = Object.entries(mlm).map(([key, v], i) => ({ name: `start ${key}`, x: v.curve.map((p) => p.step), y: v.curve.map((p) => p.loss), style: { color: i % 2 === 0 ? '#444444' : '#9a9a9a', marker: startMarkers[i % startMarkers.length] ?? 'circle' } }));
  if (mlmSeries.length > 0) panels.push({ title: 'MLM pre-training of the common starts', yLabel: 'masked-LM cross-entropy', series: mlmSeries });
  if (panels.length > 0) fs.writeFileSync(path.join(ctx.outDir, 'training-curves.svg'), trainingCurvePanelsSvg(panels, { title: 'Training losses, one panel per loss family' }));
}

/**
 * The sweep whose setting `method` trains with on `preset` (undefined: the first preset): that preset's own
 * learning-rate sweep when it has the method, else the first preset's sweep.
 */
function settingSweep(method: string, preset: string | undefined, sweep: SweepFile | undefined, presetSweeps: Readonly<Record<string, SweepFile>>): SweepFile | undefined {
  const own = preset === undefined ? undefined : presetSweeps[preset];
  return own?.best?.[method] !== undefined ? own : sweep;
}

/** What each figure shows, with the numbers a reader needs to read the CARL loss panel (when the queue filled). */
function figureNotes(cells: readonly Cell[], ctx: ReportContext): string[] {
  const carl = cells.find((c) => c.method === 'carl' && c.seed === ctx.seeds[0]);
  const sizes = (carl?.history ?? []).map((h) => h.queueSize ?? 0);
  const capacity = Math.max(0, ...sizes);
  const full = carl?.history.find((h) => (h.queueSize ?? 0) >= capacity)?.step;
  const queueNote =
    capacity > 0 && full !== undefined
      ? ` CARL's loss rises over its first ${full} steps: MCCL is a cross-entropy against soft targets spread over the batch and the queue, so its floor, the targets' entropy (at most ln of the number of candidates), grows while the queue fills to its ${capacity} keys (full at step ${full}). The panel beside it shows what training can reduce, the loss minus that entropy (the KL the trainer logs as \`mcclKL\`, \`supconKL\` for \`carl-discrete\`, whose SupCon on VA bins takes MCCL's place); \`carl-no-momentum\` has no queue.`
      : '';
  return [
    '## Figures',
    '',
    '- `tasks.svg`: one panel per task and headline metric, each on its own scale (the differences that matter are a few points); marker = mean over seeds, bar = ± sd. Every method keeps its colour and marker in every figure.',
    `- \`training-curves.svg\`: the training loss of seed ${ctx.seeds[0] ?? 1}, mean of every 10 steps, one panel per loss family (their scales are not comparable), plus the MLM pre-training of each common start.${queueNote}`,
    '- `projection-<method>-valence.svg` / `-arousal.svg`: the first two principal components of EmoBank test embeddings (600 texts) of the first seed\'s models, coloured by gold valence or arousal on a scale fitted to the labels\' spread.',
  ];
}

/** One point per 10 steps (keeps the file small): the step of each chunk's last record and the mean of `value` over the chunk's records that have it. */
function meanEvery10(history: readonly StepRecord[], value: (h: StepRecord) => number | undefined): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < history.length; i += 10) {
    const chunk = history.slice(i, i + 10);
    const values = chunk.map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (values.length === 0) continue;
    x.push((chunk.at(-1) as StepRecord).step);
    y.push(values.reduce((s, v) => s + v, 0) / values.length);
  }
  return { x, y };
}

/** The baseline with the highest mean headline score (VA Pearson and class accuracy, averaged over tasks). */
/**
 * The baseline with the highest mean headline score over every task and seed it has; `trainedOnly` skips
 * those that train no encoder (`none`, `tfidf`). Cells of the first preset only (a larger preset's cells are
 * named `method (preset)`): a larger preset runs only some methods.
 */
function sortedKeys(o: Readonly<Record<string, unknown>>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}

function pickBestBaseline(cells: readonly Cell[], options: { trainedOnly?: boolean } = {}): string | undefined {
  let best: { name: string; score: number } | undefined;
  const candidates = BASELINES.filter((b) => !(options.trainedOnly === true && UNTRAINED.has(b)));
  for (const baseline of candidates) {
    const mine = cells.filter((c) => c.method === baseline);
    if (mine.length === 0) continue;
    const scores = mine.flatMap((c) => c.report.tasks.map(headline)).filter(Number.isFinite);
    const score = scores.reduce((s, v) => s + v, 0) / Math.max(1, scores.length);
    if (best === undefined || score > best.score) best = { name: baseline, score };
  }
  return best?.name;
}

function headline(task: EvaluationReport['tasks'][number]): number {
  const m = task.metrics as unknown as Record<string, unknown>;
  const axis = (name: string): number => ((m[name] as { pearson?: number } | undefined)?.pearson ?? Number.NaN);
  if ('valence' in m) return (axis('valence') + axis('arousal')) / 2;
  if ('accuracy' in m) return m['accuracy'] as number;
  return Number.NaN;
}

/** PCA pictures of EmoBank test embeddings coloured by valence and arousal, for the first seed's models. */
async function writeProjections(ctx: ReportContext, cells: readonly Cell[], bestTrained: string | undefined): Promise<void> {
  const emobank = await loadDataset('emobank');
  const test = (emobank.splits.test ?? allRows(emobank)).filter((r) => r.va !== undefined).slice(0, 600);
  const seed = ctx.seeds[0] as number;
  const wanted = new Set(['carl', 'none', 'mse-regression', ...(bestTrained === undefined ? [] : [bestTrained])]);
  for (const cell of cells.filter((c) => c.seed === seed && wanted.has(c.method))) {
    const dir = cell.method === 'none' ? (ctx.init ?? startDir(ctx.cacheDir, cell.preset, cell.start)) : path.join(ctx.cacheDir, 'runs', `${cell.method}-seed${seed}`, 'train', 'model');
    if (!fs.existsSync(dir)) continue;
    const model = await openModel(dir, ctx.maxLength);
    const embeddings = model.embed(test.map((r) => r.text));
    model.dispose();
    const svgs = projectionSvgs(embeddings, test.map((r) => r.va!), { title: `${cell.method}, EmoBank test (PCA)` });
    fs.writeFileSync(path.join(ctx.outDir, `projection-${cell.method}-valence.svg`), svgs.valence);
    fs.writeFileSync(path.join(ctx.outDir, `projection-${cell.method}-arousal.svg`), svgs.arousal);
  }
}

function log(message: string): void {
  process.stderr.write(`[reproduce ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exit(1);
});
