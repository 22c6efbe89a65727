import { isCarlError } from '@carl/core';
import { momentumSchedule } from './index';

describe('momentumSchedule', () => {
  it('follows BYOL\'s cosine from base to final and then holds', () => {
    const m = momentumSchedule({ kind: 'cosine', base: 0.996, totalSteps: 100 });
    expect(m(0)).toBeCloseTo(0.996, 12);
    expect(m(50)).toBeCloseTo(0.998, 12);
    expect(m(25)).toBeCloseTo(1 - 0.004 * (Math.cos(Math.PI / 4) + 1) / 2, 12);
    expect(m(100)).toBe(1);
    expect(m(1000)).toBe(1);
    const steps = Array.from({ length: 101 }, (_, k) => m(k));
    expect(steps.every((v, k) => k === 0 || v >= (steps[k - 1] as number))).toBe(true);
  });

  it('supports a linear ramp to a custom final value and a constant', () => {
    const lin = momentumSchedule({ kind: 'linear', base: 0.9, final: 0.99, totalSteps: 10 });
    expect([lin(0), lin(5), lin(10), lin(20)].map((v) => Number(v.toFixed(10)))).toEqual([0.9, 0.945, 0.99, 0.99]);
    expect(momentumSchedule({ kind: 'constant', momentum: 0.999 })(12345)).toBe(0.999);
  });

  it('rejects bad configurations and steps', () => {
    const field = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return isCarlError(e) ? e.location.field : 'not a CarlError';
      }
      return undefined;
    };
    expect(field(() => momentumSchedule({ kind: 'cosine', base: 1.2, totalSteps: 10 }))).toBe('base');
    expect(field(() => momentumSchedule({ kind: 'cosine', base: 0.9, totalSteps: 0 }))).toBe('totalSteps');
    expect(field(() => momentumSchedule({ kind: 'linear', base: 0.9, final: -1, totalSteps: 3 }))).toBe('final');
    expect(field(() => momentumSchedule({ kind: 'constant', momentum: Number.NaN }))).toBe('momentum');
    expect(field(() => momentumSchedule({ kind: 'nope' } as never))).toBe('kind');
    expect(field(() => momentumSchedule({ kind: 'cosine', base: 0.9, totalSteps: 3 })(-1))).toBe('step');
  });
});
