import { CarlError } from '@carl/core';

/** How the momentum evolves over training (see {@link momentumSchedule}). */
export type MomentumScheduleOptions =
  | { readonly kind: 'constant'; readonly momentum: number }
  | {
      /** `cosine`: BYOL's `m(k) = final − (final − base)·(cos(πk/K) + 1)/2`; `linear`: a straight ramp. */
      readonly kind: 'cosine' | 'linear';
      /** m at step 0 (BYOL: 0.996). */
      readonly base: number;
      /** m at `totalSteps` and after. Default 1. */
      readonly final?: number;
      /** K, the number of steps of the ramp. */
      readonly totalSteps: number;
    };

function checkUnit(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new CarlError('INVALID_CONFIG', `must be a number in [0, 1], got ${String(value)}`, { field });
  }
  return value;
}

/**
 * A momentum schedule `step → m` for {@link MomentumTarget.update}: constant (MoCo: 0.999), or a cosine
 * (BYOL) or linear ramp from `base` to `final` (default 1) over `totalSteps`, held at `final` afterwards.
 * A rising momentum lets the target follow the online encoder quickly at first and settle later.
 *
 * @example
 * ```ts
 * const m = momentumSchedule({ kind: 'cosine', base: 0.996, totalSteps: 10_000 });
 * m(0); // 0.996
 * m(5_000); // 0.998
 * m(10_000); // 1
 * ```
 */
export function momentumSchedule(options: MomentumScheduleOptions): (step: number) => number {
  if (options.kind === 'constant') {
    const m = checkUnit(options.momentum, 'momentum');
    return (step) => (checkStep(step), m);
  }
  if (options.kind !== 'cosine' && options.kind !== 'linear') {
    throw new CarlError('INVALID_CONFIG', `unknown schedule kind "${String((options as { kind: unknown }).kind)}"`, { field: 'kind' });
  }
  const base = checkUnit(options.base, 'base');
  const final = checkUnit(options.final ?? 1, 'final');
  const total = options.totalSteps;
  if (!Number.isInteger(total) || total <= 0) {
    throw new CarlError('INVALID_CONFIG', `totalSteps must be a positive integer, got ${String(total)}`, { field: 'totalSteps' });
  }
  const cosine = options.kind === 'cosine';
  return (step) => {
    const progress = Math.min(1, checkStep(step) / total);
    const remaining = cosine ? (Math.cos(Math.PI * progress) + 1) / 2 : 1 - progress;
    return final - (final - base) * remaining;
  };
}

function checkStep(step: number): number {
  if (typeof step !== 'number' || !Number.isFinite(step) || step < 0) {
    throw new CarlError('INVALID_ARGUMENT', `step must be a finite number ≥ 0, got ${String(step)}`, { field: 'step' });
  }
  return step;
}
