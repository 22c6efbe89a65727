import * as fs from 'node:fs';
import { BACKEND_PREFERENCE, CarlError, type BackendName } from '@carl/core';
import { presets, type RecomputeMode } from '@carl/encoder';
import { suggest } from './suggest';

/**
 * The training methods one trainer runs on the same encoder, data and budget.
 * - `carl`: momentum continuous contrastive learning (MCCL) on VA labels + λ·perturbed-token detection (PTD).
 * - `carl-no-ptd`, `carl-no-momentum`, `carl-discrete`, `carl-random-tokens`: CARL ablations.
 * - `mse-regression`: fine-tune the encoder with a linear VA head under mean squared error.
 * - `simcse`: unsupervised SimCSE (two dropout views, in-batch InfoNCE).
 * - `supcon-binned`: supervised contrastive learning on VA bins (quadrants by default).
 */
export type TrainMethod =
  | 'carl'
  | 'carl-no-ptd'
  | 'carl-no-momentum'
  | 'carl-discrete'
  | 'carl-random-tokens'
  | 'mse-regression'
  | 'simcse'
  | 'supcon-binned';

/** Every method name, in the order reports list them. */
export const TRAIN_METHODS: readonly TrainMethod[] = [
  'carl',
  'carl-no-ptd',
  'carl-no-momentum',
  'carl-discrete',
  'carl-random-tokens',
  'mse-regression',
  'simcse',
  'supcon-binned',
];

/**
 * Every hyperparameter of a training run, flat so that each one is one flag (`--batch-size`) and one
 * JSON key (`batchSize`). {@link DEFAULT_CONFIG} holds the defaults; {@link CONFIG_OPTIONS} documents them.
 */
export interface TrainConfig {
  // — method and model —
  readonly method: TrainMethod;
  readonly preset: string;
  readonly init: string | null;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly pooling: 'mean' | 'cls';
  readonly projectionDim: number;
  readonly projectionLayers: number;
  // — data —
  readonly data: readonly string[];
  readonly dataDir: string | null;
  readonly categorical: 'skip' | 'centroids';
  readonly mixingTemperature: number;
  readonly maxExamples: number;
  readonly bucketPool: number;
  readonly dropLast: boolean;
  // — optimisation —
  readonly steps: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly warmupRatio: number;
  readonly decay: 'linear' | 'cosine' | 'constant';
  readonly minLrRatio: number;
  readonly weightDecay: number;
  readonly adamBeta1: number;
  readonly adamBeta2: number;
  readonly clipNorm: number;
  readonly microBatchSize: number;
  readonly recompute: RecomputeMode | 'auto';
  // — MCCL (contrastive) —
  readonly temperature: number;
  readonly labelKernel: 'softmax' | 'gaussian';
  readonly labelTemperature: number;
  readonly labelDistance: 'l2' | 'l1';
  readonly axisWeights: readonly number[];
  readonly contrastiveLoss: 'soft' | 'weighted-supcon' | 'rank-n-contrast';
  readonly selfPositiveWeight: number;
  readonly bins: number;
  // — momentum target and queue —
  readonly queueSize: number;
  readonly momentum: number;
  readonly momentumSchedule: 'constant' | 'cosine';
  readonly momentumEnd: number;
  // — PTD (saliency perturbation) —
  readonly ptdWeight: number;
  readonly ptdView: 'perturbed' | 'separate';
  readonly perturbRatio: number;
  readonly perturbMin: number;
  readonly perturbMax: number;
  readonly perturbStrategy: 'random' | 'mask' | 'embedding' | 'generator';
  readonly saliencyScore: 'grad-norm' | 'grad-x-input';
  readonly selectionTemperature: number;
  readonly ptdPositiveWeight: number;
  readonly perturbEpsilon: number;
  // — run —
  readonly seed: number;
  readonly backend: 'auto' | BackendName;
  readonly logEvery: number;
  readonly checkpointEvery: number;
  readonly keepCheckpoints: number;
  readonly ridgeAlpha: number;
}

