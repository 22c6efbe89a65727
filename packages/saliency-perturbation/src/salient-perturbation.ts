import type * as tf from '@tensorflow/tfjs-core';
import { CarlError, disposeInputs, toEncoderInputs } from '@carl/core';
import type { Encoder, EncoderInputs, ForwardOptions, Random, TokenizedBatch } from '@carl/core';
import { perturbTokens, type EmbeddingPerturbation, type IdPerturbation, type TokenGenerator } from './perturbation';
import { tokenSaliency, type SaliencyLoss, type SaliencyScore, type TokenSaliency } from './saliency';
import { selectTokens, type SelectionBudget, type SelectionMethod } from './selection';

/**
 * The replacement rule for {@link perturbSalientTokens}; ids it does not name (mask, specials,
 * vocabulary size) come from the encoder's tokenizer.
 */
export type PerturbationSpec =
  | { readonly strategy: 'mask' }
  | { readonly strategy: 'random'; readonly avoidOriginal?: boolean }
  /** `maskInput` (default true): the generator sees the selected positions masked, as in ELECTRA. */
  | { readonly strategy: 'generator'; readonly generator: TokenGenerator; readonly maskInput?: boolean }
  | { readonly strategy: 'embedding'; readonly epsilon: number; readonly direction?: 'l2' | 'sign'; readonly epsilonMode?: 'absolute' | 'relative' };

/** Options of {@link perturbSalientTokens}. */
export interface SalientPerturbationOptions extends SelectionBudget {
  readonly encoder: Encoder;
  /** The tokenised batch (its special-token mask keeps [CLS], [SEP] and padding out). */
  readonly batch: TokenizedBatch;
  /** Tensors of `batch` if the caller already has them (not disposed); built and freed otherwise. */
  readonly inputs?: EncoderInputs;
  /** The loss whose gradient defines saliency (the trainer's MCCL loss). */
  readonly loss: SaliencyLoss;
  readonly perturbation: PerturbationSpec;
  /** Default `grad-norm`. */
  readonly score?: SaliencyScore;
  /** Default `top`; `random` is the same-budget ablation baseline. */
  readonly selection?: SelectionMethod;
  /** For `selection: 'sample'`. Default 1. */
  readonly temperature?: number;
  /** Needed by `sample`/`random` selection and the `random` and `generator` strategies. */
  readonly rng?: Random;
  readonly forwardOptions?: ForwardOptions;
  /** Differentiate these parameters in the same backward pass (see `tokenSaliency`). */
  readonly variables?: ReadonlyMap<string, tf.Variable>;
}

/** What {@link perturbSalientTokens} returns; dispose `perturbed`'s tensors and `saliency.grads` when done. */
export interface SalientPerturbation<P extends IdPerturbation | EmbeddingPerturbation = IdPerturbation | EmbeddingPerturbation> {
  readonly saliency: TokenSaliency;
  readonly selected: number[][];
  readonly perturbed: P;
}

/**
 * One PTD data step: saliency of `loss` → top-ρ (or sampled, or random) tokens → perturbation,
 * with the mask id, special ids and vocabulary size taken from the encoder's tokenizer.
 *
 * @example
 * ```ts
 * const { perturbed, saliency } = perturbSalientTokens({
 *   encoder, batch, loss: (out) => mcclLoss(out.pooled), perturbation: { strategy: 'mask' }, ratio: 0.15,
 * });
 * const logits = head.forward(encoder.forward(toEncoderInputs({ ...batch, inputIds: perturbed.inputIds })).hiddenStates);
 * ```
 */
