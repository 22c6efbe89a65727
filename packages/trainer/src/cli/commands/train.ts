import * as path from 'node:path';
import { CarlError, initBackend, type LabeledText } from '@carl/core';
import { loadTable } from '@carl/datasets';
import { DEFAULT_CONFIG, TRAIN_METHODS, readConfigFile, type ConfigLayer, type TrainConfig } from '../../config';
import { METHOD_TRAITS } from '../../methods';
import { createProgress, formatDuration } from '../../progress';
import { abortOnSignals, type SignalAbort } from '../../interrupt';
import { trainCarl } from '../../train';
import { optionalInteger, optionalString, wrap, type FlagSpec, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { FLAG_SOURCE, configFlagSpecs, optionOfFlag, parseConfigFlags } from '../flags';
import { COMMON, jsonProgress, reportSkipped, requirePath, type CliIO } from '../options';

/** The flags of a run trained on the user's own rated file (also needed to refit its head). */
export const TRAIN_FILE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  'train-file': { type: 'string', value: 'FILE', doc: 'Train on your own rated sentences (.csv, .tsv, .jsonl) instead of --data corpora; pass it again with --resume.' },
  'text-column': { type: 'string', value: 'C', doc: 'Column of --train-file holding the text (default: text).' },
  'valence-column': { type: 'string', value: 'C', doc: 'Column of --train-file holding valence (default: valence).' },
  'arousal-column': { type: 'string', value: 'C', doc: 'Column of --train-file holding arousal (default: arousal).' },
  'rating-scale': { type: 'string', value: 'MIN,MAX', doc: 'Scale of the ratings in --train-file, mapped to [−1, 1] (default: --rating-scale=-1,1; EmoBank-style 1,5; Warriner-style 1,9).' },
  'split-column': { type: 'string', value: 'C', doc: 'Column of --train-file naming train/dev/test: only train rows are used.' },
  'skip-bad-rows': { ...COMMON.skipBadRows, doc: 'Skip invalid rows of --train-file (listed on stderr) instead of stopping at the first.' },
};

/** Flags of `carl train` besides the hyperparameters (which all have their own flag). */
const TRAIN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  out: { type: 'string', value: 'DIR', doc: 'Output folder: checkpoints/ and, when done, model/ (the encoder in the Hugging Face layout plus the VA head). Required.' },
  config: { type: 'string', value: 'FILE', doc: 'JSON file of hyperparameters (keys as in the table below); flags override it.' },
  ...TRAIN_FILE_FLAGS,
  resume: { type: 'boolean', doc: 'Continue the run in --out from its newest checkpoint (same result as an uninterrupted run).' },
  force: { type: 'boolean', doc: 'Replace an earlier run in --out.' },
  threads: COMMON.threads,
  'log-json': COMMON.logJson,
  help: COMMON.help,
};

export const trainCommand: Command = {
  name: 'train',
  summary: 'Train an encoder with CARL, an ablation or a baseline; writes checkpoints and a model that predicts valence and arousal.',
  usage: 'carl train --out DIR [--method M] [--preset P | --init DIR] [--data a,b] [--config FILE] [--seed N] [--resume] [--force] [hyperparameter flags]',
  flags: { ...TRAIN_FLAGS, ...configFlagSpecs() },
  positionals: false,
  groupOf: (flag) => (flag in TRAIN_FLAGS ? undefined : optionOfFlag(flag)?.group),
  epilog: (width) => {
    const methods = TRAIN_METHODS.map((m) => `  ${m.padEnd(20)}${wrap(METHOD_TRAITS[m].summary, width - 22).join(`\n${' '.repeat(22)}`)}`).join('\n');
    return `Methods:\n${methods}\n\nEvery hyperparameter above is also a key of the --config JSON file (camelCase: --batch-size → "batchSize").\nExamples:\n  carl train --out runs/carl --preset tiny --steps 300\n  carl train --out runs/base --method mse-regression --init runs/mlm --data emobank\n  carl train --out runs/carl --resume`;
  },
  async run(args, io) {
    const out = requirePath(args, io, 'out', 'train');
    const layers: Array<ConfigLayer | Partial<TrainConfig>> = [];
    const configFile = optionalString(args, 'config');
    if (configFile !== undefined) layers.push(readConfigFile(path.resolve(io.cwd, configFile)));
    const hyper: Record<string, string | boolean | readonly string[] | undefined> = {};
    for (const [flag, value] of Object.entries(args.flags)) {
      if (flag in TRAIN_FLAGS || value === undefined) continue;
      if (flag.startsWith('no-') && value === true) hyper[flag.slice(3)] = false;
      else hyper[flag] = value as string | boolean | readonly string[];
    }
    layers.push({ values: parseConfigFlags(hyper), source: FLAG_SOURCE });
    // Only keys the user set are passed on: a resumed run takes the rest from its checkpoint.
    const explicit: Record<string, unknown> = {};
    for (const layer of layers) Object.assign(explicit, 'source' in layer ? layer.values : layer);
    for (const key of ['init', 'dataDir'] as const) {
      if (typeof explicit[key] === 'string') explicit[key] = path.resolve(io.cwd, explicit[key] as string);
    }
    const data = await trainFileRows(args, io);
    if (data !== undefined && explicit['data'] !== undefined) throw new CarlError('INVALID_ARGUMENT', 'give either --train-file or --data, not both', { field: '--train-file' });
    // trainCarl starts the backend its configuration names; --threads has to reach it first.
    const threads = optionalInteger(args, 'threads', 1, 1024);
    const backend = (explicit['backend'] as TrainConfig['backend'] | undefined) ?? 'auto';
    if (threads !== undefined) await initBackend({ ...(backend === 'auto' ? {} : { backend }), threads });
    const json = jsonProgress(args, io);
    const stop = interruptSignal(io);
    try {
      const result = await trainCarl(explicit as Partial<TrainConfig>, {
        out,
        resume: args.flags['resume'] === true,
        force: args.flags['force'] === true,
        signal: stop.signal,
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
      stop.dispose();
    }
  },
};

const STOPPING = '\ncarl: stopping after this step and writing a checkpoint (Ctrl-C again to quit at once)\n';

/**
 * Ctrl-C and SIGTERM stop the run after its step, with a checkpoint (exit 130); a second Ctrl-C gets
 * the default action and quits at once. Tests inject `io.onInterrupt` instead of real signals.
 */
function interruptSignal(io: CliIO): SignalAbort {
  if (io.onInterrupt === undefined) return abortOnSignals({ onFirst: () => io.stderr.write(STOPPING) });
  const controller = new AbortController();
  const remove = io.onInterrupt(() => {
    io.stderr.write(STOPPING);
    controller.abort();
  });
  return { signal: controller.signal, dispose: remove };
}

/** Rows of `--train-file` (train split only when a split column is named), or undefined without one. */
export async function trainFileRows(args: ParsedArgs, io: CliIO): Promise<LabeledText[] | undefined> {
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
    skipBadRows: args.flags['skip-bad-rows'] === true,
  });
  reportSkipped(dataset.report.skipped, io);
  return [...dataset.splits.train];
}