/** Where an option belongs in `--help` and the README. */
export type OptionGroup = 'method and model' | 'data' | 'optimisation' | 'MCCL' | 'momentum and queue' | 'PTD' | 'run';

interface BaseSpec {
  readonly group: OptionGroup;
  /** What it does, its default and why (shown by `--help` and in the README). */
  readonly doc: string;
}

/** How one option is parsed and checked. */
export type OptionSpec =
  | (BaseSpec & { readonly kind: 'enum'; readonly values: readonly string[] })
  | (BaseSpec & {
      readonly kind: 'number';
      readonly integer?: boolean;
      readonly min?: number;
      readonly max?: number;
      /** True when `min` itself is not allowed. */
      readonly exclusiveMin?: boolean;
    })
  | (BaseSpec & { readonly kind: 'boolean' })
  | (BaseSpec & { readonly kind: 'string'; readonly nullable?: boolean })
  | (BaseSpec & { readonly kind: 'string-list'; readonly minItems?: number })
  | (BaseSpec & { readonly kind: 'number-list'; readonly length: number; readonly min?: number });

/** The defaults of every option; see {@link CONFIG_OPTIONS} for why each was chosen. */
export const DEFAULT_CONFIG: TrainConfig = Object.freeze({
  method: 'carl',
  preset: 'tiny',
  init: null,
  vocabSize: 8000,
  maxLength: 64,
  pooling: 'mean',
  projectionDim: 128,
  projectionLayers: 2,
  data: Object.freeze(['emobank', 'fb-valence-arousal']),
  dataDir: null,
  categorical: 'skip',
  mixingTemperature: 1,
  maxExamples: 0,
  bucketPool: 32,
  dropLast: false,
  steps: 0,
  epochs: 1,
  batchSize: 32,
  learningRate: 5e-4,
  warmupRatio: 0.06,
  decay: 'linear',
  minLrRatio: 0,
  weightDecay: 0.01,
  adamBeta1: 0.9,
  adamBeta2: 0.999,
  clipNorm: 1,
  microBatchSize: 0,
  recompute: 'auto',
  temperature: 0.07,
  labelKernel: 'softmax',
  labelTemperature: 0.03,
  labelDistance: 'l2',
  axisWeights: Object.freeze([1, 1]),
  contrastiveLoss: 'soft',
  selfPositiveWeight: 0,
  bins: 2,
  queueSize: 4096,
  momentum: 0.99,
  momentumSchedule: 'constant',
  momentumEnd: 0.999,
  ptdWeight: 0.3,
  ptdView: 'separate',
  perturbRatio: 0.15,
  perturbMin: 1,
  perturbMax: 0,
  perturbStrategy: 'random',
  saliencyScore: 'grad-norm',
  selectionTemperature: 0,
  ptdPositiveWeight: 1,
  perturbEpsilon: 0.1,
  seed: 42,
  backend: 'auto',
  logEvery: 10,
  checkpointEvery: 500,
  keepCheckpoints: 2,
  ridgeAlpha: 0,
} satisfies TrainConfig);

