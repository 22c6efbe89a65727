import * as path from 'node:path';
import { CarlError } from '@carl/core';
import { loadDataset, type DatasetName } from '@carl/datasets';
import { createEncoder, pretrainMLM, trainWordPiece, presets, type PresetName } from '@carl/encoder';
import { DEFAULT_CONFIG } from '../../config';
import { checkDataNames, dataDirFor } from '../../data';
import { createProgress } from '../../progress';
import { optionalInteger, optionalList, optionalString, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { BACKEND_FLAGS, COMMON, jsonProgress, protectFolder, readInputTexts, requirePath, startBackend, type CliIO } from '../options';

export const pretrainCommand: Command = {
  name: 'pretrain',
  summary: 'Pre-train a fresh encoder with masked language modelling (MLM) on corpus texts or your own; the result is an --init for carl train.',
  usage: 'carl pretrain --out DIR [--preset tiny] [--data emobank,...] [--input FILE --text-column C] [--steps N] [--resume] [--force]',
  flags: {
    out: { type: 'string', value: 'DIR', doc: 'Output folder (Hugging Face layout, with checkpoints). Required.' },
    preset: { type: 'string', value: Object.keys(presets).join('|'), doc: 'Encoder shape (default: tiny).' },
    data: { type: 'string', multiple: true, value: 'A,B', doc: 'Corpora whose training texts to use (default: emobank,fb-valence-arousal). Test splits are never used.' },
    input: { type: 'string', value: 'FILE', doc: 'Your own texts instead (.txt one per line, .csv, .tsv, .jsonl).' },
    'text-column': COMMON.textColumn,
    'skip-bad-rows': COMMON.skipBadRows,
    'data-dir': { type: 'string', value: 'DIR', doc: 'Folder holding the corpora (default: $CARL_DATA_DIR).' },
    steps: { type: 'string', value: 'N', doc: 'Optimiser steps (default: 1000).' },
    'batch-size': { type: 'string', value: 'N', doc: 'Texts per step (default: 32).' },
    'max-length': { type: 'string', value: 'N', doc: 'Tokens per text (default: 64).' },
    'learning-rate': { type: 'string', value: 'X', doc: 'Peak learning rate (default: 5e-4).' },
    'vocab-size': { type: 'string', value: 'N', doc: 'WordPiece vocabulary trained on the texts (default: 8000).' },
    seed: { type: 'string', value: 'N', doc: 'Seed (default: 42).' },
    resume: { type: 'boolean', doc: 'Continue from the newest checkpoint in --out.' },
    force: { type: 'boolean', doc: 'Replace what --out holds.' },
    'log-json': COMMON.logJson,
    ...BACKEND_FLAGS,
    help: COMMON.help,
  },
  positionals: false,
  async run(args, io) {
    const out = requirePath(args, io, 'out', 'pretrain');
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
    const json = jsonProgress(args, io);
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

async function pretrainTexts(args: ParsedArgs, io: CliIO): Promise<string[]> {
  const input = optionalString(args, 'input');
  if (input !== undefined) return (await readInputTexts(path.resolve(io.cwd, input), args, io)).map((r) => r.text);
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
