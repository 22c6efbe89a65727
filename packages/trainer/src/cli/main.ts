import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, currentBackend, fromUnitRange, initBackend, isCarlError, type CarlErrorCode, type LabeledText, type VA } from '@carl/core';
import { loadDataset, loadTable, type DatasetName } from '@carl/datasets';
import { createEncoder, pretrainMLM, trainWordPiece, type PresetName, presets } from '@carl/encoder';
import { DEFAULT_TASKS, evaluate, formatTable, loadTaskFile, type TaskSpec } from '@carl/eval-benchmarks';
import { renderSaliencyHtml } from '@carl/saliency-perturbation';
import { writeFileAtomic } from '../checkpoint';
import { CONFIG_OPTIONS, DEFAULT_CONFIG, TRAIN_METHODS, parseConfigFlags, readConfigFile, toFlagName, type ConfigLayer, type OptionGroup, type TrainConfig } from '../config';
import { checkDataNames, dataDirFor } from '../data';
import { METHOD_TRAITS } from '../methods';
import { loadCarlModel } from '../model';
import { createProgress, formatDuration, type ProgressStream } from '../progress';
import { readTextFile, type InputText } from '../text-input';
import { trainCarl } from '../train';
import { formatFlags, optionalInteger, optionalList, optionalString, parseFlags, requireString, wrap, type FlagSpec, type ParsedArgs } from './args';
import { suggest } from '../suggest';

/** Where the command line reads and writes (tests pass their own). */
export interface CliIO {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder relative paths are resolved against. */
  readonly cwd: string;
  /** Registers a Ctrl-C handler; returns its removal. Default: `process.on('SIGINT')`. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/**
 * Exit codes of `carl`, by what went wrong (stable, so scripts can branch on them).
 */
export const EXIT_CODES = {
  ok: 0,
  /** A bug or an unexpected failure. */
  internal: 1,
  /** Bad command line or configuration (unknown option, wrong type, out-of-range value). */
  usage: 2,
  /** Missing or unreadable input: data, model or file not found, invalid rows, broken checkpoint. */
  input: 3,
  /** The output exists and `--force` was not given. */
  exists: 4,
  /** Training diverged (NaN/Inf loss); the last good checkpoint is kept. */
  diverged: 5,
  /** No tensor backend could start. */
  backend: 6,
  /** Stopped by Ctrl-C (a resumable checkpoint was written). */
  interrupted: 130,
} as const;

const CODE_EXIT: Readonly<Record<CarlErrorCode, number>> = {
  INVALID_ARGUMENT: EXIT_CODES.usage,
  INVALID_CONFIG: EXIT_CODES.usage,
  SHAPE_MISMATCH: EXIT_CODES.internal,
  NOT_FOUND: EXIT_CODES.input,
  DATASET_NOT_FOUND: EXIT_CODES.input,
  DOWNLOAD_FAILED: EXIT_CODES.input,
  INVALID_DATA: EXIT_CODES.input,
  INVALID_CHECKPOINT: EXIT_CODES.input,
  TOKENIZER_ERROR: EXIT_CODES.input,
  FILE_EXISTS: EXIT_CODES.exists,
  NUMERIC_INSTABILITY: EXIT_CODES.diverged,
  BACKEND_UNAVAILABLE: EXIT_CODES.backend,
  INTERNAL: EXIT_CODES.internal,
};

/**
 * The exit code `carl` uses for an error.
 *
 * @example
 * ```ts
 * exitCodeFor(new CarlError('FILE_EXISTS', 'x')); // 4
 * ```
 */
export function exitCodeFor(error: unknown): number {
  return isCarlError(error) ? (CODE_EXIT[error.code] ?? EXIT_CODES.internal) : EXIT_CODES.internal;
}

interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly positionals: boolean;
  /** Extra help text after the options. */
  readonly epilog?: (width: number) => string;
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

const COMMON = {
  help: { type: 'boolean', short: 'h', doc: 'Show this help.' },
  backend: { type: 'string', value: 'NAME', doc: 'Tensor backend: auto (default), tensorflow-gpu, tensorflow, wasm or cpu ($CARL_BACKEND also works).' },
} as const satisfies Record<string, FlagSpec>;

const LOG_JSON: FlagSpec = { type: 'boolean', doc: 'Progress as JSON lines even on a terminal (the default when output is not a terminal).' };

/** Flags of `carl train` besides the hyperparameters (which all have their own flag). */
const TRAIN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  out: { type: 'string', value: 'DIR', doc: 'Output folder: checkpoints/ and, when done, model/ (the encoder in the Hugging Face layout plus the VA head). Required.' },
  config: { type: 'string', value: 'FILE', doc: 'JSON file of hyperparameters (keys as in the table below); flags override it.' },
  'train-file': { type: 'string', value: 'FILE', doc: 'Train on your own rated sentences (.csv, .tsv, .jsonl) instead of --data corpora; pass it again with --resume.' },
  'text-column': { type: 'string', value: 'C', doc: 'Column of --train-file holding the text (default: text).' },
  'valence-column': { type: 'string', value: 'C', doc: 'Column of --train-file holding valence (default: valence).' },
  'arousal-column': { type: 'string', value: 'C', doc: 'Column of --train-file holding arousal (default: arousal).' },
  'rating-scale': { type: 'string', value: 'MIN,MAX', doc: 'Scale of the ratings in --train-file, mapped to [−1, 1] (default: --rating-scale=-1,1; EmoBank-style 1,5; Warriner-style 1,9).' },
  'split-column': { type: 'string', value: 'C', doc: 'Column of --train-file naming train/dev/test: only train rows are used.' },
  resume: { type: 'boolean', doc: 'Continue the run in --out from its newest checkpoint (same result as an uninterrupted run).' },
  force: { type: 'boolean', doc: 'Replace an earlier run in --out.' },
  'log-json': LOG_JSON,
  help: COMMON.help,
};

