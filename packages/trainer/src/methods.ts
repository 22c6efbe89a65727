import type { TrainMethod } from './config';

/** The sentence objectives that contrast embeddings (all but regression). */
export type ContrastiveObjective = 'mccl' | 'supcon' | 'infonce';

/** What a training method is made of; every method runs on the same encoder, data and budget. */
export interface MethodTraits {
  /** Sentence-level objective. */
  readonly objective: ContrastiveObjective | 'mse';
  /**
   * Where the keys come from: a momentum (EMA) target network, a second dropout view of the online
   * network itself (with gradient, as SimCSE), or none (regression).
   */
  readonly keys: 'momentum' | 'second-view' | 'none';
  /** Whether past keys with their labels join the candidates. */
  readonly queue: boolean;
  /** Perturbed-token detection: tokens chosen by saliency, uniformly at random, or no PTD. */
  readonly ptd: 'salient' | 'random' | 'none';
  /** One line for `--help` and reports. */
  readonly summary: string;
}

/**
 * The recipe of each method. CARL = MCCL (soft continuous-label contrast against momentum keys and a
 * labelled queue) + λ·PTD (detect the tokens perturbed where the MCCL gradient is largest); each
 * ablation changes exactly one ingredient.
 *
 * @example
 * ```ts
 * METHOD_TRAITS['carl-no-ptd'].ptd; // 'none'
 * ```
 */
export const METHOD_TRAITS: Readonly<Record<TrainMethod, MethodTraits>> = {
  carl: {
    objective: 'mccl',
    keys: 'momentum',
    queue: true,
    ptd: 'salient',
    summary: 'CARL: momentum continuous contrastive learning on VA labels + λ·perturbed-token detection on salient tokens',
  },
  'carl-no-ptd': {
    objective: 'mccl',
    keys: 'momentum',
    queue: true,
    ptd: 'none',
    summary: 'CARL without perturbed-token detection (MCCL only; the query is a dropout view of the clean sentence)',
  },
  'carl-no-momentum': {
    objective: 'mccl',
    keys: 'second-view',
    queue: false,
    ptd: 'salient',
    summary: 'CARL without momentum target and queue: keys are a second dropout view of the online encoder, in-batch only',
  },
  'carl-discrete': {
    objective: 'supcon',
    keys: 'momentum',
    queue: true,
    ptd: 'salient',
    summary: 'CARL with discrete VA bins (SupCon positives = same bin) instead of continuous label weights',
  },
  'carl-random-tokens': {
    objective: 'mccl',
    keys: 'momentum',
    queue: true,
    ptd: 'random',
    summary: 'CARL perturbing uniformly random tokens (same budget ρ) instead of salient ones',
  },
  'mse-regression': {
    objective: 'mse',
    keys: 'none',
    queue: false,
    ptd: 'none',
    summary: 'baseline: fine-tune the encoder with a linear VA head under mean squared error',
  },
  simcse: {
    objective: 'infonce',
    keys: 'second-view',
    queue: false,
    ptd: 'none',
    summary: 'baseline: unsupervised SimCSE (two dropout views, in-batch InfoNCE)',
  },
  'supcon-binned': {
    objective: 'supcon',
    keys: 'second-view',
    queue: false,
    ptd: 'none',
    summary: 'baseline: supervised contrastive learning on VA bins (quadrants with bins = 2), two dropout views',
  },
};
