/**
 * Equal tuning for every trained method (issue 12): one protocol, the same budget of settings per
 * method, chosen on EmoBank **dev** (never a test split), seed 1, from the first tiny common start.
 *
 * Every method gets `SETTINGS_PER_METHOD` settings: the learning rate for all, plus the knobs that exist
 * for it — temperature (simcse, supcon-binned, carl), label temperature, λ (PTD weight), ρ (perturbation
 * ratio) and the PTD strategy (`generator`: MLM-head samples) for carl. A setting's score is the mean of
 * dev Pearson r for valence and arousal from a ridge probe on 3,000 EmoBank train embeddings; the best
 * setting per method (by its own dev score) is what `bench:reproduce` trains with. CARL's ablations use
 * CARL's tuned setting (they are CARL with one part switched off); `none` and `tfidf` have nothing to
 * train (the probes tune their penalties by cross-validation on training rows). Every cell is cached
 * (`<cache>/sweep/<method>/<setting>/`) and recorded in `sweep.json`.
 *
 * Run by `bench:reproduce` first (unless `--no-sweep`), or alone with `node dist/sweep.js`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainCarl, type TrainConfig } from '@carl/trainer';
import { commonStart, emobankDevScore, openModel } from './repro-common';

/** Settings per method: the same budget for every method. */
export const SETTINGS_PER_METHOD = 8;

const LR8 = [1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3];

/** The sweep grid, `SETTINGS_PER_METHOD` settings per trained method. */
export const SWEEP: Readonly<Record<string, readonly Readonly<Partial<TrainConfig>>[]>> = {
  'mse-regression': LR8.map((learningRate) => ({ learningRate })),
  simcse: [1e-4, 5e-4, 1e-3, 2e-3].flatMap((learningRate) => [0.05, 0.1].map((temperature) => ({ learningRate, temperature }))),
  'supcon-binned': [1e-4, 5e-4, 1e-3, 2e-3].flatMap((learningRate) => [0.07, 0.2].map((temperature) => ({ learningRate, temperature }))),
  carl: [
    { learningRate: 2e-4 },
    { learningRate: 5e-4 },
    { learningRate: 1e-3 },
    { learningRate: 5e-4, temperature: 0.2 },
    { learningRate: 5e-4, labelTemperature: 0.1 },
    { learningRate: 5e-4, ptdWeight: 1 },
    { learningRate: 5e-4, perturbRatio: 0.3 },
    { learningRate: 5e-4, perturbStrategy: 'generator' },
  ],
};

/** Methods the sweep tunes; the others inherit (ablations ← carl) or have nothing to tune. */
export const TUNED_METHODS = Object.keys(SWEEP);

/** Which tuned method's setting a method uses. */
export function tunedFrom(method: string): string | undefined {
  if (method in SWEEP) return method;
  if (method.startsWith('carl-')) return 'carl';
  return undefined;
}

/**
 * Whether a tuned setting's learning rate is the lowest or highest its method's grid tried (within the
 * budget): the optimum may then lie outside the grid, which the report says rather than hides.
 *
 * @example
 * ```ts
 * learningRateEdge('mse-regression', { learningRate: 2e-3 }, 8); // 'highest'
 * ```
 */
export function learningRateEdge(method: string, config: Partial<TrainConfig>, budget: number): 'lowest' | 'highest' | undefined {
  const rates = (SWEEP[method] ?? []).slice(0, budget).map((c) => c.learningRate).filter((r): r is number => r !== undefined);
  if (config.learningRate === undefined || new Set(rates).size < 2) return undefined;
  if (config.learningRate === Math.max(...rates)) return 'highest';
  if (config.learningRate === Math.min(...rates)) return 'lowest';
  return undefined;
}

/** One cell of the sweep. */
export interface SweepCell {
  readonly method: string;
  readonly setting: string;
  readonly config: Partial<TrainConfig>;
  readonly devValenceR: number;
  readonly devArousalR: number;
  /** Mean of the two: what the best setting is chosen by. */
  readonly devScore: number;
  readonly finalLoss: number | null;
  readonly seconds: number;
}