/** The specification of every option: type, range, group and documentation. */
export const CONFIG_OPTIONS: { readonly [K in keyof TrainConfig]: OptionSpec } = {
  method: {
    kind: 'enum',
    values: TRAIN_METHODS,
    group: 'method and model',
    doc: 'Training objective: CARL, one of its ablations, or a baseline. All share encoder, data and budget so their results compare.',
  },
  preset: {
    kind: 'enum',
    values: Object.keys(presets),
    group: 'method and model',
    doc: 'Encoder size to build from scratch when `init` is not given (`tiny` trains on a 2-core CPU; `mini` is larger).',
  },
  init: {
    kind: 'string',
    nullable: true,
    group: 'method and model',
    doc: 'Folder of a Hugging Face–layout encoder (e.g. from `carl pretrain`) to start from; overrides `preset` and `vocabSize`. Default none: a fresh encoder.',
  },
  vocabSize: {
    kind: 'number',
    integer: true,
    min: 64,
    max: 1_000_000,
    group: 'method and model',
    doc: 'WordPiece vocabulary trained on the training texts when starting from scratch (deterministic trainer). 8000 leaves almost no [UNK] on EmoBank + Facebook posts while keeping the embedding table (and its gradient) small.',
  },
  maxLength: {
    kind: 'number',
    integer: true,
    min: 4,
    max: 4096,
    group: 'method and model',
    doc: 'Tokens per text including special tokens; longer texts are truncated. 64 keeps 98% of EmoBank sentences and 93% of the Facebook posts whole (median ≈ 20 tokens); with length bucketing a short batch is not padded to it.',
  },
  pooling: {
    kind: 'enum',
    values: ['mean', 'cls'],
    group: 'method and model',
    doc: 'Sentence embedding of encoders built or loaded by @carl/encoder: masked mean of the last layer, or its first ([CLS]/<s>) vector. Mean, because a briefly trained small encoder has not learned to route the sentence into [CLS]. (An encoder you pass in keeps its own `pooled` output.)',
  },
  projectionDim: {
    kind: 'number',
    integer: true,
    min: 2,
    max: 8192,
    group: 'method and model',
    doc: 'Output size of the projection head the contrastive losses see (the embedding you use is the pooled output before it, as in SimCLR/SimCSE). 128 as in MoCo v2.',
  },
  projectionLayers: {
    kind: 'number',
    integer: true,
    min: 1,
    max: 2,
    group: 'method and model',
    doc: 'Projection head depth: 1 = linear, 2 = dense–ReLU–dense with the encoder’s hidden width (MoCo v2, SimCLR: the MLP head improves the representation below it).',
  },
  data: {
    kind: 'string-list',
    minItems: 1,
    group: 'data',
    doc: 'Training corpora by name (comma-separated on the command line). EmoBank and the Facebook posts carry continuous valence–arousal ratings; categorical corpora need `categorical: centroids`.',
  },
  dataDir: {
    kind: 'string',
    nullable: true,
    group: 'data',
    doc: 'Folder holding the corpora (`<dataDir>/<corpus>/…`). Default: `$CARL_DATA_DIR`; without it @carl/datasets uses its cache and may download the pinned, checksummed files.',
  },
  categorical: {
    kind: 'enum',
    values: ['skip', 'centroids'],
    group: 'data',
    doc: 'What to do with a categorical corpus in `data`: `skip` refuses it (default: its VA points would be a handful of centroids, not ratings); `centroids` maps each category to its VA centroid.',
  },
  mixingTemperature: {
    kind: 'number',
    min: 1,
    max: 1000,
    group: 'data',
    doc: 'Corpus mixing: corpus i is drawn with probability ∝ nᵢ^(1/T). 1 = proportional to size (each sentence once per epoch, the default, so nothing is repeated); large T tends to equal shares (small corpora are oversampled).',
  },
  maxExamples: {
    kind: 'number',
    integer: true,
    min: 0,
    group: 'data',
    doc: 'Cap on training examples per corpus (a seeded sample); 0 = all. For quick experiments and tests.',
  },
  bucketPool: {
    kind: 'number',
    integer: true,
    min: 1,
    max: 100000,
    group: 'data',
    doc: 'Length bucketing: a shuffled pool of this many batches is sorted by length, cut into batches, and the batches shuffled. Less padding (faster steps) while batches stay random; 1 = no bucketing.',
  },
  dropLast: {
    kind: 'boolean',
    group: 'data',
    doc: 'Drop the ragged last batch of each epoch. Default false: every sentence is used (a last batch of one row is merged into the previous one, since a contrastive batch needs two).',
  },
  steps: {
    kind: 'number',
    integer: true,
    min: 0,
    group: 'optimisation',
    doc: 'Optimiser steps; 0 = `epochs` passes over the data. The budget every method shares.',
  },
  epochs: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 10000,
    group: 'optimisation',
    doc: 'Passes over the mixed training data when `steps` is 0 (fractions allowed).',
  },
  batchSize: {
    kind: 'number',
    integer: true,
    min: 2,
    max: 65536,
    group: 'optimisation',
    doc: 'Sentences per step (≥ 2: in-batch contrast needs a second sentence). 32 fits a tiny encoder on a CPU; the queue supplies the negatives a large batch would.',
  },
  learningRate: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 1,
    group: 'optimisation',
    doc: 'Peak AdamW learning rate. 5e-4 suits the small presets trained from scratch (as `pretrainMLM`); use 2e-5–5e-5 for a pretrained base-size `init`.',
  },
  warmupRatio: {
    kind: 'number',
    min: 0,
    max: 0.99,
    group: 'optimisation',
    doc: 'Fraction of the steps spent warming the learning rate up linearly (0.06, as RoBERTa): avoids large early updates while Adam’s moments are noisy.',
  },
  decay: {
    kind: 'enum',
    values: ['linear', 'cosine', 'constant'],
    group: 'optimisation',
    doc: 'Learning-rate shape after warm-up (linear to `minLrRatio`·peak, as BERT).',
  },
  minLrRatio: {
    kind: 'number',
    min: 0,
    max: 1,
    group: 'optimisation',
    doc: 'Floor of the decayed learning rate as a fraction of the peak.',
  },
  weightDecay: {
    kind: 'number',
    min: 0,
    max: 1,
    group: 'optimisation',
    doc: 'Decoupled AdamW weight decay (not on biases and layer norms). 0.01 as BERT.',
  },
  adamBeta1: { kind: 'number', min: 0, max: 0.9999, group: 'optimisation', doc: 'AdamW β₁, the decay of the gradient mean (0.9, standard).' },
  adamBeta2: { kind: 'number', min: 0, max: 0.999999, group: 'optimisation', doc: 'AdamW β₂, the decay of the squared-gradient mean (0.999, standard).' },
  clipNorm: {
    kind: 'number',
    min: 0,
    group: 'optimisation',
    doc: 'Clip the global gradient norm to this value; 0 = off. 1.0 (BERT) tames the occasional spike from a low-temperature softmax.',
  },
  microBatchSize: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 65536,
    group: 'optimisation',
    doc: 'Sentences per forward/backward pass inside one optimiser step; the gradients are exact (the same update as the whole batch at once: keys first, gradient caching for in-batch contrast). 0 = the largest size the memory estimate says fits the backend (the whole batch when it fits). Set it to fit a base-size model in the 4 GiB wasm heap (see the README, “Base-size models”).',
  },
  recompute: {
    kind: 'enum',
    values: ['auto', 'none', 'selective', 'layer'],
    group: 'optimisation',
    doc: 'Activation recomputation of the encoder: `none` keeps what tfjs’s tape keeps; `selective` keeps only what each layer’s matrix products made (a fraction of that) and runs softmax, dropout, LayerNorm and the activation again in a hand-written backward pass (same gradients to float32 rounding, a few per cent more compute); `layer` keeps only each layer’s input and runs the layer again inside its gradient (about a third more compute, least memory); `auto` (default) keeps everything when the whole batch fits, else takes `selective` when it fits a larger micro-batch, and `layer` only when otherwise not even one sentence fits, or only one does and with it at least 4 do.',
  },
  temperature: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 10,
    group: 'MCCL',
    doc: 'τ of the embedding softmax over candidates (0.07, MoCo). Lower sharpens the contrast; too low makes the loss spiky.',
  },
  labelKernel: {
    kind: 'enum',
    values: ['softmax', 'gaussian'],
    group: 'MCCL',
    doc: 'How VA distance becomes target weights: `softmax` of −d/τ_y over candidates (default: always a proper distribution, no anchor is left without positives), or a Gaussian kernel exp(−d²/2σ²) with σ = `labelTemperature`.',
  },
  labelTemperature: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 100,
    group: 'MCCL',
    doc: 'τ_y (or σ) of the label kernel, in VA units ([−1, 1] axes). Two EmoBank labels are a median 0.22 apart (10% of pairs within 0.07). Default 0.03, chosen by the recorded sweep (benchmarks/results/history/sweep-carl-defaults-2026-11-26.json: EmoBank dev valence r .374 at 0.03 against .215 at 0.1 and .319 at 0.01): at 0.1 the targets spread over most of a 4,096-key queue and the loss barely moves.',
  },
  labelDistance: {
    kind: 'enum',
    values: ['l2', 'l1'],
    group: 'MCCL',
    doc: 'Distance between VA labels (Euclidean in the circumplex by default).',
  },
  axisWeights: {
    kind: 'number-list',
    length: 2,
    min: 0,
    group: 'MCCL',
    doc: 'Weights of the valence and arousal axes inside the label distance ([1, 1]: both axes count equally).',
  },
  contrastiveLoss: {
    kind: 'enum',
    values: ['soft', 'weighted-supcon', 'rank-n-contrast'],
    group: 'MCCL',
    doc: 'The continuous-label loss of the CARL methods: `soft` cross-entropy against label-kernel targets (default; every candidate gets a weight, so no anchor lacks positives), thresholded `weighted-supcon`, or `rank-n-contrast` (orders embeddings like labels, no kernel bandwidth).',
  },
  selfPositiveWeight: {
    kind: 'number',
    min: 0,
    max: 1,
    group: 'MCCL',
    doc: 'Target mass of each sentence’s own key (its other view) in the `soft` loss. 0 = weighted by the label kernel like any candidate (distance 0, so the largest weight); α > 0 fixes it at α, keeping instance discrimination when the queue holds many near-identical labels.',
  },
  bins: {
    kind: 'number',
    integer: true,
    min: 2,
    max: 100,
    group: 'MCCL',
    doc: 'Bins per VA axis for `supcon-binned` and `carl-discrete` (2 = the four circumplex quadrants).',
  },
  queueSize: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 10_000_000,
    group: 'momentum and queue',
    doc: 'Keys (with their VA labels) kept from past batches as extra candidates; 0 = none. 4096 ≈ a third of an epoch of EmoBank + Facebook posts: many negatives at batch-32 memory, keys not too stale.',
  },
  momentum: {
    kind: 'number',
    min: 0,
    max: 1,
    group: 'momentum and queue',
    doc: 'EMA coefficient m of the target network (θ_k ← m·θ_k + (1−m)·θ_q). 0.99 rather than MoCo’s 0.999 because runs here are hundreds, not hundreds of thousands, of steps.',
  },
  momentumSchedule: {
    kind: 'enum',
    values: ['constant', 'cosine'],
    group: 'momentum and queue',
    doc: '`cosine` raises m from `momentum` to `momentumEnd` over the run (BYOL), steadying the keys late in training.',
  },
  momentumEnd: {
    kind: 'number',
    min: 0,
    max: 1,
    group: 'momentum and queue',
    doc: 'Final m of the cosine momentum schedule.',
  },
  ptdWeight: {
    kind: 'number',
    min: 0,
    max: 1000,
    group: 'PTD',
    doc: 'λ in MCCL + λ·PTD. 0.3: on the tiny preset from scratch, λ = 1 let the token task dominate the (small) MCCL gradient and cost valence accuracy; 0.1–0.3 kept PTD as a regulariser (see the README, “Measured”).',
  },
  ptdView: {
    kind: 'enum',
    values: ['perturbed', 'separate'],
    group: 'PTD',
    doc: 'Which forward pass gives the MCCL query. `separate` (default): the query comes from a clean online pass and the detection head from a second, perturbed pass, so the contrastive term never learns to ignore the salient (affect-carrying) words it perturbed; chosen by the recorded sweep (EmoBank dev valence r .423 against .374 for `perturbed`, arousal .411 against .425). `perturbed`: one online pass on the perturbed batch serves both the query and the detection head (the perturbation doubles as augmentation; one forward pass cheaper).',
  },
  perturbRatio: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 1,
    group: 'PTD',
    doc: 'ρ: fraction of each sentence’s real tokens (never special or padding tokens) that is perturbed (0.15, as BERT’s masking rate).',
  },
  perturbMin: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 4096,
    group: 'PTD',
    doc: 'At least this many tokens per sentence are perturbed (1, so short sentences still train the detector).',
  },
  perturbMax: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 4096,
    group: 'PTD',
    doc: 'At most this many tokens per sentence; 0 = no cap.',
  },
  perturbStrategy: {
    kind: 'enum',
    values: ['random', 'mask', 'embedding', 'generator'],
    group: 'PTD',
    doc: 'How a selected token is perturbed: `random` vocabulary token (ELECTRA-style replaced-token detection without a generator; default, since detecting [MASK] is trivial), `mask`, `embedding` (a step of size ε along the saliency gradient), or `generator`: a sample from the MLM head of the `init` model (e.g. from `carl pretrain`) at the masked position, as ELECTRA’s generator (plausible replacements, a harder detection task); needs an `init` folder with MLM-head weights.',
  },
  saliencyScore: {
    kind: 'enum',
    values: ['grad-norm', 'grad-x-input'],
    group: 'PTD',
    doc: 'Token saliency from the gradient g of the MCCL loss w.r.t. the token embedding e: ‖g‖₂ (default: independent of the embedding scale) or |g·e|.',
  },
  selectionTemperature: {
    kind: 'number',
    min: 0,
    max: 100,
    group: 'PTD',
    doc: '0 = take the top-ρ salient tokens (default, deterministic given the model); > 0 = sample them without replacement with probability ∝ saliency^(1/T) (more varied perturbations).',
  },
  ptdPositiveWeight: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 1000,
    group: 'PTD',
    doc: 'Weight of perturbed (positive) tokens in the detection cross-entropy; 1 = unweighted as ELECTRA.',
  },
  perturbEpsilon: {
    kind: 'number',
    min: 0,
    exclusiveMin: true,
    max: 100,
    group: 'PTD',
    doc: 'ε: step size of the `embedding` strategy, relative to the embedding’s norm.',
  },
  seed: {
    kind: 'number',
    integer: true,
    min: 0,
    max: 4294967295,
    group: 'run',
    doc: 'Seed of every random choice (init, batches, dropout, perturbation). Same seed and backend → same loss trajectory.',
  },
  backend: {
    kind: 'enum',
    values: ['auto', ...BACKEND_PREFERENCE],
    group: 'run',
    doc: 'Tensor backend; `auto` takes the fastest available (`$CARL_BACKEND` overrides).',
  },
  logEvery: {
    kind: 'number',
    integer: true,
    min: 1,
    group: 'run',
    doc: 'Steps between JSON log lines (when not on a terminal, or with `--log-json`).',
  },
  checkpointEvery: {
    kind: 'number',
    integer: true,
    min: 0,
    group: 'run',
    doc: 'Steps between checkpoints (written atomically); 0 = only at the end. A killed run resumes from the last one.',
  },
  keepCheckpoints: {
    kind: 'number',
    integer: true,
    min: 1,
    max: 1000,
    group: 'run',
    doc: 'How many recent checkpoints to keep (the newest complete one is never deleted).',
  },
  ridgeAlpha: {
    kind: 'number',
    min: 0,
    max: 1e9,
    group: 'run',
    doc: 'L2 penalty of the ridge VA head fitted on the training embeddings after training (so the model predicts valence and arousal). 0 = pick it per axis by 5-fold cross-validation on the training rows (10⁻²…10⁶).',
  },
};

