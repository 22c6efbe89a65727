/**
 * Equal tuning for every trained method (issue 12): one protocol, the same budget of settings per
 * method, chosen on EmoBank **dev** (never a test split), seed 1, from the first tiny common start.
 *
 * Every method gets `SETTINGS_PER_METHOD` settings: the learning rate for all, plus the knobs that exist
 * for it — temperature (simcse, supcon-binned, carl), label temperature, λ (PTD weight), ρ (perturbation
 * ratio) and the PTD strategy (`generator`: MLM-head samples) for carl. A setting's score is the mean of
 * dev Pearson r for valence and arousal from a ridge probe on 3,000 EmoBank train embeddings; the best
 * setting per method (by its own dev score) is what `bench:reproduce` trains with. When that setting's learning
 * rate is the lowest or highest the method tried, the sweep goes one step further along {@link LR_LADDER} with the
 * setting's other knobs, up to {@link EDGE_STEPS} times (the same rule for every method), so no method is
 * reported at an optimum its grid cut off. CARL's ablations use
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

/** The learning rates a sweep steps along past a grid's edge. */
export const LR_LADDER = [5e-6, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2];

/** Steps past a grid edge, at most, per method. */
export const EDGE_STEPS = 2;

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
 * Whether a learning rate is the lowest or highest of those a method tried (undefined: inside them, or fewer
 * than two tried): the optimum may then lie outside, which the sweep extends past and the report says.
 *
 * @example
 * ```ts
 * learningRateEdge(2e-3, [1e-5, 1e-4, 2e-3]); // 'highest'
 * ```
 */
export function learningRateEdge(learningRate: number | undefined, tried: readonly number[]): 'lowest' | 'highest' | undefined {
  if (learningRate === undefined || new Set(tried).size < 2) return undefined;
  if (learningRate === Math.max(...tried)) return 'highest';
  if (learningRate === Math.min(...tried)) return 'lowest';
  return undefined;
}

/**
 * The setting one ladder step past the edge `best` sits on (its other knobs kept), or undefined when `best` is
 * inside the rates tried or the ladder ends.
 *
 * @example
 * ```ts
 * beyondEdge({ learningRate: 1e-3 }, [2e-4, 5e-4, 1e-3]); // { learningRate: 2e-3 }
 * ```
 */
