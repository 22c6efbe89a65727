import { CarlError, isCarlError } from './errors';
import { fromUnitRange, toUnitRange, va } from './va';

describe('CarlError', () => {
  it('names file, line and field in the message and keeps the code', () => {
    const e = new CarlError('INVALID_DATA', 'not a number', { file: 'a.csv', line: 3, field: 'V' });
    expect(e.message).toBe('a.csv:3 [V]: not a number');
    expect(isCarlError(e, 'INVALID_DATA')).toBe(true);
    expect(isCarlError(e, 'INTERNAL')).toBe(false);
    expect(isCarlError(new Error('x'))).toBe(false);
  });
});

describe('va', () => {
  it('accepts points in [-1, 1] and rejects the rest by axis name', () => {
    expect(va(0.5, -1)).toEqual({ valence: 0.5, arousal: -1 });
    expect(va(0, 0, 1)).toEqual({ valence: 0, arousal: 0, dominance: 1 });
    expect(() => va(1.5, 0)).toThrow(/valence/);
    expect(() => va(0, Number.NaN)).toThrow(/arousal/);
  });
});

describe('toUnitRange / fromUnitRange', () => {
  const sam = { name: 'sam-1-5', min: 1, max: 5 };
  it('maps the scale ends and midpoint onto -1, 0, 1 and back', () => {
    expect([1, 3, 5, 4].map((v) => toUnitRange(v, sam))).toEqual([-1, 0, 1, 0.5]);
    expect(fromUnitRange(0.5, sam)).toBe(4);
    expect(toUnitRange(7, { name: '1-9', min: 1, max: 9 })).toBe(0.5);
  });
  it('rejects ratings outside the scale', () => {
    expect(() => toUnitRange(5.5, sam)).toThrow(/outside the sam-1-5 scale/);
    expect(() => toUnitRange(Number.NaN, sam)).toThrow(/outside/);
  });
});
