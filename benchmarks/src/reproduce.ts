/**
 * `npm run bench:reproduce`: the benchmark behind CARL's claims, on one machine.
 *
 * 1. One common start: a `tiny` encoder (or `--preset`/`--init` for a real checkpoint) with a WordPiece
 *    vocabulary and a short MLM pre-training on the local corpora's training text (never a test split,
 *    and never the k-fold corpora that are evaluated: fb, mr, cr).
 * 2. Every method of the trainer — `none` (the common start, no further training), `mse-regression`,
 *    `simcse`, `supcon-binned`, `carl` and its ablations — trained from that start on the same data
 *    (EmoBank train) and the same step budget, for each seed.
 * 3. The evaluation suite on every model with frozen-embedding probes; per cell mean ± std over seeds,
 *    and a paired test of CARL against the best baseline.
 *
 * Each (method, seed) is cached under `--cache` (training resumes from its checkpoints), so the run can
 * be stopped and continued in parts; `--aggregate-only` rebuilds the report from what is cached.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type BackendName, type LabeledText } from '@carl/core';
import { allRows, loadDataset, type DatasetName } from '@carl/datasets';
import { createEncoder, loadPretrained, pretrainMLM, savePretrained, trainWordPiece, type PresetName } from '@carl/encoder';
import {
  compareModels,
  evaluate,
  meanStd,
  projectionSvgs,
  taskBarChartSvg,
  toMarkdown,
  trainingCurvesSvg,
  type EvaluationReport,
} from '@carl/eval-benchmarks';
import { loadCarlModel, trainCarl, type StepRecord, type TrainConfig } from '@carl/trainer';

const BASELINES = ['none', 'mse-regression', 'simcse', 'supcon-binned'] as const;
const ABLATIONS = ['carl-no-ptd', 'carl-no-momentum', 'carl-discrete', 'carl-random-tokens'] as const;
const ALL_METHODS = [...BASELINES, 'carl', ...ABLATIONS] as const;
/** Corpora whose training text the MLM pre-training may read (k-fold evaluation corpora are excluded). */
const PRETRAIN_CORPORA: readonly DatasetName[] = ['emobank', 'goemotions', 'dair-ai-emotion', 'sst5'];

interface Cell {
  readonly method: string;
  readonly seed: number;
  /** Trainer options set for this cell beyond the shared budget (from --config). */
  readonly config: Partial<TrainConfig>;
  readonly report: EvaluationReport;
  readonly trainSeconds: number;
  readonly history: readonly StepRecord[];
}

function parse() {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'tiny' },
      init: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      seeds: { type: 'string', default: '1,2,3' },
      methods: { type: 'string', default: ALL_METHODS.join(',') },
      tasks: { type: 'string' },
      steps: { type: 'string', default: '1000' },
      'batch-size': { type: 'string', default: '32' },
      'max-length': { type: 'string', default: '48' },
      'pretrain-steps': { type: 'string', default: '3000' },
      'vocab-size': { type: 'string', default: '8000' },
      'max-train': { type: 'string', default: '2000' },
      'max-test': { type: 'string', default: '1000' },
      config: { type: 'string' },
      cache: { type: 'string', default: path.join(__dirname, '..', '.cache', 'reproduce') },
      out: { type: 'string', default: path.join(__dirname, '..', 'results', 'reproduce') },
      'aggregate-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  return values;
}