/** A partial configuration with where it came from (see {@link readConfigFile}). */
export interface ConfigLayer {
  readonly values: unknown;
  readonly source: ConfigSource;
}

/** Where a partial configuration came from, so errors can point at it. */
export interface ConfigSource {
  /** The JSON file it was read from (errors then carry its path and the key’s line). */
  readonly file?: string;
  /** The file’s text, to find the line of a key. */
  readonly text?: string;
  /** How errors name a key (the command line passes its flag name, e.g. `--batch-size`). Default: the key. */
  readonly fieldName?: (key: string) => string;
}

/**
 * Checks a partial configuration (parsed JSON, or values from flags) against {@link CONFIG_OPTIONS}
 * and returns it typed. Throws `INVALID_CONFIG` naming the first unknown key, wrong type or
 * out-of-range value (with the file and line when it came from a file).
 *
 * @example
 * ```ts
 * checkPartialConfig({ batchSize: 16, method: 'simcse' }); // ok
 * checkPartialConfig({ batchSize: 1 }); // throws: [batchSize]: must be an integer ≥ 2, got 1
 * ```
 */
export function checkPartialConfig(input: unknown, source: ConfigSource = {}): Partial<TrainConfig> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new CarlError('INVALID_CONFIG', `a configuration must be a JSON object, got ${describeType(input)}`, location(source));
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!Object.hasOwn(CONFIG_OPTIONS, key)) {
      const hint = suggest(key, Object.keys(CONFIG_OPTIONS), { ignoreCase: true });
      throw new CarlError('INVALID_CONFIG', `unknown option "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`, location(source, key));
    }
    const spec = CONFIG_OPTIONS[key as keyof TrainConfig];
    out[key] = checkValue(spec, value, key, source);
  }
  return out as Partial<TrainConfig>;
}