export function perturbSalientTokens(
  options: SalientPerturbationOptions & { readonly perturbation: { readonly strategy: 'embedding' } },
): SalientPerturbation<EmbeddingPerturbation>;
export function perturbSalientTokens(
  options: SalientPerturbationOptions & { readonly perturbation: { readonly strategy: 'mask' | 'random' | 'generator' } },
): SalientPerturbation<IdPerturbation>;
export function perturbSalientTokens(options: SalientPerturbationOptions): SalientPerturbation;
export function perturbSalientTokens(options: SalientPerturbationOptions): SalientPerturbation {
  const { encoder, batch, perturbation: spec } = options;
  const tokens = encoder.tokenizer.specialTokens;
  const specialTokenIds = [tokens.pad, tokens.unk, tokens.cls, tokens.sep, tokens.mask].filter((id): id is number => id !== undefined);
  const needsMask = spec.strategy === 'mask' || (spec.strategy === 'generator' && spec.maskInput !== false);
  if (needsMask && tokens.mask === undefined) {
    throw new CarlError('INVALID_CONFIG', `the ${spec.strategy} strategy needs a mask token, and this tokenizer has none`, { field: 'perturbation.strategy' });
  }

  // Fail before the (costly) gradient pass rather than after it.
  const stochastic =
    spec.strategy === 'random' || spec.strategy === 'generator'
      ? `the ${spec.strategy} strategy`
      : options.selection === 'sample' || options.selection === 'random' ? `${options.selection} selection` : undefined;
  if (stochastic !== undefined && options.rng === undefined) {
    throw new CarlError('INVALID_ARGUMENT', `${stochastic} needs a seeded rng (a Random from @carl/core)`, { field: 'rng' });
  }

  const inputs = options.inputs ?? toEncoderInputs(batch);
  let saliency: TokenSaliency;
  try {
    saliency = tokenSaliency({
      encoder,
      inputs,
      loss: options.loss,
      specialTokensMask: batch.specialTokensMask,
      keepTensors: spec.strategy === 'embedding',
      ...(options.score === undefined ? {} : { score: options.score }),
      ...(options.forwardOptions === undefined ? {} : { forwardOptions: options.forwardOptions }),
      ...(options.variables === undefined ? {} : { variables: options.variables }),
    });
  } finally {
    if (options.inputs === undefined) disposeInputs(inputs);
  }

  const { gradient, embeddings, ...kept } = saliency;
  try {
    const selected = selectTokens({
      scores: saliency.scores,
      candidates: saliency.candidates,
      method: options.selection ?? 'top',
      ...(options.ratio === undefined ? {} : { ratio: options.ratio }),
      ...(options.minTokens === undefined ? {} : { minTokens: options.minTokens }),
      ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
      ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
      ...(options.rng === undefined ? {} : { rng: options.rng }),
    });
    const base = { selected, candidates: saliency.candidates };
    let perturbed: IdPerturbation | EmbeddingPerturbation;
    switch (spec.strategy) {
      case 'mask':
        perturbed = perturbTokens({ ...base, strategy: 'mask', inputIds: batch.inputIds, maskTokenId: tokens.mask as number });
        break;
      case 'random':
        perturbed = perturbTokens({
          ...base,
          strategy: 'random',
          inputIds: batch.inputIds,
          vocabSize: encoder.tokenizer.vocabSize,
          specialTokenIds,
          rng: options.rng as Random,
          ...(spec.avoidOriginal === undefined ? {} : { avoidOriginal: spec.avoidOriginal }),
        });
        break;
      case 'generator':
        perturbed = perturbTokens({
          ...base,
          strategy: 'generator',
          inputIds: batch.inputIds,
          generator: spec.generator,
          rng: options.rng as Random,
          specialTokenIds,
          vocabSize: encoder.tokenizer.vocabSize,
          ...(needsMask ? { maskTokenId: tokens.mask as number } : {}),
        });
        break;
      case 'embedding':
        perturbed = perturbTokens({
          ...base,
          strategy: 'embedding',
          embeddings: embeddings as tf.Tensor3D,
          gradient: gradient as tf.Tensor3D,
          epsilon: spec.epsilon,
          ...(spec.direction === undefined ? {} : { direction: spec.direction }),
          ...(spec.epsilonMode === undefined ? {} : { epsilonMode: spec.epsilonMode }),
        });
        break;
      default: {
        const unknown: never = spec;
        throw new CarlError('INVALID_ARGUMENT', `unknown perturbation strategy "${String((unknown as { strategy: unknown }).strategy)}"`, {
          field: 'perturbation.strategy',
        });
      }
    }
    return { saliency: kept, selected, perturbed };
  } catch (error) {
    kept.grads?.forEach((g) => g.dispose());
    throw error;
  } finally {
    gradient?.dispose();
    embeddings?.dispose();
  }
}