function configFlagSpecs(): Record<string, FlagSpec> {
  const specs: Record<string, FlagSpec> = {};
  for (const [key, spec] of Object.entries(CONFIG_OPTIONS)) {
    const flag = toFlagName(key);
    const fallback = DEFAULT_CONFIG[key as keyof TrainConfig];
    const def = `(default: ${Array.isArray(fallback) ? fallback.join(',') : fallback === null ? 'none' : String(fallback)})`;
    if (spec.kind === 'boolean') {
      specs[flag] = { type: 'boolean', doc: `${spec.doc} ${def}` };
      specs[`no-${flag}`] = { type: 'boolean', doc: `Set ${flag} to false.` };
    } else {
      const value = spec.kind === 'enum' ? spec.values.join('|') : spec.kind === 'number' ? 'N' : spec.kind.endsWith('list') ? 'A,B' : 'VALUE';
      specs[flag] = { type: 'string', value, doc: `${spec.doc} ${def}`, ...(spec.kind === 'string-list' ? { multiple: true } : {}) };
    }
  }
  return specs;
}

const trainCommand: Command = {
  name: 'train',
  summary: 'Train an encoder with CARL, an ablation or a baseline; writes checkpoints and a model that predicts valence and arousal.',
  usage: 'carl train --out DIR [--method M] [--preset P | --init DIR] [--data a,b] [--config FILE] [--seed N] [--resume] [--force] [hyperparameter flags]',
  flags: { ...TRAIN_FLAGS, ...configFlagSpecs() },
  positionals: false,
  epilog: (width) => {
    const methods = TRAIN_METHODS.map((m) => `  ${m.padEnd(20)}${wrap(METHOD_TRAITS[m].summary, width - 22).join(`\n${' '.repeat(22)}`)}`).join('\n');
    return `Methods:\n${methods}\n\nEvery hyperparameter above is also a key of the --config JSON file (camelCase: --batch-size → "batchSize").\nExamples:\n  carl train --out runs/carl --preset tiny --steps 300\n  carl train --out runs/base --method mse-regression --init runs/mlm --data emobank\n  carl train --out runs/carl --resume`;
  },
  async run(args, io) {
    const out = path.resolve(io.cwd, requireString(args, 'out', 'train'));
    const layers: Array<ConfigLayer | Partial<TrainConfig>> = [];
    const configFile = optionalString(args, 'config');
    if (configFile !== undefined) layers.push(readConfigFile(path.resolve(io.cwd, configFile)));
    const hyper: Record<string, string | boolean | readonly string[] | undefined> = {};
    for (const [flag, value] of Object.entries(args.flags)) {
      if (flag in TRAIN_FLAGS || value === undefined) continue;
      if (flag.startsWith('no-') && value === true) hyper[flag.slice(3)] = false;
      else hyper[flag] = value as string | boolean | readonly string[];
    }
    layers.push({ values: parseConfigFlags(hyper), source: { flags: true } });
    // Only keys the user set are passed on: a resumed run takes the rest from its checkpoint.
    const explicit: Record<string, unknown> = {};
    for (const layer of layers) Object.assign(explicit, 'source' in layer ? layer.values : layer);
    for (const key of ['init', 'dataDir'] as const) {
      if (typeof explicit[key] === 'string') explicit[key] = path.resolve(io.cwd, explicit[key] as string);
    }
    const data = await trainFileRows(args, io);
    if (data !== undefined && explicit['data'] !== undefined) throw new CarlError('INVALID_ARGUMENT', 'give either --train-file or --data, not both', { field: '--train-file' });
    const json = args.flags['log-json'] === true || io.stderr.isTTY !== true;
    const controller = new AbortController();
    let interrupts = 0;
    const removeHandler = (io.onInterrupt ?? defaultInterrupt)(() => {
      interrupts++;
      if (interrupts > 1) process.exit(EXIT_CODES.interrupted);
      io.stderr.write('\ncarl: stopping after this step and writing a checkpoint (Ctrl-C again to quit at once)\n');
      controller.abort();
    });
    try {
      const result = await trainCarl(explicit as Partial<TrainConfig>, {
        out,
        resume: args.flags['resume'] === true,
        force: args.flags['force'] === true,
        signal: controller.signal,
        ...(data === undefined ? {} : { data }),
        progress: ({ total, start }) =>
          createProgress({ label: 'train', total, start, stream: json ? io.stdout : io.stderr, json, every: (explicit['logEvery'] as number | undefined) ?? DEFAULT_CONFIG.logEvery }),
      });
      if (result.status === 'interrupted') {
        io.stderr.write(`carl: interrupted at step ${result.step}/${result.totalSteps}; checkpoint ${result.checkpoint?.dir ?? '(none)'}.\nContinue with: carl train --out ${path.relative(io.cwd, out) || '.'} --resume\n`);
        return EXIT_CODES.interrupted;
      }
      const summary = {
        event: 'summary',
        method: result.config.method,
        steps: result.totalSteps,
        finalLoss: result.history.at(-1)?.loss ?? null,
        seconds: Math.round(result.seconds),
        model: result.modelDir ?? null,
        corpora: result.corpora,
      };
      if (json) io.stdout.write(`${JSON.stringify(summary)}\n`);
      else {
        io.stdout.write(
          `Trained ${summary.method} for ${summary.steps} steps in ${formatDuration(result.seconds)} (final loss ${summary.finalLoss?.toFixed(4) ?? '–'}).\n` +
            `Model: ${result.modelDir ?? '(not saved)'}\nTry: carl predict-va --model ${result.modelDir ?? out} "What a wonderful day"\n`,
        );
      }
      return EXIT_CODES.ok;
    } finally {
      removeHandler();
    }
  },
};

