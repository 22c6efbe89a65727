import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '../testing';
import { dropoutMask, dropoutThreshold, lowbias32 } from './dropout-mask';
import { dropout } from './fused';

// An independent lowbias32 in BigInt arithmetic (no Math.imul), to check the 32-bit JS version.
function lowbias32Big(value: number): number {
  const M = (1n << 32n) - 1n;
  let x = BigInt(value >>> 0);
  x ^= x >> 16n;
  x = (x * 0x7feb352dn) & M;
  x ^= x >> 15n;
  x = (x * 0x846ca68bn) & M;
  x ^= x >> 16n;
  return Number(x);
}

describe('lowbias32', () => {
  it('maps 0 to 0 (a bijection that fixes zero) and matches a BigInt implementation', () => {
    expect(lowbias32(0)).toBe(0);
    for (const v of [1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 123456789, -1, 2 ** 32 + 5]) expect(lowbias32(v)).toBe(lowbias32Big(v));
  });

  it('spreads consecutive inputs over all 32 bits (about half the bits flip)', () => {
    let flips = 0;
    for (let i = 0; i < 1000; i++) flips += popcount(lowbias32(i) ^ lowbias32(i + 1));
    expect(flips / 1000).toBeGreaterThan(14);
    expect(flips / 1000).toBeLessThan(18);
  });
});

function popcount(v: number): number {
  let n = 0;
  for (let x = v >>> 0; x !== 0; x >>>= 1) n += x & 1;
  return n;
}

describe('dropoutMask', () => {
  it('turns the rate into a uint32 threshold', () => {
    expect(dropoutThreshold(0)).toBe(0);
    expect(dropoutThreshold(0.5)).toBe(2 ** 31);
    expect(dropoutThreshold(0.999999999999)).toBe(0xffffffff);
  });

  it('keeps about 1 − rate of the elements, scaled by 1/(1 − rate)', () => {
    const n = 200_000;
    for (const rate of [0.1, 0.5, 0.9]) {
      const mask = dropoutMask(n, rate, 42);
      const kept = mask.reduce((acc, v) => acc + (v > 0 ? 1 : 0), 0);
      // binomial: 5 standard deviations of the kept fraction
      expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(5 * Math.sqrt((rate * (1 - rate)) / n));
      expect(new Set(mask)).toEqual(new Set([0, Math.fround(1 / (1 - rate))]));
    }
  });

  it('is a pure function of the seed: same seed same mask, other seeds other masks', () => {
    const a = dropoutMask(1000, 0.3, 5);
    expect(dropoutMask(1000, 0.3, 5)).toEqual(a);
    const b = dropoutMask(1000, 0.3, 6);
    const same = a.reduce((acc, v, i) => acc + (v === b[i] ? 1 : 0), 0);
    expect(same).toBeLessThan(700); // independent masks agree on ≈ 0.7² + 0.3² = 58 %
    // a prefix of a longer mask is the shorter mask (the index is the counter)
    expect(dropoutMask(5000, 0.3, 5).slice(0, 1000)).toEqual(a);
  });

  it('keeps everything at rate 0 and handles an empty tensor', () => {
    expect(Array.from(dropoutMask(4, 0, 1))).toEqual([1, 1, 1, 1]);
    expect(dropoutMask(0, 0.5, 1).length).toBe(0);
  });
});

describe('dropoutMask with an offset', () => {
  it('is the matching slice of the longer mask, also past 2³¹', () => {
    const full = dropoutMask(3000, 0.4, 9);
    expect(dropoutMask(1000, 0.4, 9, 2000)).toEqual(full.slice(2000));
    expect(dropoutMask(0, 0.4, 9, 5).length).toBe(0);
    // The counter wraps at 2³² like the native kernel's uint32 arithmetic.
    expect(dropoutMask(8, 0.4, 9, 2 ** 32)).toEqual(dropoutMask(8, 0.4, 9));
    expect(dropoutMask(8, 0.4, 9, 2 ** 31)).not.toEqual(dropoutMask(8, 0.4, 9));
  });
});

describeWithBackends('dropout with an offset', () => {
  it('applies the shifted mask forward and in the gradient, and rejects bad offsets', () => {
    const x = tf.reshape(tf.range(1, 41), [4, 10]);
    const mask = dropoutMask(40, 0.5, 3);
    const tail = tf.slice(x, [2, 0], [2, 10]);
    const y = dropout(tail, 0.5, 3, 20);
    expect(Array.from(y.dataSync())).toEqual(Array.from(tail.dataSync()).map((v, i) => v * (mask[20 + i] as number)));
    const g = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.5, 3, 20)))(tail);
    expect(Array.from(g.dataSync())).toEqual(Array.from(mask.slice(20)));
    expect(() => dropout(tail, 0.5, 3, -1)).toThrow(/offset must be an integer/);
    expect(() => dropout(tail, 0.5, 3, 1.5)).toThrow(/offset must be an integer/);
    tf.dispose([x, tail, y, g]);
  });
});
