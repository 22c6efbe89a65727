/**
 * `npm run demo` (at the repository root) or `npm start` here: trains the `tiny` preset briefly on EmoBank with a baseline and with CARL (same
 * encoder initialisation, data and step budget), then scores valence and arousal on EmoBank's
 * official test split with a ridge probe on the frozen embeddings, and prints a table.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Methods to train, baseline first. Default `mse-regression`, `carl`. */
  readonly methods?: readonly string[];
  /** Optimiser steps per method (the shared budget). Default 1000 (≈ 4 epochs of EmoBank). */
  readonly steps?: number;
  /** Cap on EmoBank training sentences (0 = all 8,062). Default 0. */
  readonly maxExamples?: number;
  /** Where runs and `results.json` go. Default `runs/demo`. */
  readonly out?: string;
  /** Corpora folder. Default: @carl/datasets' resolution (`$CARL_DATA_DIR`, then its cache, then a pinned download). */
  readonly dataDir?: string;
  /** Cap on the probe's training and test rows (quick smoke runs; the default evaluates the whole splits). */
  readonly evalRows?: number;
  /** Also evaluate the untrained encoder. Default true. */
  readonly untrained?: boolean;
  readonly seed?: number;
  /** Where the table and progress go. Default process.stdout / process.stderr. */
  readonly stdout?: { write(chunk: string): unknown };
  readonly stderr?: { write(chunk: string): unknown; readonly isTTY?: boolean };
}

/** One row of the demo's table. */
export interface DemoRow {
  readonly method: string;
  readonly steps: number;
  readonly seconds: number;
  readonly finalLoss: number | null;
  readonly valence: { readonly pearson: number; readonly rmse: number };
  readonly arousal: { readonly pearson: number; readonly rmse: number };
}

/** What each dependency must export for the demo; checked first so a missing piece is named exactly. */
const REQUIRED_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  '@carl/core': ['initBackend', 'currentBackend', 'Random', 'AdamW'],
  '@carl/encoder': ['createEncoder', 'trainWordPiece', 'savePretrained', 'loadPretrained'],
  '@carl/datasets': ['loadEmoBank', 'loadDataset'],
  '@carl/va-labeling': ['binVA', 'labelSimilarityMatrix'],
  '@carl/contrastive-losses': ['softContrastiveLoss', 'supCon', 'infoNCE'],
  '@carl/momentum-queue': ['MomentumTarget', 'LabeledQueue', 'momentumSchedule'],
  '@carl/saliency-perturbation': ['perturbSalientTokens', 'PerturbedTokenDetectionHead', 'perturbedTokenDetectionLoss'],
  '@carl/eval-benchmarks': ['evaluate', 'fitRidge'],
  '@carl/trainer': ['trainCarl', 'createProgress', 'formatDuration', 'embedTexts'],
};

/**
 * Lists what is missing for the demo: packages that cannot be loaded (not built, not installed) and
 * exports a package does not provide yet. Empty when everything is there.
 *
 * @example
 * ```ts
 * missingDependencies(); // [] or ['@carl/encoder: cannot be loaded (Cannot find module …); run npm run build']
 * ```
 */
export function missingDependencies(load: (name: string) => unknown = require): string[] {
  const missing: string[] = [];
  for (const [name, exports] of Object.entries(REQUIRED_EXPORTS)) {
    let module: Record<string, unknown>;
    try {
      module = load(name) as Record<string, unknown>;
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      missing.push(`${name}: cannot be loaded (${reason}); run \`npm run build\` (and \`npm install\` if it is not linked)`);
      continue;
    }
    const absent = exports.filter((e) => module[e] === undefined);
    if (absent.length > 0) missing.push(`${name}: does not export ${absent.join(', ')} yet`);
  }
  return missing;
}