const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'Pre-train a fresh encoder with masked language modelling (MLM) on corpus texts or your own; the result is an --init for carl train.',
  usage: 'carl pretrain --out DIR [--preset tiny] [--data emobank,...] [--input FILE --text-column C] [--steps N] [--resume] [--force]',
  flags: {
    out: { type: 'string', value: 'DIR', doc: 'Output folder (Hugging Face layout, with checkpoints). Required.' },
    preset: { type: 'string', value: Object.keys(presets).join('|'), doc: 'Encoder shape (default: tiny).' },
    data: { type: 'string', multiple: true, value: 'A,B', doc: 'Corpora whose training texts to use (default: emobank,fb-valence-arousal). Test splits are never used.' },
    input: { type: 'string', value: 'FILE', doc: 'Your own texts instead (.txt one per line, .csv, .tsv, .jsonl).' },
    'text-column': { type: 'string', value: 'C', doc: 'Column/field of --input holding the text (default: text).' },
    'data-dir': { type: 'string', value: 'DIR', doc: 'Folder holding the corpora (default: $CARL_DATA_DIR).' },
    steps: { type: 'string', value: 'N', doc: 'Optimiser steps (default: 1000).' },
    'batch-size': { type: 'string', value: 'N', doc: 'Texts per step (default: 32).' },
    'max-length': { type: 'string', value: 'N', doc: 'Tokens per text (default: 64).' },
    'learning-rate': { type: 'string', value: 'X', doc: 'Peak learning rate (default: 5e-4).' },
    'vocab-size': { type: 'string', value: 'N', doc: 'WordPiece vocabulary trained on the texts (default: 8000).' },
    seed: { type: 'string', value: 'N', doc: 'Seed (default: 42).' },
    resume: { type: 'boolean', doc: 'Continue from the newest checkpoint in --out.' },
    force: { type: 'boolean', doc: 'Replace what --out holds.' },
    'log-json': LOG_JSON,
    backend: COMMON.backend,
    help: COMMON.help,
  },
  positionals: false,
  async run(args, io) {
    const out = path.resolve(io.cwd, requireString(args, 'out', 'pretrain'));
    const preset = optionalString(args, 'preset') ?? 'tiny';
    if (!(preset in presets)) throw new CarlError('INVALID_ARGUMENT', `unknown preset "${preset}" (known: ${Object.keys(presets).join(', ')})`, { field: '--preset' });
    const steps = optionalInteger(args, 'steps', 1) ?? 1000;
    const batchSize = optionalInteger(args, 'batch-size', 1) ?? 32;
    const maxLength = optionalInteger(args, 'max-length', 4, 4096) ?? 64;
    const vocabSize = optionalInteger(args, 'vocab-size', 64) ?? 8000;
    const seed = optionalInteger(args, 'seed', 0, 4294967295) ?? 42;
    const lrText = optionalString(args, 'learning-rate');
    const learningRate = lrText === undefined ? 5e-4 : Number(lrText);
    if (!(learningRate > 0 && learningRate <= 1)) throw new CarlError('INVALID_ARGUMENT', `must be a number > 0 and ≤ 1, got ${JSON.stringify(lrText)}`, { field: '--learning-rate' });
    const resume = args.flags['resume'] === true;
    protectFolder(out, resume, args.flags['force'] === true);
    await startBackend(args);
    const texts = await pretrainTexts(args, io);
    const tokenizer = trainWordPiece(texts, { vocabSize });
    const encoder = createEncoder({ preset: preset as PresetName, tokenizer, seed });
    const json = args.flags['log-json'] === true || io.stderr.isTTY !== true;
    const progress = createProgress({ label: 'pretrain', total: steps, stream: json ? io.stdout : io.stderr, json, every: 10 });
    try {
      const result = await pretrainMLM({
        encoder,
        texts,
        steps,
        batchSize,
        maxLength,
        learningRate,
        seed,
        checkpointDir: out,
        resume,
        onProgress: (p) => {
          progress.update({ done: p.step, loss: p.loss, metrics: { lr: p.learningRate, gradNorm: p.gradNorm, tokensPerSecond: p.tokensPerSecond } });
          if (p.checkpoint !== undefined) progress.event('checkpoint', { step: p.step, dir: p.checkpoint });
        },
      });
      progress.finish({ model: result.savedTo ?? out });
      result.mlmHead.dispose();
      if (!json) io.stdout.write(`Pre-trained ${preset} for ${result.steps} steps (final MLM loss ${result.losses.at(-1)?.toFixed(4) ?? '–'}).\nUse it: carl train --init ${path.relative(io.cwd, out) || '.'} --out runs/carl\n`);
      return EXIT_CODES.ok;
    } finally {
      encoder.dispose();
    }
  },
};

