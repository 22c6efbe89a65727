import * as tf from '@tensorflow/tfjs-core';
import { CarlError, Random, type TokenGenerator, type TokenMatrix } from '@carl/core';
import { checkShape, toRows, widthOf } from './matrix';

// Core's contract (an MLM head's sampler, e.g. `@carl/encoder`'s `MlmHead.generator()`).
export type { TokenGenerator } from '@carl/core';

/** The replacement rules of {@link perturbTokens}. */
export type PerturbationStrategy = 'mask' | 'random' | 'generator' | 'embedding';

interface PerturbationBase {
  /** Positions to perturb per sentence, e.g. from `selectTokens`. */
  readonly selected: TokenMatrix;
  /**
   * 1 where a token may be perturbed (`tokenSaliency(...).candidates`). When given, a selected
   * special or padding position is an error instead of a silent corruption of the input.
   */
  readonly candidates?: TokenMatrix;
}

/** Replace each selected token by the mask token. */
export interface MaskPerturbationOptions extends PerturbationBase {
  readonly strategy: 'mask';
  readonly inputIds: TokenMatrix;
  readonly maskTokenId: number;
}

/** Replace each selected token by a uniformly drawn vocabulary token that is not special. */
export interface RandomPerturbationOptions extends PerturbationBase {
  readonly strategy: 'random';
  readonly inputIds: TokenMatrix;
  readonly vocabSize: number;
  /** Ids never drawn (pad, cls, sep, mask, …). */
  readonly specialTokenIds: readonly number[];
  readonly rng: Random;
  /** Never draw the original token, so every selected token really changes. Default true. */
  readonly avoidOriginal?: boolean;
}

/** Replace each selected token by a sample from a generator (an MLM head). */
export interface GeneratorPerturbationOptions extends PerturbationBase {
  readonly strategy: 'generator';
  readonly inputIds: TokenMatrix;
  readonly generator: TokenGenerator;
  /** Handed to the generator, so its sampling is seeded and resumable like every other draw. */
  readonly rng: Random;
  /** The generator sees the selected positions masked with this id (ELECTRA); omit to show it the original tokens. */
  readonly maskTokenId?: number;
  /** A generated id from this list is refused: the position keeps its original token (label 0). */
  readonly specialTokenIds?: readonly number[];
  /** When given, generated ids must lie in [0, vocabSize). */
  readonly vocabSize?: number;
}

/** Move each selected token's embedding a step ε along its loss gradient (adversarial, as in FGM). */
export interface EmbeddingPerturbationOptions extends PerturbationBase {
  readonly strategy: 'embedding';
  /** Word embeddings `[batch, seq, hidden]` (e.g. `tokenSaliency(..., keepTensors: true).embeddings`). */
  readonly embeddings: tf.Tensor3D;
  /** `∂L/∂e`, same shape (e.g. `tokenSaliency(..., keepTensors: true).gradient`). */
  readonly gradient: tf.Tensor3D;
  /** Step size ≥ 0. */
  readonly epsilon: number;
  /** `l2`: ε·g/‖g‖ per token (default); `sign`: ε·sign(g) (FGSM, an L∞ step). */
  readonly direction?: 'l2' | 'sign';
  /** `absolute` (default): ε as given; `relative`: ε·‖e_t‖, so one ε fits models whose embedding norms differ. */
  readonly epsilonMode?: 'absolute' | 'relative';
}

/** Options of {@link perturbTokens}, discriminated by `strategy`. */
export type PerturbTokensOptions = MaskPerturbationOptions | RandomPerturbationOptions | GeneratorPerturbationOptions | EmbeddingPerturbationOptions;

/** Result of an id-replacing strategy. */
export interface IdPerturbation {
  readonly kind: 'ids';
  /** The perturbed ids (a fresh copy; the input is not modified). */
  readonly inputIds: number[][];
  /** 1 where the id actually differs from the original, else 0; same shape as the ids. */
  readonly labels: number[][];
}

/** Result of the `embedding` strategy (the caller disposes both tensors). */
export interface EmbeddingPerturbation {
  readonly kind: 'embeddings';
  /** `e + δ`: feed to `encoder.forwardFromEmbeddings`. */
  readonly embeddings: tf.Tensor3D;
  /**
   * `δ` alone, zero outside the selected tokens. Inside a training step's gradient closure use
   * `forwardFromEmbeddings(add(embedTokens(ids), delta))` so the word-embedding table still learns.
   */
  readonly delta: tf.Tensor3D;
  /** 1 where the embedding actually changed (a zero gradient or ε = 0 changes nothing), else 0. */
  readonly labels: number[][];
}

/**
 * Perturbs the selected tokens and reports, per token, whether it actually changed (the labels the
 * detection head learns). Strategies: `mask`, `random` (never a special token), `generator`
 * (an MLM sampler you pass in) and `embedding` (a step of size ε along the gradient).
 *
 * @example
 * ```ts
 * const { inputIds, labels } = perturbTokens({
 *   strategy: 'random', inputIds: batch.inputIds, selected, candidates: sal.candidates,
 *   vocabSize: tok.vocabSize, specialTokenIds: [0, 2, 3, 4], rng,
 * });
 * ```
 */
