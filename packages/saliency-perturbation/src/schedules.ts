import { CarlError } from '@carl/core';

/**
 * How a PTD hyper-parameter (the ratio ρ, the step ε, λ) changes over training steps. Plain data,
 * so it can live in a JSON config and a checkpoint.
 * - `constant`: always `value`.
 * - `linear` / `cosine`: `from` until `startStep`, then to `to` over `steps` steps, then `to`.
 * - `piecewise`: linear between `[step, value]` points, flat before the first and after the last.
 */
export type ScheduleSpec =
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'linear' | 'cosine'; readonly from: number; readonly to: number; readonly steps: number; readonly startStep?: number }
  | { readonly kind: 'piecewise'; readonly points: readonly (readonly [step: number, value: number])[] };

/**
 * Turns a {@link ScheduleSpec} (or a bare number, meaning constant) into `step → value`.
 * Ramps are the usual curriculum for PTD: start with few, small perturbations and grow them.
 *
 * @example
 * ```ts
 * const ratio = createSchedule({ kind: 'linear', from: 0.05, to: 0.15, steps: 1000 });
 * ratio(0);    // 0.05
 * ratio(500);  // 0.10
 * ratio(5000); // 0.15
 * ```
 */
export function createSchedule(spec: ScheduleSpec | number): (step: number) => number {
  if (typeof spec === 'number') return createSchedule({ kind: 'constant', value: spec });
  const finite = (value: unknown, field: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new CarlError('INVALID_CONFIG', `must be a finite number, got ${String(value)}`, { field });
    return value;
  };
  const checkStep = (step: number): void => {
    if (!Number.isFinite(step)) throw new CarlError('INVALID_ARGUMENT', `step must be a finite number, got ${step}`, { field: 'step' });
  };
  switch (spec.kind) {
    case 'constant': {
      const value = finite(spec.value, 'schedule.value');
      return (step) => {
        checkStep(step);
        return value;
      };
    }
    case 'linear':
    case 'cosine': {
      const from = finite(spec.from, 'schedule.from');
      const to = finite(spec.to, 'schedule.to');
      const steps = finite(spec.steps, 'schedule.steps');
      const start = finite(spec.startStep ?? 0, 'schedule.startStep');
      if (steps < 0) throw new CarlError('INVALID_CONFIG', `must be ≥ 0, got ${steps}`, { field: 'schedule.steps' });
      const cosine = spec.kind === 'cosine';
      return (step) => {
        checkStep(step);
        // steps = 0 is a jump from `from` to `to` at startStep.
        const progress = steps === 0 ? (step < start ? 0 : 1) : Math.min(1, Math.max(0, (step - start) / steps));
        const shape = cosine ? 0.5 * (1 - Math.cos(Math.PI * progress)) : progress;
        return from + (to - from) * shape;
      };
    }
    case 'piecewise': {
      if (!Array.isArray(spec.points) || spec.points.length === 0) throw new CarlError('INVALID_CONFIG', 'needs at least one [step, value] point', { field: 'schedule.points' });
      const points = spec.points.map(([s, v], i) => [finite(s, `schedule.points[${i}][0]`), finite(v, `schedule.points[${i}][1]`)] as const);
      points.forEach(([s], i) => {
        if (i > 0 && s <= (points[i - 1] as readonly [number, number])[0]) {
          throw new CarlError('INVALID_CONFIG', `steps must increase strictly, got ${s} after ${(points[i - 1] as readonly [number, number])[0]}`, {
            field: `schedule.points[${i}][0]`,
          });
        }
      });
      return (step) => {
        checkStep(step);
        const first = points[0] as readonly [number, number];
        if (step <= first[0]) return first[1];
        for (let i = 1; i < points.length; i++) {
          const [s1, v1] = points[i] as readonly [number, number];
          if (step <= s1) {
            const [s0, v0] = points[i - 1] as readonly [number, number];
            return v0 + ((v1 - v0) * (step - s0)) / (s1 - s0);
          }
        }
        return (points[points.length - 1] as readonly [number, number])[1];
      };
    }
    default: {
      const kind: never = spec;
      throw new CarlError('INVALID_CONFIG', `unknown schedule kind "${String((kind as { kind: unknown }).kind)}"`, { field: 'schedule.kind' });
    }
  }
}