export function beyondEdge(best: Readonly<Partial<TrainConfig>>, tried: readonly number[]): Partial<TrainConfig> | undefined {
  const edge = learningRateEdge(best.learningRate, tried);
  if (edge === undefined) return undefined;
  const i = LR_LADDER.indexOf(best.learningRate as number);
  const next = i < 0 ? undefined : LR_LADDER[edge === 'highest' ? i + 1 : i - 1];
  return next === undefined ? undefined : { ...best, learningRate: next };
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

/** The cell with the highest dev score; ties keep the earlier one (the grids list the library default region first). */
function bestOf(cells: readonly SweepCell[]): SweepCell | undefined {
  let best: SweepCell | undefined;
  for (const cell of cells) if (Number.isFinite(cell.devScore) && (best === undefined || cell.devScore > best.devScore)) best = cell;
  return best;
}

/** A short, stable name for a setting, e.g. `learningRate=0.0005,temperature=0.2`. */
export function settingName(config: Partial<TrainConfig>): string {
  return Object.entries(config).map(([k, v]) => `${k}=${String(v)}`).join(',');
}

/** Runs (or resumes) the sweep for `methods` and writes `sweep.json`; returns its content. */
export async function runSweep(options: SweepOptions): Promise<SweepFile> {
  const start = await commonStart({ cacheDir: options.cacheDir, preset: 'tiny', start: 1, pretrainSteps: options.start.pretrainSteps, vocabSize: options.start.vocabSize, maxLength: options.maxLength, log: options.log });
  const { cells, best } = await sweepMethods(
    options.methods.filter((m) => m in SWEEP).map((method) => ({ method, grid: (SWEEP[method] ?? []).slice(0, options.budget) })),
    { ...options, start, cacheSubdir: 'sweep' },
  );
  return writeSweepFile(options, cells, best, {
    description: `Equal tuning: ${options.budget} settings per trained method on the first tiny common start, seed ${SWEEP_SEED}, plus up to ${EDGE_STEPS} learning-rate steps past a grid edge the best setting sits on (same rule for every method); score = mean dev Pearson r (valence, arousal) of a ridge probe fitted on 3,000 EmoBank train embeddings, on the EmoBank dev split (1,000). The best setting per method is the one bench:reproduce trains with; CARL's ablations use CARL's.`,
    budget: { settingsPerMethod: options.budget },
  });
}

/**
 * The learning rates a larger preset tries for a method tuned on tiny: the tiny-tuned rate and the next lower
 * rung of {@link LR_LADDER} (a wider, deeper encoder usually wants a smaller step), other knobs kept; the
 * sweep then steps past whichever edge wins, as on tiny.
 *
 * @example
 * ```ts
 * presetGrid({ learningRate: 2e-3, temperature: 0.1 }); // [{ learningRate: 2e-3, temperature: 0.1 }, { learningRate: 1e-3, temperature: 0.1 }]
 * ```
 */
export function presetGrid(tuned: Readonly<Partial<TrainConfig>>): Partial<TrainConfig>[] {
  const i = LR_LADDER.indexOf(tuned.learningRate ?? Number.NaN);
  const lower = i > 0 ? LR_LADDER[i - 1] : undefined;
  return [{ ...tuned }, ...(lower === undefined ? [] : [{ ...tuned, learningRate: lower }])];
}

/** Options of {@link runPresetSweep}. */
export interface PresetSweepOptions extends Omit<SweepOptions, 'budget'> {
  /** The larger preset (its first common start is tuned on). */
  readonly preset: string;
  /** What the tiny sweep chose per method: the settings the preset's learning rates start from. */
  readonly tuned: SweepFile['best'];
}

/**
 * Learning-rate tuning of the methods a larger preset runs (issue 12's equal tuning, per preset): a setting tuned
 * on tiny need not suit a 4-layer, 256-wide encoder (at tiny's 2e-3 both CARL and MSE regression collapsed on
 * `mini`: every embedding alike). Every method gets the same {@link presetGrid} plus the edge rule, on the
 * preset's first start, seed 1, EmoBank dev; cells cached under `<cache>/sweep@<preset>/`, recorded in `out`.
 */
export async function runPresetSweep(options: PresetSweepOptions): Promise<SweepFile> {
  const start = await commonStart({ cacheDir: options.cacheDir, preset: options.preset, start: 1, pretrainSteps: options.start.pretrainSteps, vocabSize: options.start.vocabSize, maxLength: options.maxLength, log: options.log });
  const plans = options.methods.flatMap((method) => {
    const tuned = options.tuned[method];
    return tuned === undefined ? [] : [{ method, grid: presetGrid(tuned.config) }];
  });
  const { cells, best } = await sweepMethods(plans, { ...options, start, cacheSubdir: `sweep@${options.preset}` });
  return writeSweepFile(options, cells, best, {
    description: `Learning-rate tuning on the ${options.preset} preset: per method, the learning rate tuned on tiny and the next lower rung (other knobs as tuned on tiny), plus up to ${EDGE_STEPS} steps past the edge the best sits on; first ${options.preset} common start, seed ${SWEEP_SEED}, scored on EmoBank dev as the tiny sweep. The best setting per method is what bench:reproduce trains the ${options.preset} rows with.`,
    budget: { settingsPerMethod: 2, preset: options.preset },
  });
}

const SWEEP_SEED = 1;

/** Runs each method's grid, then up to EDGE_STEPS learning-rate steps past the edge its best sits on. */
async function sweepMethods(
  plans: readonly { readonly method: string; readonly grid: readonly Partial<TrainConfig>[] }[],
  options: Pick<SweepOptions, 'cacheDir' | 'steps' | 'batchSize' | 'maxLength' | 'log'> & { readonly start: string; readonly cacheSubdir: string },
): Promise<{ cells: SweepCell[]; best: Record<string, { setting: string; config: Partial<TrainConfig>; devScore: number }> }> {
  const runCell = async (method: string, config: Partial<TrainConfig>): Promise<SweepCell> => {
    const setting = settingName(config);
    const dir = path.join(options.cacheDir, options.cacheSubdir, method, setting.replace(/[^\w.=,-]/g, '_'));
    const done = path.join(dir, 'cell.json');
    if (fs.existsSync(done)) return JSON.parse(fs.readFileSync(done, 'utf8')) as SweepCell;
    options.log(`${options.cacheSubdir} ${method} ${setting}`);
    const t0 = Date.now();
    const out = path.join(dir, 'train');
    const result = await trainCarl(
      { ...config, method: method as TrainConfig['method'], init: options.start, seed: SWEEP_SEED, steps: options.steps, batchSize: options.batchSize, maxLength: options.maxLength, data: ['emobank'], checkpointEvery: 250, logEvery: 100 },
      { out, resume: fs.existsSync(out), saveModel: true },
    );
    if (result.modelDir === undefined) throw new Error(`${options.cacheSubdir} ${method} ${setting} did not complete`);
    const model = await openModel(result.modelDir, options.maxLength);
    const dev = await emobankDevScore(model, SWEEP_SEED);
    model.dispose();
    const cell: SweepCell = { method, setting, config, devValenceR: dev.valence, devArousalR: dev.arousal, devScore: dev.score, finalLoss: result.history.at(-1)?.loss ?? null, seconds: (Date.now() - t0) / 1000 };
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(done, JSON.stringify(cell));
    options.log(`  dev V r ${dev.valence.toFixed(3)} A r ${dev.arousal.toFixed(3)}`);
    return cell;
  };
  const cells: SweepCell[] = [];
  const best: Record<string, { setting: string; config: Partial<TrainConfig>; devScore: number }> = {};
  for (const { method, grid } of plans) {
    const mine: SweepCell[] = [];
    for (const config of grid) mine.push(await runCell(method, config));
    // Past a grid edge, the same rule for every method: at most EDGE_STEPS steps along the ladder.
    for (let step = 0; step < EDGE_STEPS; step++) {
      const top = bestOf(mine);
      const next = top === undefined ? undefined : beyondEdge(top.config, mine.map((c) => c.config.learningRate).filter((r): r is number => r !== undefined));
      if (next === undefined) break;
      mine.push(await runCell(method, next));
    }
    const top = bestOf(mine);
    if (top !== undefined) best[method] = { setting: top.setting, config: top.config, devScore: top.devScore };
    cells.push(...mine);
  }
  return { cells, best };
}

function writeSweepFile(
  options: Pick<SweepOptions, 'out' | 'backend' | 'steps' | 'batchSize' | 'maxLength'>,
  cells: readonly SweepCell[],
  best: SweepFile['best'],
  what: { readonly description: string; readonly budget: Record<string, unknown> },
): SweepFile {
  const file: SweepFile = {
    description: what.description,
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, node: process.version },
    backend: options.backend,
    budget: { ...what.budget, edgeSteps: EDGE_STEPS, learningRateLadder: LR_LADDER, steps: options.steps, seed: SWEEP_SEED, batchSize: options.batchSize, maxLength: options.maxLength, data: 'emobank train' },
    cells,
    best,
  };
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, `${JSON.stringify(file, null, 2)}\n`);
  return file;
}