const embedCommand: Command = {
  name: 'embed',
  summary: 'Write the sentence embedding of every text of a file as JSON lines.',
  usage: 'carl embed --model DIR --input FILE [--text-column C] [--id-column C] --out FILE.jsonl [--force]',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder (from carl train, or any encoder folder). Required.' },
    input: { type: 'string', value: 'FILE', doc: 'Texts: .txt (one per line), .csv, .tsv or .jsonl. Required.' },
    'text-column': { type: 'string', value: 'C', doc: 'Column/field holding the text (default: text).' },
    'id-column': { type: 'string', value: 'C', doc: 'Column/field to copy into each output line as "id" (default: the row number).' },
    out: { type: 'string', value: 'FILE', doc: 'Output JSON Lines: {"id", "text", "embedding": [...]} per text. Required.' },
    'batch-size': { type: 'string', value: 'N', doc: 'Texts per forward pass (default: 64).' },
    force: { type: 'boolean', doc: 'Overwrite --out.' },
    'log-json': LOG_JSON,
    backend: COMMON.backend,
    help: COMMON.help,
  },
  positionals: false,
  async run(args, io) {
    const out = path.resolve(io.cwd, requireString(args, 'out', 'embed'));
    const input = path.resolve(io.cwd, requireString(args, 'input', 'embed'));
    const modelDir = path.resolve(io.cwd, requireString(args, 'model', 'embed'));
    const batchSize = optionalInteger(args, 'batch-size', 1) ?? 64;
    protectFile(out, args.flags['force'] === true);
    const rows = readInput(input, args);
    await startBackend(args);
    const model = await loadCarlModel(modelDir);
    try {
      const progress = createProgress({ label: 'embed', total: rows.length, stream: io.stderr, json: args.flags['log-json'] === true || io.stderr.isTTY !== true, every: 1000 });
      let last = 0;
      const vectors = model.embed(
        rows.map((r) => r.text),
        {
          batchSize,
          onBatch: (done) => {
            progress.update({ done, examples: done - last });
            last = done;
          },
        },
      );
      const lines = rows.map((r, i) => JSON.stringify({ id: r.id, text: r.text, embedding: Array.from(vectors[i] as Float32Array, round9) }));
      writeFileAtomic(out, lines.length === 0 ? '' : `${lines.join('\n')}\n`);
      progress.finish({ out });
      return EXIT_CODES.ok;
    } finally {
      model.dispose();
    }
  },
};

