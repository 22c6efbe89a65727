import { isCarlError } from '@carl/core';
import { AFINN_SCALE, SAM_1_5, SCALE_1_9, defineScale, fromUnit, toUnit, vaFromUnit, vaToUnit } from './scales';

describe('rating scales', () => {
  it('maps the ends and midpoint of the published scales onto [-1, 1]', () => {
    expect(toUnit(1, SAM_1_5)).toBe(-1);
    expect(toUnit(3, SAM_1_5)).toBe(0);
    expect(toUnit(4, SAM_1_5)).toBe(0.5);
    expect(toUnit(5, SAM_1_5)).toBe(1);
    expect(toUnit(7, SCALE_1_9)).toBe(0.5);
    expect(toUnit(3, SCALE_1_9)).toBe(-0.5);
    expect(toUnit(-3, AFINN_SCALE)).toBeCloseTo(-0.6, 12);
  });

  it('maps a custom scale: 2 on a 1–7 Likert scale is 2·1/6 − 1 = −2/3', () => {
    const likert7 = defineScale('likert-1-7', 1, 7);
    expect(toUnit(2, likert7)).toBeCloseTo(-2 / 3, 12);
    expect(fromUnit(-2 / 3, likert7)).toBeCloseTo(2, 12);
  });

  it('round-trips every quarter point of EmoBank ratings', () => {
    for (let r = 1; r <= 5; r += 0.25) expect(fromUnit(toUnit(r, SAM_1_5), SAM_1_5)).toBeCloseTo(r, 12);
  });

  it('rejects ratings off the scale and non-finite ones with INVALID_DATA', () => {
    for (const bad of [0.99, 5.01, NaN, Infinity]) {
      expect(() => toUnit(bad, SAM_1_5)).toThrow(/sam-1-5/);
      try {
        toUnit(bad, SAM_1_5);
      } catch (e) {
        expect(isCarlError(e, 'INVALID_DATA')).toBe(true);
      }
    }
  });

  it('rejects unit values outside [-1, 1] on the way back', () => {
    expect(() => fromUnit(1.5, SAM_1_5)).toThrow(/unit range/);
  });

  it('refuses degenerate scale declarations', () => {
    expect(() => defineScale('flat', 3, 3)).toThrow(/min < max/);
    expect(() => defineScale('backwards', 9, 1)).toThrow(/min < max/);
    expect(() => defineScale('', 1, 9)).toThrow(/name/);
    expect(() => defineScale('nan', NaN, 9)).toThrow(/finite/);
  });

  it('maps all axes of a raw rating and names the bad axis', () => {
    expect(vaToUnit({ valence: 7, arousal: 3, dominance: 9 }, SCALE_1_9)).toEqual({ valence: 0.5, arousal: -0.5, dominance: 1 });
    expect(vaFromUnit({ valence: 0.5, arousal: -0.5 }, SCALE_1_9)).toEqual({ valence: 7, arousal: 3 });
    try {
      vaToUnit({ valence: 3, arousal: 10 }, SCALE_1_9);
      throw new Error('expected a throw');
    } catch (e) {
      expect(isCarlError(e, 'INVALID_DATA')).toBe(true);
      expect((e as Error).message).toMatch(/\[arousal\].*10/);
    }
  });
});
