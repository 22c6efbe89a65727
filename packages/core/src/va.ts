import { CarlError } from './errors';

/**
 * A point in Russell's affect space, every axis in the common range [−1, 1]
 * (−1 = most negative / calm / submissive, +1 = most positive / excited / dominant).
 */
export interface VA {
  readonly valence: number;
  readonly arousal: number;
  /** Dominance, kept when a corpus has it; CARL trains on valence and arousal only. */
  readonly dominance?: number;
}

/**
 * One sentence with whatever labels its corpus gives. Loaders fill `va` when the corpus has
 * continuous ratings (already mapped to [−1, 1]) and `labels` when it has categories.
 */
export interface LabeledText {
  /** Stable id, unique within its corpus (used so a sentence is never its own negative). */
  readonly id: string;
  readonly text: string;
  readonly va?: VA;
  /** Category labels (one for single-label corpora, several for multi-label ones). */
  readonly labels?: readonly string[];
  /** Name of the corpus the row came from, e.g. `emobank`. */
  readonly source?: string;
}

/**
 * Builds a {@link VA}, checking that every axis is a finite number in [−1, 1].
 *
 * @example
 * ```ts
 * const happy = va(0.8, 0.5); // { valence: 0.8, arousal: 0.5 }
 * ```
 */
export function va(valence: number, arousal: number, dominance?: number): VA {
  const axes: Array<[string, number | undefined]> = [['valence', valence], ['arousal', arousal], ['dominance', dominance]];
  for (const [name, value] of axes) {
    if (value === undefined) continue;
    if (!Number.isFinite(value) || value < -1 - 1e-9 || value > 1 + 1e-9) {
      throw new CarlError('INVALID_ARGUMENT', `${name} must be a finite number in [-1, 1], got ${value}`, { field: name });
    }
  }
  return dominance === undefined ? { valence, arousal } : { valence, arousal, dominance };
}

/** A bounded rating scale, e.g. EmoBank's 1–5 SAM or the 1–9 scale of the Facebook posts and Warriner norms. */
export interface RatingScale {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

/**
 * Maps a rating on `scale` linearly onto [−1, 1] (min → −1, midpoint → 0, max → +1).
 * Throws `INVALID_DATA` for a value that is not finite or lies outside the scale.
 *
 * @example
 * ```ts
 * toUnitRange(4, { name: 'sam-1-5', min: 1, max: 5 }); // 0.5
 * ```
 */
export function toUnitRange(value: number, scale: RatingScale): number {
  if (!Number.isFinite(value) || value < scale.min || value > scale.max) {
    throw new CarlError('INVALID_DATA', `rating ${value} is outside the ${scale.name} scale [${scale.min}, ${scale.max}]`);
  }
  return (2 * (value - scale.min)) / (scale.max - scale.min) - 1;
}

/**
 * The inverse of {@link toUnitRange}: a value in [−1, 1] back onto `scale`.
 *
 * @example
 * ```ts
 * fromUnitRange(0.5, { name: 'sam-1-5', min: 1, max: 5 }); // 4
 * ```
 */
export function fromUnitRange(value: number, scale: RatingScale): number {
  return scale.min + ((value + 1) * (scale.max - scale.min)) / 2;
}

/** EmoBank's 1–5 Self-Assessment Manikin scale. */
export const SAM_1_5: RatingScale = Object.freeze({ name: 'sam-1-5', min: 1, max: 5 });

/** The 1–9 scale of the Facebook posts and the Warriner norms. */
export const SCALE_1_9: RatingScale = Object.freeze({ name: 'scale-1-9', min: 1, max: 9 });