/**
 * Runs the demo and returns its rows (also printed as a table and written to `<out>/results.json`).
 *
 * @example
 * ```ts
 * const rows = await runDemo({ steps: 50 });
 * ```
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoRow[]> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const missing = missingDependencies();
  if (missing.length > 0) {
    throw new Error(`the demo cannot run yet; missing:\n  - ${missing.join('\n  - ')}`);
  }
  // Loaded only after the check above, so a missing package is reported instead of crashing the import.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const core = require('@carl/core') as typeof import('@carl/core');
  const encoderPkg = require('@carl/encoder') as typeof import('@carl/encoder');
  const datasets = require('@carl/datasets') as typeof import('@carl/datasets');
  const evalPkg = require('@carl/eval-benchmarks') as typeof import('@carl/eval-benchmarks');
  const { trainCarl, createProgress, formatDuration, embedTexts } = require('@carl/trainer') as typeof import('@carl/trainer');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const methods = options.methods ?? ['mse-regression', 'carl'];
  const steps = options.steps ?? 1000;
  const seed = options.seed ?? 42;
  const out = path.resolve(options.out ?? path.join('runs', 'demo'));
  const dataDir = options.dataDir;
  const info = await core.initBackend();
  // Native wasm kernels (@carl/native-kernels) change the speed several-fold; say whether they are in use.
  const native = info.nativeKernels?.available === true;
  stderr.write(`carl demo: backend ${info.backend}${info.backend === 'wasm' ? (native ? ' + native kernels' : ' (no native kernels)') : ''}; data ${dataDir ?? '(resolved by @carl/datasets: $CARL_DATA_DIR, cache or download)'}\n`);
  const demoStart = Date.now();

  const emobank = await datasets.loadEmoBank(dataDir === undefined ? {} : { dataDir });
  const train = emobank.splits.train;
  const test = emobank.splits.test ?? [];
  stderr.write(`carl demo: EmoBank train ${train.length}, test ${test.length} sentences\n`);
  // One vocabulary and one initialisation shared by every method: only the objective differs.
  const tokenizer = encoderPkg.trainWordPiece(
    train.map((r) => r.text),
    { vocabSize: 8000 },
  );
  const fresh = (): import('@carl/encoder').TransformerEncoder => encoderPkg.createEncoder({ preset: 'tiny', tokenizer, pooling: 'mean', seed });

  const score = async (encoder: import('@carl/core').Encoder): Promise<Pick<DemoRow, 'valence' | 'arousal'>> => {
    const report = await evalPkg.evaluate({
      embed: (texts) => embedTexts(encoder, texts, { batchSize: 32, maxLength: 64 }),
      tasks: ['emobank-va'],
      seed,
      ...(options.evalRows === undefined ? {} : { maxTrain: options.evalRows, maxTest: options.evalRows }),
      ...(dataDir === undefined ? {} : { dataDir }),
    });
    const result = report.tasks[0];
    if (result === undefined || result.kind !== 'va') throw new Error('emobank-va did not return VA metrics');
    const { valence, arousal } = result.metrics;
    return { valence: { pearson: valence.pearson, rmse: valence.rmse }, arousal: { pearson: arousal.pearson, rmse: arousal.rmse } };
  };

  const rows: DemoRow[] = [];
  if (options.untrained !== false) {
    const encoder = fresh();
    try {
      const began = Date.now();
      rows.push({ method: 'untrained', steps: 0, seconds: (Date.now() - began) / 1000, finalLoss: null, ...(await score(encoder)) });
      stderr.write(`carl demo: untrained encoder scored\n`);
    } finally {
      encoder.dispose();
    }
  }
  for (const method of methods) {
    const encoder = fresh();
    try {
      const began = Date.now();
      const result = await trainCarl(
        {
          method: method as import('@carl/trainer').TrainMethod,
          data: ['emobank'],
          steps,
          batchSize: 32,
          maxLength: 64,
          seed,
          maxExamples: options.maxExamples ?? 0,
          checkpointEvery: 0,
          ...(dataDir === undefined ? {} : { dataDir }),
        },
        {
          out: path.join(out, method),
          force: true,
          encoder,
          saveModel: false,
          progress: ({ total, start }) => createProgress({ label: method, total, start, stream: stderr, every: Math.max(1, Math.round(total / 10)) }),
        },
      );
      const seconds = (Date.now() - began) / 1000;
      rows.push({ method, steps, seconds, finalLoss: result.history.at(-1)?.loss ?? null, ...(await score(encoder)) });
    } finally {
      encoder.dispose();
    }
  }

  fs.mkdirSync(out, { recursive: true });
  const record = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version },
    backend: info.backend,
    nativeKernels: native,
    seconds: Math.round((Date.now() - demoStart) / 1000),
    protocol: 'tiny preset from scratch, EmoBank train split only, same init/data/steps for every method; ridge probe (5-fold CV α) on frozen mean-pooled embeddings; EmoBank official test split',
    steps,
    rows,
  };
  fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(record, null, 1)}\n`);
  stdout.write(formatDemoTable(rows, Math.min(test.length, options.evalRows ?? Number.POSITIVE_INFINITY), formatDuration));
  stdout.write(`\nWritten to ${path.join(out, 'results.json')}. Train a full model: npx carl train --out runs/carl --data emobank --steps 1000\n`);
  return rows;
}

/**
 * The demo's table: Pearson r and RMSE for valence and arousal per method.
 *
 * @example
 * ```ts
 * process.stdout.write(formatDemoTable(rows, 1000, (s) => `${s}s`));
 * ```
 */
export function formatDemoTable(rows: readonly DemoRow[], testSize: number, duration: (seconds: number) => string): string {
  const header = ['method', 'steps', 'time', 'valence r', 'arousal r', 'valence RMSE', 'arousal RMSE'];
  const body = rows.map((r) => [
    r.method,
    String(r.steps),
    r.steps === 0 ? '–' : duration(r.seconds),
    r.valence.pearson.toFixed(3),
    r.arousal.pearson.toFixed(3),
    r.valence.rmse.toFixed(3),
    r.arousal.rmse.toFixed(3),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((row) => (row[j] as string).length)));
  const line = (cells: readonly string[]): string => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j] as number) : c.padStart(widths[j] as number))).join('  ');
  return [
    `EmoBank test (${testSize} sentences): ridge probe on frozen embeddings of the tiny encoder; VA on [−1, 1]`,
    line(header),
    line(widths.map((w) => '─'.repeat(w))),
    ...body.map(line),
    '',
  ].join('\n');
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string' },
      methods: { type: 'string' },
      'max-examples': { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-untrained': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(
      'Usage: npm run demo -- [--steps N (1000)] [--methods mse-regression,carl] [--max-examples N] [--out DIR (runs/demo)] [--data-dir DIR] [--no-untrained]\n',
    );
  } else {
    runDemo({
      ...(values.steps === undefined ? {} : { steps: Number(values.steps) }),
      ...(values.methods === undefined ? {} : { methods: values.methods.split(',') }),
      ...(values['max-examples'] === undefined ? {} : { maxExamples: Number(values['max-examples']) }),
      ...(values.out === undefined ? {} : { out: values.out }),
      ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
      ...(values['no-untrained'] === true ? { untrained: false } : {}),
    }).catch((error: unknown) => {
      process.stderr.write(`carl demo: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