const predictCommand: Command = {
  name: 'predict-va',
  summary: 'Predict valence and arousal of texts given as arguments or in a file.',
  usage: 'carl predict-va --model DIR [--scale unit|1-5|1-9] [--json] "text" … | --input FILE [--text-column C] [--out FILE.jsonl]',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder written by carl train. Required.' },
    input: { type: 'string', value: 'FILE', doc: 'Read texts from a file (.txt, .csv, .tsv, .jsonl) instead of the arguments.' },
    'text-column': { type: 'string', value: 'C', doc: 'Column/field of --input holding the text (default: text).' },
    'id-column': { type: 'string', value: 'C', doc: 'Column/field to copy into JSON output as "id".' },
    out: { type: 'string', value: 'FILE', doc: 'Write JSON Lines here instead of printing.' },
    scale: { type: 'string', value: 'unit|1-5|1-9', doc: 'Report on [−1, 1] (default), the 1–5 SAM scale (EmoBank) or 1–9 (Warriner, Facebook posts).' },
    json: { type: 'boolean', doc: 'Print JSON lines instead of a table.' },
    force: { type: 'boolean', doc: 'Overwrite --out.' },
    backend: COMMON.backend,
    help: COMMON.help,
  },
  positionals: true,
  async run(args, io) {
    const modelDir = path.resolve(io.cwd, requireString(args, 'model', 'predict-va'));
    const scale = parseScale(optionalString(args, 'scale'));
    const inputFile = optionalString(args, 'input');
    if (inputFile !== undefined && args.positionals.length > 0) throw new CarlError('INVALID_ARGUMENT', 'give texts as arguments or --input, not both', { field: '--input' });
    const rows: InputText[] =
      inputFile === undefined ? args.positionals.map((text, i) => ({ text, id: String(i + 1), line: 0 })) : readInput(path.resolve(io.cwd, inputFile), args);
    if (rows.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no texts: pass them as arguments ("I am so happy") or with --input FILE; see carl predict-va --help');
    const outFile = optionalString(args, 'out');
    const out = outFile === undefined ? undefined : path.resolve(io.cwd, outFile);
    if (out !== undefined) protectFile(out, args.flags['force'] === true);
    await startBackend(args);
    const model = await loadCarlModel(modelDir);
    try {
      const predictions = model.predictVA(rows.map((r) => r.text));
      const records = rows.map((r, i) => {
        const p = predictions[i] as { valence: number; arousal: number };
        return { id: r.id, text: r.text, valence: round4(scale.map(p.valence)), arousal: round4(scale.map(p.arousal)) };
      });
      if (out !== undefined) {
        writeFileAtomic(out, `${records.map((r) => JSON.stringify({ ...r, scale: scale.name })).join('\n')}\n`);
        io.stderr.write(`wrote ${records.length} predictions to ${out}\n`);
      } else if (args.flags['json'] === true) {
        for (const r of records) io.stdout.write(`${JSON.stringify({ ...r, scale: scale.name })}\n`);
      } else {
        io.stdout.write(`${'valence'.padStart(8)} ${'arousal'.padStart(8)}  text (${scale.name} scale)\n`);
        for (const r of records) io.stdout.write(`${r.valence.toFixed(3).padStart(8)} ${r.arousal.toFixed(3).padStart(8)}  ${oneLine(r.text)}\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      model.dispose();
    }
  },
};

const evalCommand: Command = {
  name: 'eval',
  summary: 'Evaluate a model on frozen-embedding probes: VA regression, polarity, sentiment, emotion classification, alignment/uniformity.',
  usage: 'carl eval --model DIR [--tasks a,b] [--task-file F] [--json] [--out FILE.json]',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder (from carl train, or any encoder folder). Required.' },
    tasks: { type: 'string', multiple: true, value: 'A,B', doc: `Built-in tasks (default: ${DEFAULT_TASKS.join(',')}).` },
    'task-file': { type: 'string', value: 'FILE', doc: 'JSON file describing your own tasks (added after --tasks; alone, it replaces the defaults).' },
    'data-dir': { type: 'string', value: 'DIR', doc: 'Folder holding the corpora (default: $CARL_DATA_DIR).' },
    seed: { type: 'string', value: 'N', doc: 'Seed of folds, subsamples and probe cross-validation; use the same for models you compare (default: 0).' },
    'max-train': { type: 'string', value: 'N', doc: 'Cap on training rows per task (quick runs).' },
    'max-test': { type: 'string', value: 'N', doc: 'Cap on test rows per task.' },
    'batch-size': { type: 'string', value: 'N', doc: 'Texts per forward pass (default: 64).' },
    json: { type: 'boolean', doc: 'Print the full report as JSON instead of a table.' },
    out: { type: 'string', value: 'FILE', doc: 'Also write the JSON report here.' },
    force: { type: 'boolean', doc: 'Overwrite --out.' },
    backend: COMMON.backend,
    help: COMMON.help,
  },
  positionals: false,
  async run(args, io) {
    const modelDir = path.resolve(io.cwd, requireString(args, 'model', 'eval'));
    const taskFile = optionalString(args, 'task-file');
    const named = optionalList(args, 'tasks');
    const tasks: Array<string | TaskSpec> = [...(named ?? (taskFile === undefined ? DEFAULT_TASKS : []))];
    if (taskFile !== undefined) tasks.push(...loadTaskFile(path.resolve(io.cwd, taskFile)));
    const outFile = optionalString(args, 'out');
    const out = outFile === undefined ? undefined : path.resolve(io.cwd, outFile);
    if (out !== undefined) protectFile(out, args.flags['force'] === true);
    const dataDir = optionalString(args, 'data-dir');
    const seed = optionalInteger(args, 'seed', 0) ?? 0;
    const maxTrain = optionalInteger(args, 'max-train', 1);
    const maxTest = optionalInteger(args, 'max-test', 1);
    const batchSize = optionalInteger(args, 'batch-size', 1) ?? 64;
    await startBackend(args);
    const model = await loadCarlModel(modelDir);
    try {
      const report = await evaluate({
        embed: (texts) => model.embed(texts, { batchSize }),
        tasks,
        seed,
        batchSize,
        model: path.relative(io.cwd, modelDir) || modelDir,
        backend: currentBackend()?.backend ?? 'unknown',
        ...(dataDir === undefined ? {} : { dataDir: path.resolve(io.cwd, dataDir) }),
        ...(maxTrain === undefined ? {} : { maxTrain }),
        ...(maxTest === undefined ? {} : { maxTest }),
        onProgress: (message) => io.stderr.write(`eval: ${message}\n`),
      });
      const text = JSON.stringify(report, null, 1);
      if (out !== undefined) writeFileAtomic(out, `${text}\n`);
      io.stdout.write(args.flags['json'] === true ? `${text}\n` : `${formatTable(report)}\n`);
      return EXIT_CODES.ok;
    } finally {
      model.dispose();
    }
  },
};

const explainCommand: Command = {
  name: 'explain',
  summary: 'Show which tokens drive the predicted valence (or arousal) of a text: gradient saliency per token.',
  usage: 'carl explain --model DIR [--target valence|arousal] [--score grad-norm|grad-x-input] [--html FILE] [--json] "text" …',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder written by carl train. Required.' },
    target: { type: 'string', value: 'valence|arousal', doc: 'What to explain (default: valence).' },
    score: { type: 'string', value: 'grad-norm|grad-x-input', doc: 'Saliency score (default: grad-norm).' },
    html: { type: 'string', value: 'FILE', doc: 'Also write an HTML heat map.' },
    json: { type: 'boolean', doc: 'Print JSON (tokens with score and signed attribution).' },
    force: { type: 'boolean', doc: 'Overwrite --html.' },
    backend: COMMON.backend,
    help: COMMON.help,
  },
  positionals: true,
  async run(args, io) {
    const modelDir = path.resolve(io.cwd, requireString(args, 'model', 'explain'));
    if (args.positionals.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no text to explain: pass it as an argument, e.g. carl explain --model DIR "I loved it"');
    const target = optionalString(args, 'target') ?? 'valence';
    if (target !== 'valence' && target !== 'arousal') throw new CarlError('INVALID_ARGUMENT', `must be valence or arousal, got ${JSON.stringify(target)}`, { field: '--target' });
    const score = optionalString(args, 'score') ?? 'grad-norm';
    if (score !== 'grad-norm' && score !== 'grad-x-input') throw new CarlError('INVALID_ARGUMENT', `must be grad-norm or grad-x-input, got ${JSON.stringify(score)}`, { field: '--score' });
    const htmlFile = optionalString(args, 'html');
    const html = htmlFile === undefined ? undefined : path.resolve(io.cwd, htmlFile);
    if (html !== undefined) protectFile(html, args.flags['force'] === true);
    await startBackend(args);
    const model = await loadCarlModel(modelDir);
    try {
      const explanations = args.positionals.map((text) => model.explain(text, { target, score }));
      const predictions = model.predictVA(args.positionals);
      if (html !== undefined) writeFileAtomic(html, renderSaliencyHtml(explanations));
      if (args.flags['json'] === true) {
        explanations.forEach((e, i) =>
          io.stdout.write(
            `${JSON.stringify({ text: e.text, target, prediction: round4((predictions[i] as VA)[target]), score, tokens: e.tokens.filter((t) => !t.special).map((t) => ({ token: t.token, score: round4(t.score), normalized: round4(t.normalized), attribution: round4(t.attribution) })) })}\n`,
          ),
        );
      } else {
        explanations.forEach((e, i) => {
          io.stdout.write(`${target} ${(predictions[i] as VA)[target].toFixed(3)}  ${oneLine(e.text)}\n`);
          for (const t of e.tokens) {
            if (t.special) continue;
            const bar = '█'.repeat(Math.round(t.normalized * 20));
            const sign = t.attribution > 0 ? '+' : t.attribution < 0 ? '−' : ' ';
            io.stdout.write(`  ${t.token.padEnd(16)} ${bar.padEnd(20)} ${sign}${Math.abs(t.attribution).toFixed(4)}\n`);
          }
        });
        io.stdout.write(`(bar: saliency relative to the sentence's most salient token; sign: whether the token raises (+) or lowers (−) the predicted ${target})\n`);
      }
      return EXIT_CODES.ok;
    } finally {
      model.dispose();
    }
  },
};

const COMMANDS: readonly Command[] = [pretrainCommand, trainCommand, embedCommand, predictCommand, evalCommand, explainCommand];

/**
 * The `carl` command line: parses `argv` (without `node` and the script), runs the command and
 * returns its exit code (see {@link EXIT_CODES}); errors are printed as one clear line.
 *
 * @example
 * ```ts
 * const code = await runCli(['predict-va', '--model', 'runs/carl/model', 'What a day!']);
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const width = Math.max(60, Math.min(120, io.stdout.columns ?? 100));
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = COMMANDS.find((c) => c.name === topic);
    io.stdout.write(command === undefined ? overview(width) : commandHelp(command, width));
    if (topic !== undefined && command === undefined) return unknownCommand(topic, io);
    return name === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_CODES.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return unknownCommand(name, io);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandHelp(command, width));
    return EXIT_CODES.ok;
  }
  try {
    const args = parseFlags(command.name, rest, command.flags, command.positionals);
    return await command.run(args, io);
  } catch (error) {
    const code = exitCodeFor(error);
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`carl ${command.name}: ${code === EXIT_CODES.internal && !isCarlError(error) ? `unexpected error: ${message}\n${(error as Error).stack?.split('\n').slice(1, 4).join('\n') ?? ''}` : message}\n`);
    return code;
  }
}

function unknownCommand(name: string, io: CliIO): number {
  const hint = suggest(name, COMMANDS.map((c) => c.name));
  io.stderr.write(`carl: unknown command "${name}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}; run carl --help for the list\n`);
  return EXIT_CODES.usage;
}

function overview(width: number): string {
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(12)}${wrap(c.summary, width - 14).join(`\n${' '.repeat(14)}`)}`);
  return [
    'carl: continuous adversarial representation learning for affect-aware text encoders',
    '',
    'Usage: carl <command> [options]     (carl <command> --help for its options)',
    '',
    'Commands:',
    ...lines,
    '',
    'Exit codes: 0 ok · 1 unexpected error · 2 bad usage or configuration · 3 missing or invalid input',
    '            4 output exists (use --force) · 5 training diverged · 6 no tensor backend · 130 interrupted',
    '',
  ].join('\n');
}

function commandHelp(command: Command, width: number): string {
  const generic: Record<string, FlagSpec> = {};
  const grouped = new Map<OptionGroup, Record<string, FlagSpec>>();
  for (const [flag, spec] of Object.entries(command.flags)) {
    const key = flag.replace(/^no-/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const option = command.name === 'train' && !(flag in TRAIN_FLAGS) ? CONFIG_OPTIONS[key as keyof TrainConfig] : undefined;
    if (option === undefined) generic[flag] = spec;
    else {
      const group = grouped.get(option.group) ?? {};
      group[flag] = spec;
      grouped.set(option.group, group);
    }
  }
  const sections = [`Usage: ${command.usage}`, '', wrap(command.summary, width).join('\n'), '', 'Options:', formatFlags(generic, width)];
  for (const [group, specs] of grouped) sections.push('', `Hyperparameters: ${group}`, formatFlags(specs, width));
  if (command.epilog !== undefined) sections.push('', command.epilog(width));
  return `${sections.join('\n')}\n`;
}

function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

function defaultInterrupt(handler: () => void): () => void {
  process.on('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

function packageVersion(): string {
  // src/cli and dist/cli are both two folders below the package root.
  const file = path.join(__dirname, '..', '..', 'package.json');
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function startBackend(args: ParsedArgs): Promise<void> {
  const backend = optionalString(args, 'backend');
  if (backend === undefined || backend === 'auto') await initBackend();
  else {
    const known = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
    if (!known.includes(backend)) throw new CarlError('INVALID_ARGUMENT', `unknown backend "${backend}" (known: auto, ${known.join(', ')})`, { field: '--backend' });
    await initBackend({ backend: backend as 'wasm' });
  }
}

/** Refuses to write into a non-empty folder unless resuming or forced (forced: emptied first). */
function protectFolder(dir: string, resume: boolean, force: boolean): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new CarlError('FILE_EXISTS', 'the output path exists and is not a folder', { file: dir });
  if (fs.readdirSync(dir).length === 0 || resume) return;
  if (!force) throw new CarlError('FILE_EXISTS', 'the output folder is not empty; use --resume to continue or --force to replace it', { file: dir });
  fs.rmSync(dir, { recursive: true, force: true });
}

function protectFile(file: string, force: boolean): void {
  if (!fs.existsSync(file)) {
    if (!fs.existsSync(path.dirname(file))) throw new CarlError('NOT_FOUND', 'the folder of the output file does not exist', { file: path.dirname(file) });
    return;
  }
  if (fs.statSync(file).isDirectory()) throw new CarlError('FILE_EXISTS', 'the output path is a folder', { file });
  if (!force) throw new CarlError('FILE_EXISTS', 'the output file exists; use --force to overwrite it', { file });
}

function readInput(file: string, args: ParsedArgs): InputText[] {
  const textColumn = optionalString(args, 'text-column');
  const idColumn = optionalString(args, 'id-column');
  return readTextFile(file, { ...(textColumn === undefined ? {} : { textColumn }), ...(idColumn === undefined ? {} : { idColumn }) });
}

async function pretrainTexts(args: ParsedArgs, io: CliIO): Promise<string[]> {
  const input = optionalString(args, 'input');
  if (input !== undefined) {
    const texts = readInput(path.resolve(io.cwd, input), args).map((r) => r.text).filter((t) => t.trim() !== '');
    if (texts.length === 0) throw new CarlError('INVALID_DATA', 'the input file has no texts', { file: input });
    return texts;
  }
  const names = optionalList(args, 'data') ?? ['emobank', 'fb-valence-arousal'];
  const dataDirFlag = optionalString(args, 'data-dir');
  const config = { ...DEFAULT_CONFIG, data: names, dataDir: dataDirFlag === undefined ? null : path.resolve(io.cwd, dataDirFlag) };
  checkDataNames(config);
  const dataDir = dataDirFor(config, io.env);
  const texts: string[] = [];
  for (const name of names) {
    const dataset = await loadDataset(name as DatasetName, (dataDir === undefined ? {} : { dataDir }) as never);
    texts.push(...dataset.splits.train.map((r) => r.text));
  }
  return texts;
}

/** Rows of `--train-file` (train split only when a split column is named), or undefined without one. */
async function trainFileRows(args: ParsedArgs, io: CliIO): Promise<LabeledText[] | undefined> {
  const file = optionalString(args, 'train-file');
  if (file === undefined) return undefined;
  const scaleText = optionalString(args, 'rating-scale') ?? '-1,1';
  const bounds = scaleText.split(',').map((x) => Number(x.trim()));
  if (bounds.length !== 2 || !bounds.every(Number.isFinite) || !((bounds[0] as number) < (bounds[1] as number))) {
    throw new CarlError('INVALID_ARGUMENT', `must be MIN,MAX with MIN < MAX, got ${JSON.stringify(scaleText)}`, { field: '--rating-scale' });
  }
  const splitColumn = optionalString(args, 'split-column');
  const dataset = await loadTable({
    file: path.resolve(io.cwd, file),
    textColumn: optionalString(args, 'text-column') ?? 'text',
    va: {
      valence: optionalString(args, 'valence-column') ?? 'valence',
      arousal: optionalString(args, 'arousal-column') ?? 'arousal',
      scale: { name: `rating-${bounds[0]}-${bounds[1]}`, min: bounds[0] as number, max: bounds[1] as number },
    },
    ...(splitColumn === undefined ? {} : { splitColumn }),
  });
  return [...dataset.splits.train];
}

interface Scale {
  readonly name: string;
  map(x: number): number;
}

function parseScale(value: string | undefined): Scale {
  switch (value ?? 'unit') {
    case 'unit':
      return { name: 'unit', map: (x) => x };
    case '1-5':
      return { name: '1-5', map: (x) => fromUnitRange(x, { name: 'sam-1-5', min: 1, max: 5 }) };
    case '1-9':
      return { name: '1-9', map: (x) => fromUnitRange(x, { name: 'scale-1-9', min: 1, max: 9 }) };
    default:
      throw new CarlError('INVALID_ARGUMENT', `must be unit, 1-5 or 1-9, got ${JSON.stringify(value)}`, { field: '--scale' });
  }
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

function round9(x: number): number {
  return Number(x.toPrecision(9));
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 97)}…` : flat;
}