const HELP = `npm run bench:reproduce -- [options]
  --preset tiny|mini|bert-base|roberta-base   encoder shape of the common start (default tiny)
  --init DIR          start from this Hugging Face checkpoint instead of the MLM-pretrained tiny encoder
  --backend NAME      auto | wasm | cpu | tensorflow | tensorflow-gpu (default auto)
  --seeds 1,2,3       training and evaluation seeds (default 1,2,3)
  --methods a,b       subset of: ${ALL_METHODS.join(', ')}
  --tasks a,b         evaluation tasks (default: the whole suite)
  --steps N           optimiser steps per method (default 1000)
  --pretrain-steps N  MLM steps of the common start (default 3000; ignored with --init)
  --max-train N / --max-test N   probe rows per task (default 2000 / 1000)
  --config FILE       JSON of extra trainer options applied to every method (e.g. a sweep point)
  --cache DIR / --out DIR        cached runs / where the report goes
  --aggregate-only    rebuild the report from cached cells`;

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
  const int = (v: string, name: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  const steps = int(args.steps, 'steps');
  const batchSize = int(args['batch-size'], 'batch-size');
  const maxLength = int(args['max-length'], 'max-length');
  const extra: Partial<TrainConfig> = args.config === undefined ? {} : JSON.parse(fs.readFileSync(args.config, 'utf8'));
  const tasks = args.tasks?.split(',').map((t) => t.trim());
  const cacheDir = path.resolve(args.cache);
  const outDir = path.resolve(args.out);
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.mkdirSync(outDir, { recursive: true });
  const backend = await initBackend(args.backend === 'auto' ? {} : { backend: args.backend as BackendName });
  log(`backend ${backend.backend}; cache ${cacheDir}`);

  const startDir = args.init ?? (args['aggregate-only'] ? path.join(cacheDir, 'start') : await commonStart(cacheDir, args.preset, int(args['pretrain-steps'], 'pretrain-steps'), int(args['vocab-size'], 'vocab-size'), maxLength));
  const evalOptions = { tasks, maxTrain: int(args['max-train'], 'max-train'), maxTest: int(args['max-test'], 'max-test') };

  const cells: Cell[] = [];
  for (const seed of seeds) {
    for (const method of methods) {
      const cellDir = path.join(cacheDir, 'runs', `${method}-seed${seed}`);
      const resultFile = path.join(cellDir, 'cell.json');
      if (fs.existsSync(resultFile)) {
        cells.push(JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Cell);
        continue;
      }
      if (args['aggregate-only']) continue;
      log(`— ${method}, seed ${seed}`);
      const t0 = Date.now();
      let modelDir = startDir;
      let history: readonly StepRecord[] = [];
      let trainSeconds = 0;
      if (method !== 'none') {
        const result = await trainCarl(
          { ...extra, method: method as TrainConfig['method'], init: startDir, seed, steps, batchSize, maxLength, data: ['emobank'], checkpointEvery: 250, logEvery: 100 },
          { out: path.join(cellDir, 'train'), resume: true, onStep: (r) => { if (r.step % 250 === 0) log(`  step ${r.step}/${steps} loss ${r.loss.toFixed(4)}`); } },
        );
        if (result.modelDir === undefined) throw new Error(`${method} seed ${seed} did not complete`);
        modelDir = result.modelDir;
        history = result.history;
        trainSeconds = result.seconds;
      }
      const report = await evaluateModel(modelDir, method, seed, backend.backend, evalOptions);
      const cell: Cell = { method, seed, config: extra, report, trainSeconds, history };
      fs.mkdirSync(cellDir, { recursive: true });
      fs.writeFileSync(resultFile, JSON.stringify(cell));
      cells.push(cell);
      log(`  done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  await writeReport(cells, { outDir, cacheDir, startDir, backend: backend.backend, seeds, steps, batchSize, maxLength, evalOptions, began });
}

async function evaluateModel(modelDir: string, method: string, seed: number, backend: string, options: { tasks?: string[]; maxTrain: number; maxTest: number }): Promise<EvaluationReport> {
  const model = await openModel(modelDir);
  try {
    return await evaluate({
      embed: (texts) => model.embed(texts),
      model: method,
      backend,
      seed,
      // 0 = no cap (the whole splits).
      ...(options.maxTrain > 0 ? { maxTrain: options.maxTrain } : {}),
      ...(options.maxTest > 0 ? { maxTest: options.maxTest } : {}),
      ...(options.tasks === undefined ? {} : { tasks: options.tasks }),
    });
  } finally {
    model.dispose();
  }
}

/** A trained model folder (encoder + VA head) or a bare Hugging Face checkpoint (the common start). */
async function openModel(dir: string): Promise<{ embed(texts: readonly string[]): Float32Array[]; dispose(): void }> {
  if (fs.existsSync(path.join(dir, 'carl.json'))) return loadCarlModel(dir);
  const encoder = await loadPretrained(dir);
  return { embed: (texts) => encoder.embed([...texts]).map((row) => Float32Array.from(row)), dispose: () => encoder.dispose() };
}

/** The MLM-pretrained encoder every method starts from (cached; the pre-training resumes). */
async function commonStart(cacheDir: string, preset: string, pretrainSteps: number, vocabSize: number, maxLength: number): Promise<string> {
  const dir = path.join(cacheDir, 'start');
  if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  const texts: string[] = [];
  for (const name of PRETRAIN_CORPORA) {
    const dataset = await loadDataset(name);
    texts.push(...dataset.splits.train.map((r: LabeledText) => r.text));
  }
  log(`common start: WordPiece ${vocabSize} + ${pretrainSteps} MLM steps on ${texts.length} training sentences (${PRETRAIN_CORPORA.join(', ')})`);
  const tokenizer = trainWordPiece(texts, { vocabSize });
  const encoder = createEncoder({ preset: preset as PresetName, tokenizer, seed: 0 });
  const result = await pretrainMLM({
    encoder,
    texts,
    steps: pretrainSteps,
    batchSize: 64,
    maxLength,
    seed: 0,
    checkpointDir: path.join(cacheDir, 'start-mlm'),
    checkpointEvery: 100,
    resume: true,
    onProgress: (p) => {
      if (p.step % 50 === 0) log(`  mlm step ${p.step}/${pretrainSteps} loss ${p.loss.toFixed(3)}`);
    },
  });
  await savePretrained(encoder, dir);
  fs.writeFileSync(path.join(dir, 'mlm-losses.json'), JSON.stringify(result.losses));
  encoder.dispose();
  return dir;
}

interface ReportContext {
  readonly outDir: string;
  readonly cacheDir: string;
  readonly startDir: string;
  readonly backend: string;
  readonly seeds: readonly number[];
  readonly steps: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly evalOptions: { tasks?: string[]; maxTrain: number; maxTest: number };
  readonly began: number;
}

async function writeReport(cells: readonly Cell[], ctx: ReportContext): Promise<void> {
  if (cells.length === 0) {
    log('no finished cells yet: nothing to report');
    return;
  }
  const reports = cells.map((c) => c.report);
  const present = [...new Set(cells.map((c) => c.method))];
  const comparisons: Record<string, unknown> = {};
  if (present.includes('carl')) {
    for (const baseline of BASELINES.filter((b) => present.includes(b))) comparisons[baseline] = compareModels(reports, 'carl', baseline);
  }
  const bestBaseline = pickBestBaseline(cells, present);
  const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
  const versions = Object.fromEntries(['@carl/trainer', '@carl/encoder', '@tensorflow/tfjs-core'].map((p) => [p, require(`${p}/package.json`).version as string]));
  const summary = {
    date: new Date().toISOString(),
    machine,
    backend: ctx.backend,
    versions,
    budget: { seeds: ctx.seeds, steps: ctx.steps, batchSize: ctx.batchSize, maxLength: ctx.maxLength, trainingData: 'emobank (train split)', evaluation: ctx.evalOptions },
    methodConfig: Object.fromEntries(present.map((m) => [m, cells.find((c) => c.method === m)?.config ?? {}])),
    start: ctx.startDir,
    wallSecondsThisInvocation: (Date.now() - ctx.began) / 1000,
    trainSeconds: Object.fromEntries(present.map((m) => [m, meanStd(cells.filter((c) => c.method === m).map((c) => c.trainSeconds))])),
    cells: cells.map((c) => ({ method: c.method, seed: c.seed, config: c.config, trainSeconds: c.trainSeconds, finalLoss: c.history.at(-1)?.loss ?? null, tasks: c.report.tasks })),
    bestBaseline,
    carlVsBaselines: comparisons,
  };
  fs.writeFileSync(path.join(ctx.outDir, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const lines = [
    '# CARL reproduction benchmark',
    '',
    `${summary.date} · ${machine.cpu} (${machine.cores} cores) · backend ${ctx.backend} · Node ${machine.node}`,
    '',
    `Budget: seeds ${ctx.seeds.join(', ')}; ${ctx.steps} steps × batch ${ctx.batchSize} (max ${ctx.maxLength} tokens) per method on EmoBank train; probes on ≤ ${ctx.evalOptions.maxTrain} train / ≤ ${ctx.evalOptions.maxTest} test rows per task.`,
    '',
    toMarkdown(reports),
    '',
    'Options set beyond @carl/trainer\'s defaults (the full resolved configuration of each run is in its checkpoint state) and the shared budget:',
    '',
    ...present.map((m) => `- \`${m}\`: ${JSON.stringify(cells.find((c) => c.method === m)?.config ?? {})}`),
    '',
  ];
  if (bestBaseline !== undefined && present.includes('carl')) {
    lines.push(`## CARL against the best baseline (${bestBaseline}, by mean headline score)`, '', '| task | metric | CARL − baseline | p (paired t) |', '| --- | --- | --- | --- |');
    for (const c of compareModels(reports, 'carl', bestBaseline)) lines.push(`| ${c.task} | ${c.metric} | ${fmt(c.meanDifference)} | ${fmt(c.p)} |`);
    lines.push('');
  }
  fs.writeFileSync(path.join(ctx.outDir, 'results.md'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(ctx.outDir, 'tasks.svg'), taskBarChartSvg(reports, { title: 'Frozen-embedding probes: mean ± std over seeds' }));
  const curves = cells.filter((c) => c.seed === ctx.seeds[0] && c.history.length > 0);
  if (curves.length > 0) {
    const byStep = new Map<number, Record<string, number>>();
    for (const c of curves) for (const h of c.history) byStep.set(h.step, { ...(byStep.get(h.step) ?? { step: h.step }), [c.method]: h.loss });
    fs.writeFileSync(path.join(ctx.outDir, 'training-curves.svg'), trainingCurvesSvg([...byStep.values()], { title: `Training loss (seed ${ctx.seeds[0]})` }));
  }
  await writeProjections(ctx, present);
  log(`report written to ${ctx.outDir}`);
}

/** The baseline with the highest mean headline score (VA Pearson and class accuracy, averaged over tasks). */
function pickBestBaseline(cells: readonly Cell[], present: readonly string[]): string | undefined {
  let best: { name: string; score: number } | undefined;
  for (const baseline of BASELINES.filter((b) => present.includes(b))) {
    const scores = cells.filter((c) => c.method === baseline).flatMap((c) => c.report.tasks.map(headline)).filter(Number.isFinite);
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
async function writeProjections(ctx: ReportContext, present: readonly string[]): Promise<void> {
  const emobank = await loadDataset('emobank');
  const test = (emobank.splits.test ?? allRows(emobank)).filter((r) => r.va !== undefined).slice(0, 600);
  for (const method of present.filter((m) => m === 'carl' || m === 'none' || m === 'mse-regression')) {
    const dir = method === 'none' ? ctx.startDir : path.join(ctx.cacheDir, 'runs', `${method}-seed${ctx.seeds[0]}`, 'train', 'model');
    if (!fs.existsSync(dir)) continue;
    const model = await openModel(dir);
    const embeddings = model.embed(test.map((r) => r.text));
    model.dispose();
    const svgs = projectionSvgs(embeddings, test.map((r) => r.va!), { title: `${method}: EmoBank test, PCA` });
    fs.writeFileSync(path.join(ctx.outDir, `projection-${method}-valence.svg`), svgs.valence);
    fs.writeFileSync(path.join(ctx.outDir, `projection-${method}-arousal.svg`), svgs.arousal);
  }
}

function fmt(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3);
}

function log(message: string): void {
  process.stderr.write(`[reproduce ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
