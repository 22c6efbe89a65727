import { createSchedule } from './schedules';

describe('createSchedule', () => {
  it('constant, also from a bare number', () => {
    expect([0, 10, 1e6].map(createSchedule(0.15))).toEqual([0.15, 0.15, 0.15]);
    expect(createSchedule({ kind: 'constant', value: 2 })(7)).toBe(2);
  });

  it('linear: from before startStep, a straight ramp over steps, then to', () => {
    const s = createSchedule({ kind: 'linear', from: 0.05, to: 0.15, steps: 100, startStep: 50 });
    expect(s(0)).toBeCloseTo(0.05, 12);
    expect(s(50)).toBeCloseTo(0.05, 12);
    expect(s(75)).toBeCloseTo(0.075, 12);
    expect(s(100)).toBeCloseTo(0.1, 12);
    expect(s(150)).toBeCloseTo(0.15, 12);
    expect(s(1e9)).toBeCloseTo(0.15, 12);
    const down = createSchedule({ kind: 'linear', from: 1, to: 0, steps: 4 });
    expect([0, 1, 2, 3, 4, 5].map(down)).toEqual([1, 0.75, 0.5, 0.25, 0, 0]);
  });

  it('cosine: half-cosine between the ends (slow start and finish)', () => {
    const s = createSchedule({ kind: 'cosine', from: 0, to: 1, steps: 100 });
    expect(s(0)).toBe(0);
    expect(s(25)).toBeCloseTo((1 - Math.cos(Math.PI / 4)) / 2, 12);
    expect(s(50)).toBeCloseTo(0.5, 12);
    expect(s(100)).toBeCloseTo(1, 12);
    expect(s(25)).toBeLessThan(0.25); // slower than linear at first
  });

  it('steps = 0 is a jump at startStep', () => {
    const s = createSchedule({ kind: 'linear', from: 0, to: 0.3, steps: 0, startStep: 10 });
    expect([9, 10, 11].map(s)).toEqual([0, 0.3, 0.3]);
  });

  it('piecewise: linear between points, flat outside', () => {
    const s = createSchedule({ kind: 'piecewise', points: [[10, 0], [20, 1], [40, 0.5]] });
    expect([0, 10, 15, 20, 30, 40, 99].map(s)).toEqual([0, 0, 0.5, 1, 0.75, 0.5, 0.5]);
    expect(createSchedule({ kind: 'piecewise', points: [[5, 0.2]] })(100)).toBe(0.2);
  });

  it('rejects malformed specs and steps, naming the field', () => {
    const field = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return (error as { location?: { field?: string } }).location?.field;
      }
      return undefined;
    };
    expect(field(() => createSchedule({ kind: 'linear', from: 0, to: Number.NaN, steps: 5 }))).toBe('schedule.to');
    expect(field(() => createSchedule({ kind: 'linear', from: 0, to: 1, steps: -5 }))).toBe('schedule.steps');
    expect(field(() => createSchedule({ kind: 'piecewise', points: [] }))).toBe('schedule.points');
    expect(field(() => createSchedule({ kind: 'piecewise', points: [[5, 0], [5, 1]] }))).toBe('schedule.points[1][0]');
    expect(field(() => createSchedule({ kind: 'exp' } as unknown as { kind: 'constant'; value: number }))).toBe('schedule.kind');
    expect(field(() => createSchedule(0.1)(Number.NaN))).toBe('step');
  });
});