/**
 * Builds a full {@link TrainConfig}: defaults, then each layer in order (e.g. a JSON file, then flags),
 * every layer checked by {@link checkPartialConfig}, then the cross-option rules.
 *
 * @example
 * ```ts
 * const config = resolveConfig({ method: 'carl-no-ptd', steps: 200 });
 * config.batchSize; // 32 (the default)
 * ```
 */
export function resolveConfig(...layers: ReadonlyArray<ConfigLayer | Readonly<Record<string, unknown>>>): TrainConfig {
  let merged: TrainConfig = DEFAULT_CONFIG;
  for (const layer of layers) {
    const { values, source } = isSourced(layer) ? layer : { values: layer, source: {} };
    merged = { ...merged, ...checkPartialConfig(values, source) };
  }
  checkCrossRules(merged);
  return merged;
}

/**
 * Reads and checks a JSON configuration file (a partial {@link TrainConfig}).
 *
 * @example
 * ```ts
 * const config = resolveConfig(readConfigFile('carl.json'), { steps: 10 });
 * ```
 */
export function readConfigFile(file: string): ConfigLayer & { readonly values: Partial<TrainConfig> } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CarlError(code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_CONFIG', code === 'ENOENT' ? 'configuration file not found' : `cannot read configuration file (${code ?? String(error)})`, { file });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const line = position === null ? undefined : lineOfOffset(text, Number(position[1]));
    throw new CarlError('INVALID_CONFIG', `not valid JSON: ${message}`, line === undefined ? { file } : { file, line });
  }
  const source: ConfigSource = { file, text };
  return { values: checkPartialConfig(parsed, source), source };
}

