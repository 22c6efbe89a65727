/**
 * The counter-based dropout mask shared by the native kernel (native/elementwise.cc, `dropout`) and the
 * JavaScript fallback, bit for bit: element i of a tensor is kept when `lowbias32((i·φ) ⊕ key) ≥ threshold`,
 * with `key = lowbias32(seed ⊕ 0x85ebca6b)`. Being a pure function of (seed, index), the mask never has
 * to be stored for the backward pass, and a given seed drops the same elements on every backend.
 */

/** Chris Wellons' "lowbias32" 32-bit integer hash. */
export function lowbias32(value: number): number {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The uint32 threshold below which a hash drops its element: round(rate · 2³²), capped. */
export function dropoutThreshold(rate: number): number {
  return Math.min(0xffffffff, Math.round(rate * 4294967296));
}

/**
 * The dropout multiplier for `size` elements: 0 for dropped ones, `1/(1 − rate)` for kept ones (the mask
 * {@link dropout} applies for the same `rate` and `seed`, on any backend).
 *
 * @param offset the counter of the first element (default 0): `dropoutMask(n, r, s, k)` equals elements
 *   `[k, k + n)` of `dropoutMask(k + n, r, s)`, so a slice of a batch can draw its own part of the full mask.
 * @example
 * ```ts
 * dropoutMask(4, 0.5, 7); // Float32Array of 0s and 2s, the same for every call with seed 7
 * dropoutMask(2, 0.5, 7, 2); // its last two values
 * ```
 */
export function dropoutMask(size: number, rate: number, seed: number, offset = 0): Float32Array {
  const out = new Float32Array(size);
  const key = lowbias32((seed ^ 0x85ebca6b) >>> 0);
  const threshold = dropoutThreshold(rate);
  const scale = 1 / (1 - rate);
  for (let i = 0; i < size; i++) {
    const h = lowbias32((Math.imul(i + offset, 0x9e3779b9) ^ key) >>> 0);
    out[i] = h >= threshold ? scale : 0;
  }
  return out;
}
