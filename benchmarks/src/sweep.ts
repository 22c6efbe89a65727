/**
 * The equal-tuning sweep on its own (grid and protocol in `sweep-grid.ts`; `bench:reproduce` runs the
 * same sweep first unless given `--no-sweep`).
 *
 * Usage: node dist/sweep.js [--steps 1000] [--methods a,b] [--budget 8] [--pretrain-steps 3000] [--cache DIR] [--out FILE]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@carl/core';
import { runSweep, SETTINGS_PER_METHOD, TUNED_METHODS } from './sweep-grid';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '1000' },
      methods: { type: 'string', default: TUNED_METHODS.join(',') },
      budget: { type: 'string', default: String(SETTINGS_PER_METHOD) },
      'pretrain-steps': { type: 'string', default: '3000' },
      'vocab-size': { type: 'string', default: '8000' },
      cache: { type: 'string', default: path.join(__dirname, '..', '.cache', 'reproduce-v2') },
      out: { type: 'string', default: path.join(__dirname, '..', 'results', 'reproduce', 'sweep.json') },
    },
  });
  const backend = await initBackend();
  await runSweep({
    methods: values.methods.split(','),
    budget: Number(values.budget),
    steps: Number(values.steps),
    batchSize: 32,
    maxLength: 48,
    cacheDir: path.resolve(values.cache),
    out: path.resolve(values.out),
    backend: backend.backend,
    start: { pretrainSteps: Number(values['pretrain-steps']), vocabSize: Number(values['vocab-size']) },
    log: (m) => process.stderr.write(`[sweep ${new Date().toISOString().slice(11, 19)}] ${m}\n`),
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