export function perturbTokens(options: EmbeddingPerturbationOptions): EmbeddingPerturbation;
export function perturbTokens(options: MaskPerturbationOptions | RandomPerturbationOptions | GeneratorPerturbationOptions): IdPerturbation;
export function perturbTokens(options: PerturbTokensOptions): IdPerturbation | EmbeddingPerturbation;
export function perturbTokens(options: PerturbTokensOptions): IdPerturbation | EmbeddingPerturbation {
  switch (options.strategy) {
    case 'mask':
    case 'random':
    case 'generator':
      return perturbIds(options);
    case 'embedding':
      return perturbEmbeddings(options);
    default: {
      const strategy: never = options;
      throw new CarlError('INVALID_ARGUMENT', `unknown perturbation strategy "${String((strategy as { strategy: unknown }).strategy)}"`, {
        field: 'strategy',
      });
    }
  }
}

function perturbIds(options: MaskPerturbationOptions | RandomPerturbationOptions | GeneratorPerturbationOptions): IdPerturbation {
  const original = toRows(options.inputIds, 'inputIds');
  const width = widthOf(original, 'inputIds');
  original.forEach((row, i) =>
    row.forEach((id, j) => {
      if (!Number.isInteger(id) || id < 0) throw new CarlError('INVALID_ARGUMENT', `token id must be a non-negative integer, got ${id}`, { field: `inputIds[${i}][${j}]` });
    }),
  );
  const positions = checkSelection(options.selected, options.candidates, original.length, width);
  const ids = original.map((row) => row.slice());

  switch (options.strategy) {
    case 'mask': {
      checkTokenId(options.maskTokenId, 'maskTokenId');
      positions.forEach((row, i) => row.forEach((j) => ((ids[i] as number[])[j] = options.maskTokenId)));
      break;
    }
    case 'random': {
      const { vocabSize, rng, avoidOriginal = true } = options;
      if (!Number.isInteger(vocabSize) || vocabSize <= 0) throw new CarlError('INVALID_ARGUMENT', `vocabSize must be a positive integer, got ${vocabSize}`, { field: 'vocabSize' });
      if (!(rng instanceof Random)) throw new CarlError('INVALID_ARGUMENT', 'the random strategy needs a seeded rng (a Random from @carl/core)', { field: 'rng' });
      const special = new Set(options.specialTokenIds);
      positions.forEach((row, i) =>
        row.forEach((j) => {
          const current = (ids[i] as number[])[j] as number;
          (ids[i] as number[])[j] = drawToken(vocabSize, special, avoidOriginal ? current : undefined, rng) ?? current;
        }),
      );
      break;
    }
    case 'generator': {
      const { generator, maskTokenId, vocabSize, rng } = options;
      if (maskTokenId !== undefined) checkTokenId(maskTokenId, 'maskTokenId');
      if (!(rng instanceof Random)) throw new CarlError('INVALID_ARGUMENT', 'the generator strategy needs a seeded rng (a Random from @carl/core)', { field: 'rng' });
      const masked = original.map((row) => row.slice());
      if (maskTokenId !== undefined) positions.forEach((row, i) => row.forEach((j) => ((masked[i] as number[])[j] = maskTokenId)));
      const proposed = generator(masked, positions.map((row) => row.slice()), rng);
      if (!Array.isArray(proposed) || proposed.length !== positions.length) {
        throw new CarlError('SHAPE_MISMATCH', `the generator must return one row per sentence (${positions.length})`, { field: 'generator' });
      }
      const special = new Set(options.specialTokenIds ?? []);
      positions.forEach((row, i) => {
        const out = proposed[i] as readonly number[];
        if (out === undefined || out.length !== row.length) {
          throw new CarlError('SHAPE_MISMATCH', `the generator returned ${out?.length ?? 0} ids for sentence ${i}, expected ${row.length}`, { field: `generator[${i}]` });
        }
        row.forEach((j, k) => {
          const id = out[k] as number;
          if (!Number.isInteger(id) || id < 0 || (vocabSize !== undefined && id >= vocabSize)) {
            throw new CarlError('INVALID_ARGUMENT', `the generator returned an invalid token id ${id}`, { field: `generator[${i}][${k}]` });
          }
          // A special token in mid-sentence would change the input's structure, not just its words.
          if (!special.has(id)) (ids[i] as number[])[j] = id;
        });
      });
      break;
    }
  }
  const labels = ids.map((row, i) => row.map((id, j) => (id === (original[i] as number[])[j] ? 0 : 1)));
  return { kind: 'ids', inputIds: ids, labels };
}

