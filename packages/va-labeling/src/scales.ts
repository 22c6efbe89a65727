import { CarlError, fromUnitRange, toUnitRange, type RatingScale, type VA } from '@carl/core';

/**
 * Declares a bounded rating scale. `min` maps to −1, the midpoint to 0 and `max` to +1.
 *
 * @param name short id used in error messages and provenance, e.g. `sam-1-5`
 * @example
 * ```ts
 * const likert7 = defineScale('likert-1-7', 1, 7);
 * toUnit(4, likert7); // 0
 * ```
 */
export function defineScale(name: string, min: number, max: number): RatingScale {
  if (name.trim() === '') throw new CarlError('INVALID_ARGUMENT', 'a rating scale needs a non-empty name', { field: 'name' });
  if (!Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) {
    throw new CarlError('INVALID_ARGUMENT', `scale "${name}" needs finite bounds with min < max, got [${min}, ${max}]`, { field: 'min/max' });
  }
  return Object.freeze({ name, min, max });
}

/** EmoBank's Self-Assessment Manikin scale (1–5) and the 1–9 scale of the Facebook posts, ANEW and Warriner. */
export { SAM_1_5, SCALE_1_9 } from '@carl/core';
/** AFINN's integer valence scores, −5 … +5. */
export const AFINN_SCALE: RatingScale = defineScale('afinn-5', -5, 5);
/** The common space every CARL label lives in. */
export const UNIT_SCALE: RatingScale = defineScale('unit', -1, 1);

/**
 * Maps a rating on `scale` onto [−1, 1]. Throws `INVALID_DATA` for NaN or a value off the scale
 * (a rating of 6 on a 1–5 scale is a data error, not something to clamp silently).
 *
 * @example
 * ```ts
 * toUnit(4, SAM_1_5); // 0.5
 * ```
 */
export function toUnit(value: number, scale: RatingScale): number {
  return toUnitRange(value, scale);
}

/**
 * Maps a value in [−1, 1] back onto `scale` (for reports in the corpus's own units).
 *
 * @example
 * ```ts
 * fromUnit(0.5, SAM_1_5); // 4
 * ```
 */
export function fromUnit(value: number, scale: RatingScale): number {
  // core's fromUnitRange extrapolates; a value outside [−1, 1] is a bug upstream, so say so here.
  if (!Number.isFinite(value) || value < -1 - 1e-9 || value > 1 + 1e-9) {
    throw new CarlError('INVALID_ARGUMENT', `value ${value} is outside the unit range [-1, 1]`);
  }
  return fromUnitRange(value, scale);
}

/** A VA point in a corpus's own units, before mapping. */
export interface RawVA {
  readonly valence: number;
  readonly arousal: number;
  readonly dominance?: number;
}

/**
 * Maps every axis of a raw rating onto [−1, 1] with one scale (the usual case: one instrument
 * for all axes). Errors name the offending axis.
 *
 * @example
 * ```ts
 * vaToUnit({ valence: 7, arousal: 3 }, SCALE_1_9); // { valence: 0.5, arousal: -0.5 }
 * ```
 */
export function vaToUnit(raw: RawVA, scale: RatingScale): VA {
  const axis = (name: keyof RawVA, value: number): number => {
    try {
      return toUnitRange(value, scale);
    } catch (error) {
      throw new CarlError('INVALID_DATA', `${name} rating ${value} is outside the ${scale.name} scale [${scale.min}, ${scale.max}]`, { field: name }, { cause: error });
    }
  };
  const out = { valence: axis('valence', raw.valence), arousal: axis('arousal', raw.arousal) };
  return raw.dominance === undefined ? out : { ...out, dominance: axis('dominance', raw.dominance) };
}

/**
 * The inverse of {@link vaToUnit}.
 *
 * @example
 * ```ts
 * vaFromUnit({ valence: 0.5, arousal: -0.5 }, SCALE_1_9); // { valence: 7, arousal: 3 }
 * ```
 */
export function vaFromUnit(point: VA, scale: RatingScale): RawVA {
  const out = { valence: fromUnit(point.valence, scale), arousal: fromUnit(point.arousal, scale) };
  return point.dominance === undefined ? out : { ...out, dominance: fromUnit(point.dominance, scale) };
}
