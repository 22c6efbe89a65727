/**
 * A small recorded sweep of CARL's hyperparameters (issue 8: "if CARL does not beat the best baseline,
 * investigate temperature, label kernel bandwidth, ρ, λ, queue size before concluding").
 *
 * Each point trains `carl` from the reproduction benchmark's common start with the same budget, then
 * scores valence/arousal with a ridge probe fitted on EmoBank train embeddings and evaluated on EmoBank's
 * **dev** split — never the test split, so choosing a point here does not leak into the reported results.
 *
 * Usage: node dist/sweep.js [--steps 1000] [--seed 1] [--points a,b] [--cache DIR] [--out FILE]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@carl/core';
import { loadEmoBank } from '@carl/datasets';
import { fitRidge, pearson } from '@carl/eval-benchmarks';
import { loadCarlModel, trainCarl, type TrainConfig } from '@carl/trainer';

/** The grid: one or two changes per point (the label temperature's default was 0.1 when the sweep began, 0.03 after it). */
const POINTS: Readonly<Record<string, Partial<TrainConfig>>> = {
  'label-temp-0.1': { labelTemperature: 0.1 },
  'label-temp-0.03': { labelTemperature: 0.03 },
  'label-temp-0.01': { labelTemperature: 0.01 },
  'temp-0.2+label-0.03': { temperature: 0.2, labelTemperature: 0.03 },
  'queue-1024+label-0.03': { queueSize: 1024, labelTemperature: 0.03 },
  'lambda-1+label-0.03': { ptdWeight: 1, labelTemperature: 0.03 },
  'rho-0.3+label-0.03': { perturbRatio: 0.3, labelTemperature: 0.03 },
  'gaussian-kernel': { labelKernel: 'gaussian' },
  'rank-n-contrast': { contrastiveLoss: 'rank-n-contrast' },
  'separate-view+label-0.03': { ptdView: 'separate', labelTemperature: 0.03 },
  'separate-view+lambda-1+label-0.03': { ptdView: 'separate', ptdWeight: 1, labelTemperature: 0.03 },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '1' },
      points: { type: 'string', default: Object.keys(POINTS).join(',') },
      cache: { type: 'string', default: path.join(__dirname, '..', '.cache', 'reproduce') },
      out: { type: 'string', default: path.join(__dirname, '..', 'results', 'reproduce', 'sweep.json') },
    },
  });
  const steps = Number(values.steps);
  const seed = Number(values.seed);
  const cache = path.resolve(values.cache);
  const start = path.join(cache, 'start');
  if (!fs.existsSync(path.join(start, 'config.json'))) throw new Error(`no common start in ${start}: run bench:reproduce first`);
  const backend = await initBackend();
  const emobank = await loadEmoBank();
  const train = emobank.splits.train.filter((r) => r.va !== undefined).slice(0, 3000);
  const dev = (emobank.splits.dev ?? []).filter((r) => r.va !== undefined);
  const previous = fs.existsSync(values.out) ? (JSON.parse(fs.readFileSync(values.out, 'utf8')) as { points: Record<string, unknown> }).points : {};
  const points: Record<string, unknown> = { ...previous };
  for (const name of values.points.split(',')) {
    const config = POINTS[name];
    if (config === undefined) throw new Error(`unknown point ${name}; known: ${Object.keys(POINTS).join(', ')}`);
    const t0 = Date.now();
    const result = await trainCarl(
      { ...config, method: 'carl', init: start, seed, steps, data: ['emobank'], maxLength: 48, checkpointEvery: 1000 },
      { out: path.join(cache, 'sweep', `${name}-seed${seed}`), resume: true, saveModel: true },
    );
    const model = await loadCarlModel(result.modelDir as string);
    const probe = fitRidge(model.embed(train.map((r) => r.text)), train.map((r) => [r.va!.valence, r.va!.arousal]), { seed });
    const predicted = probe.predict(model.embed(dev.map((r) => r.text)));
    model.dispose();
    const last = result.history.slice(-100);
    const mean = (key: string): number => last.reduce((s, h) => s + (h.parts[key] ?? Number.NaN), 0) / last.length;
    points[name] = {
      config,
      devValenceR: pearson(dev.map((r) => r.va!.valence), predicted.map((p) => p[0] as number)),
      devArousalR: pearson(dev.map((r) => r.va!.arousal), predicted.map((p) => p[1] as number)),
      mcclLast100: mean('mccl'),
      ptdLast100: mean('ptd'),
      seconds: (Date.now() - t0) / 1000,
    };
    process.stderr.write(`[sweep] ${name}: ${JSON.stringify(points[name])}\n`);
    fs.mkdirSync(path.dirname(values.out), { recursive: true });
    fs.writeFileSync(values.out, `${JSON.stringify({
      description: 'CARL hyperparameter sweep: ridge probe fitted on 3,000 EmoBank train embeddings, Pearson r on the EmoBank dev split (1,000), one seed',
      date: new Date().toISOString(),
      machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
      backend: backend.backend,
      budget: { steps, seed, batchSize: 32, maxLength: 48, data: 'emobank train' },
      points,
    }, null, 2)}\n`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