/** What `sweep.json` holds. */
export interface SweepFile {
  readonly description: string;
  readonly date: string;
  readonly machine: Record<string, unknown>;
  readonly backend: string;
  readonly budget: Record<string, unknown>;
  readonly cells: readonly SweepCell[];
  /** Per tuned method: the chosen setting and its config. */
  readonly best: Readonly<Record<string, { readonly setting: string; readonly config: Partial<TrainConfig>; readonly devScore: number }>>;
}

/** Options of {@link runSweep}. */
export interface SweepOptions {
  readonly methods: readonly string[];
  readonly budget: number;
  readonly steps: number;
  readonly batchSize: number;
  readonly maxLength: number;
  readonly cacheDir: string;
  readonly out: string;
  readonly backend: string;
  readonly start: { readonly pretrainSteps: number; readonly vocabSize: number };
  readonly log: (m: string) => void;
}

/** A short, stable name for a setting, e.g. `learningRate=0.0005,temperature=0.2`. */
export function settingName(config: Partial<TrainConfig>): string {
  return Object.entries(config).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** Runs (or resumes) the sweep for `methods` and writes `sweep.json`; returns its content. */
export async function runSweep(options: SweepOptions): Promise<SweepFile> {
  const start = await commonStart({ cacheDir: options.cacheDir, preset: 'tiny', start: 1, pretrainSteps: options.start.pretrainSteps, vocabSize: options.start.vocabSize, maxLength: options.maxLength, log: options.log });
  const cells: SweepCell[] = [];
  const seed = 1;
  for (const method of options.methods.filter((m) => m in SWEEP)) {
    for (const config of (SWEEP[method] ?? []).slice(0, options.budget)) {
      const setting = settingName(config);
      const dir = path.join(options.cacheDir, 'sweep', method, setting.replace(/[^\w.=,-]/g, '_'));
      const done = path.join(dir, 'cell.json');
      if (fs.existsSync(done)) {
        cells.push(JSON.parse(fs.readFileSync(done, 'utf8')) as SweepCell);
        continue;
      }
      options.log(`sweep ${method} ${setting}`);
      const t0 = Date.now();
      const out = path.join(dir, 'train');
      const result = await trainCarl(
        { ...config, method: method as TrainConfig['method'], init: start, seed, steps: options.steps, batchSize: options.batchSize, maxLength: options.maxLength, data: ['emobank'], checkpointEvery: 250, logEvery: 100 },
        { out, resume: fs.existsSync(out), saveModel: true },
      );
      if (result.modelDir === undefined) throw new Error(`sweep ${method} ${setting} did not complete`);
      const model = await openModel(result.modelDir, options.maxLength);
      const dev = await emobankDevScore(model, seed);
      model.dispose();
      const cell: SweepCell = { method, setting, config, devValenceR: dev.valence, devArousalR: dev.arousal, devScore: dev.score, finalLoss: result.history.at(-1)?.loss ?? null, seconds: (Date.now() - t0) / 1000 };
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(done, JSON.stringify(cell));
      options.log(`  dev V r ${dev.valence.toFixed(3)} A r ${dev.arousal.toFixed(3)}`);
      cells.push(cell);
    }
  }
  const best: Record<string, { setting: string; config: Partial<TrainConfig>; devScore: number }> = {};
  for (const cell of cells) {
    const current = best[cell.method];
    // Ties keep the earlier setting (the grids list the library default region first).
    if (Number.isFinite(cell.devScore) && (current === undefined || cell.devScore > current.devScore)) best[cell.method] = { setting: cell.setting, config: cell.config, devScore: cell.devScore };
  }
  const file: SweepFile = {
    description: `Equal tuning: ${options.budget} settings per trained method on the first tiny common start, seed ${seed}; score = mean dev Pearson r (valence, arousal) of a ridge probe fitted on 3,000 EmoBank train embeddings, on the EmoBank dev split (1,000). The best setting per method is the one bench:reproduce trains with; CARL's ablations use CARL's.`,
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
    backend: options.backend,
    budget: { settingsPerMethod: options.budget, steps: options.steps, seed, batchSize: options.batchSize, maxLength: options.maxLength, data: 'emobank train' },
    cells,
    best,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}