/**
 * The keys of `config` whose values differ from {@link DEFAULT_CONFIG} (for logs and run records).
 *
 * @example
 * ```ts
 * changedOptions(resolveConfig({ steps: 5 })); // { steps: 5 }
 * ```
 */
export function changedOptions(config: TrainConfig): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_CONFIG) as Array<keyof TrainConfig>) {
    if (JSON.stringify(config[key]) !== JSON.stringify(DEFAULT_CONFIG[key])) out[key] = config[key];
  }
  return out as Partial<TrainConfig>;
}

function isSourced(layer: unknown): layer is ConfigLayer {
  return typeof layer === 'object' && layer !== null && 'values' in layer && 'source' in layer && Object.keys(layer).length === 2;
}

function checkValue(spec: OptionSpec, value: unknown, key: string, source: ConfigSource): unknown {
  const fail = (expected: string): never => {
    throw new CarlError('INVALID_CONFIG', `${expected}, got ${describeValue(value)}`, location(source, key));
  };
  switch (spec.kind) {
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail(`must be one of ${spec.values.join(', ')}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail('must be true or false');
      return value;
    case 'string':
      if (value === null && spec.nullable === true) return null;
      if (typeof value !== 'string' || value.trim() === '') fail(spec.nullable === true ? 'must be a non-empty string or null' : 'must be a non-empty string');
      return value;
    case 'string-list': {
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.trim() === '')) fail('must be a list of non-empty strings');
      const list = value as string[];
      if (list.length < (spec.minItems ?? 0)) fail(`must name at least ${spec.minItems} item${spec.minItems === 1 ? '' : 's'}`);
      return Object.freeze([...list]);
    }
    case 'number-list': {
      if (!Array.isArray(value) || value.length !== spec.length || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        fail(`must be a list of ${spec.length} finite numbers`);
      }
      const list = value as number[];
      if (spec.min !== undefined && list.some((v) => v < (spec.min as number))) fail(`must be a list of numbers ≥ ${spec.min}`);
      if (list.every((v) => v === 0)) fail('must not be all zero');
      return Object.freeze([...list]);
    }
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(spec.integer === true ? 'must be an integer' : 'must be a finite number');
      const n = value as number;
      if (spec.integer === true && !Number.isInteger(n)) fail(`must be an integer${rangeText(spec)}`);
      const belowMin = spec.min !== undefined && (spec.exclusiveMin === true ? n <= spec.min : n < spec.min);
      const aboveMax = spec.max !== undefined && n > spec.max;
      if (belowMin || aboveMax) fail(`must be ${spec.integer === true ? 'an integer' : 'a number'}${rangeText(spec)}`);
      return n;
    }
  }
}

function rangeText(spec: Extract<OptionSpec, { kind: 'number' }>): string {
  const lo = spec.min === undefined ? undefined : `${spec.exclusiveMin === true ? '>' : '≥'} ${spec.min}`;
  const hi = spec.max === undefined ? undefined : `≤ ${spec.max}`;
  if (lo !== undefined && hi !== undefined) return ` ${lo} and ${hi}`;
  if (lo !== undefined) return ` ${lo}`;
  if (hi !== undefined) return ` ${hi}`;
  return '';
}

/** Rules between options, checked once everything is merged. */
function checkCrossRules(config: TrainConfig): void {
  const bad = (field: keyof TrainConfig, message: string): never => {
    throw new CarlError('INVALID_CONFIG', message, { field });
  };
  if (config.perturbMax > 0 && config.perturbMax < config.perturbMin) {
    bad('perturbMax', `must be 0 (no cap) or ≥ perturbMin (${config.perturbMin}), got ${config.perturbMax}`);
  }
  if (config.momentumSchedule === 'cosine' && config.momentumEnd < config.momentum) {
    bad('momentumEnd', `must be ≥ momentum (${config.momentum}) for the cosine schedule, got ${config.momentumEnd}`);
  }
  if (config.maxLength < 4) bad('maxLength', 'must leave room for special tokens and text');
  if (new Set(config.data).size !== config.data.length) bad('data', `names a corpus twice: ${config.data.join(', ')}`);
}

function location(source: ConfigSource, key?: string): { file?: string; line?: number; field?: string } {
  const field = key === undefined ? undefined : (source.fieldName?.(key) ?? key);
  const loc: { file?: string; line?: number; field?: string } = {};
  if (source.file !== undefined) loc.file = source.file;
  if (source.file !== undefined && source.text !== undefined && key !== undefined) {
    const line = lineOfKey(source.text, key);
    if (line !== undefined) loc.line = line;
  }
  if (field !== undefined) loc.field = field;
  return loc;
}

function lineOfKey(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`"${escaped}"\\s*:`).exec(text);
  return match === null ? undefined : lineOfOffset(text, match.index);
}

function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < Math.min(offset, text.length); i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function describeType(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  return describeType(value);
}
