import * as path from 'node:path';
import { currentBackend, writeFileAtomic } from '@carl/core';
import { DEFAULT_TASKS, evaluate, formatTable, loadTaskFile, type TaskSpec } from '@carl/eval-benchmarks';
import { createStatusLog } from '../../progress';
import { optionalInteger, optionalList, optionalString } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { BACKEND_FLAGS, COMMON, outputFile, requirePath, withModel } from '../options';

export const evalCommand: Command = {
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
    force: COMMON.force,
    ...BACKEND_FLAGS,
    help: COMMON.help,
  },
  positionals: false,
  async run(args, io) {
    const modelDir = requirePath(args, io, 'model', 'eval');
    const taskFile = optionalString(args, 'task-file');
    const named = optionalList(args, 'tasks');
    const tasks: Array<string | TaskSpec> = [...(named ?? (taskFile === undefined ? DEFAULT_TASKS : []))];
    if (taskFile !== undefined) tasks.push(...loadTaskFile(path.resolve(io.cwd, taskFile)));
    const out = outputFile(args, io);
    const dataDir = optionalString(args, 'data-dir');
    const seed = optionalInteger(args, 'seed', 0) ?? 0;
    const maxTrain = optionalInteger(args, 'max-train', 1);
    const maxTest = optionalInteger(args, 'max-test', 1);
    const batchSize = optionalInteger(args, 'batch-size', 1) ?? 64;
    // On a terminal every message redraws one status line; in a log only the start of each task is kept.
    let started = 0;
    const status = createStatusLog({
      label: 'eval',
      stream: io.stderr,
      keep: (message) => {
        if (!message.endsWith(': loading')) return undefined;
        started++;
        return `task ${started}/${tasks.length} ${message.replace(/: loading$/, '')}`;
      },
    });
    return withModel(args, modelDir, async (model) => {
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
        onProgress: status.write,
      });
      status.done(`${report.tasks.length} task${report.tasks.length === 1 ? '' : 's'} in ${Math.round(report.seconds)}s`);
      const text = JSON.stringify(report, null, 1);
      if (out !== undefined) writeFileAtomic(out, `${text}\n`);
      io.stdout.write(args.flags['json'] === true ? `${text}\n` : `${formatTable(report)}\n`);
      return EXIT_CODES.ok;
    });
  },
};