/** A uniform draw from [0, vocabSize) outside `special` and ≠ `avoid`; undefined when no such id exists. */
function drawToken(vocabSize: number, special: ReadonlySet<number>, avoid: number | undefined, rng: Random): number | undefined {
  // Rejection is cheap because excluded ids are a handful out of thousands.
  for (let tries = 0; tries < 64; tries++) {
    const id = rng.int(vocabSize);
    if (!special.has(id) && id !== avoid) return id;
  }
  // Tiny or mostly-special vocabularies: draw exactly from the allowed list.
  const allowed: number[] = [];
  for (let id = 0; id < vocabSize; id++) if (!special.has(id) && id !== avoid) allowed.push(id);
  return allowed.length === 0 ? undefined : allowed[rng.int(allowed.length)];
}

function perturbEmbeddings(options: EmbeddingPerturbationOptions): EmbeddingPerturbation {
  const { embeddings, gradient, epsilon, direction = 'l2', epsilonMode = 'absolute' } = options;
  if (!(embeddings instanceof tf.Tensor) || embeddings.rank !== 3) throw new CarlError('SHAPE_MISMATCH', 'embeddings must be a [batch, seq, hidden] tensor', { field: 'embeddings' });
  if (!(gradient instanceof tf.Tensor) || !tf.util.arraysEqual(gradient.shape, embeddings.shape)) {
    throw new CarlError('SHAPE_MISMATCH', `gradient must have the embeddings' shape [${embeddings.shape.join(', ')}]`, { field: 'gradient' });
  }
  if (!Number.isFinite(epsilon) || epsilon < 0) throw new CarlError('INVALID_ARGUMENT', `epsilon must be a finite number ≥ 0, got ${epsilon}`, { field: 'epsilon' });
  if (direction !== 'l2' && direction !== 'sign') throw new CarlError('INVALID_ARGUMENT', `direction must be l2 or sign, got ${String(direction)}`, { field: 'direction' });
  if (epsilonMode !== 'absolute' && epsilonMode !== 'relative') {
    throw new CarlError('INVALID_ARGUMENT', `epsilonMode must be absolute or relative, got ${String(epsilonMode)}`, { field: 'epsilonMode' });
  }
  const [batch, seq] = embeddings.shape;
  const positions = checkSelection(options.selected, options.candidates, batch, seq);
  const selectedMask = new Float32Array(batch * seq);
  positions.forEach((row, i) => row.forEach((j) => (selectedMask[i * seq + j] = 1)));

  const { perturbed, delta, changed } = tf.tidy(() => {
    const g = tf.cast(gradient, 'float32');
    let step: tf.Tensor =
      direction === 'l2'
        ? // A zero gradient gives a zero step (0 / max(0, tiny) = 0), so the token counts as unchanged.
          tf.div(g, tf.maximum(tf.norm(g, 'euclidean', -1, true), 1e-12))
        : tf.sign(g);
    step = tf.mul(step, epsilon);
    if (epsilonMode === 'relative') step = tf.mul(step, tf.norm(embeddings, 'euclidean', -1, true));
    const d = tf.mul(step, tf.tensor3d(selectedMask, [batch, seq, 1])) as tf.Tensor3D;
    const p = tf.add(embeddings, d) as tf.Tensor3D;
    // Labels come from the values actually fed to the encoder: a step lost to float32 rounding changes nothing.
    const c = tf.any(tf.notEqual(p, embeddings), -1);
    return { perturbed: p, delta: d, changed: c };
  });
  const flags = changed.dataSync();
  changed.dispose();
  const labels = Array.from({ length: batch }, (_, i) => Array.from({ length: seq }, (_, j) => (flags[i * seq + j] ? 1 : 0)));
  return { kind: 'embeddings', embeddings: perturbed, delta, labels };
}

/** Validates selected positions (integers, in range, unique, eligible) and returns mutable copies. */
function checkSelection(selected: TokenMatrix, candidates: TokenMatrix | undefined, batch: number, seq: number): number[][] {
  if (!Array.isArray(selected) || selected.length !== batch) {
    throw new CarlError('SHAPE_MISMATCH', `selected must hold one row of positions per sentence (${batch})`, { field: 'selected' });
  }
  if (candidates !== undefined) checkShape(candidates, batch, seq, 'candidates');
  return (selected as TokenMatrix).map((row, i) => {
    const seen = new Set<number>();
    return Array.from(row, (j: number, k: number): number => {
      const field = `selected[${i}][${k}]`;
      if (!Number.isInteger(j) || j < 0 || j >= seq) throw new CarlError('INVALID_ARGUMENT', `position ${j} is outside [0, ${seq})`, { field });
      if (seen.has(j)) throw new CarlError('INVALID_ARGUMENT', `position ${j} is selected twice`, { field });
      if (candidates !== undefined && (candidates[i] as readonly number[])[j] !== 1) {
        throw new CarlError('INVALID_ARGUMENT', `position ${j} is a special or padding token and must not be perturbed`, { field });
      }
      seen.add(j);
      return j;
    });
  });
}

function checkTokenId(id: number, field: string): void {
  if (!Number.isInteger(id) || id < 0) throw new CarlError('INVALID_ARGUMENT', `${field} must be a non-negative integer, got ${id}`, { field });
}
