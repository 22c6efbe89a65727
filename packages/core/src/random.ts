/**
 * A small, fast, seedable pseudo-random source (xoshiro128**, seeded through splitmix32).
 * Its whole state is four 32-bit words, so a training run can save it in a checkpoint and
 * resume with exactly the same stream of numbers.
 */
export interface RandomState {
  readonly algorithm: 'xoshiro128**';
  readonly words: readonly [number, number, number, number];
}

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * @param seed any integer (or a saved {@link RandomState}); the same seed gives the same stream.
   * @example
   * ```ts
   * const rng = new Random(42);
   * rng.float(); // 0 <= x < 1, the same on every machine
   * ```
   */
  constructor(seed: number | RandomState = 0) {
    if (typeof seed === 'number') {
      let x = seed >>> 0;
      const next = (): number => {
        // splitmix32: spreads a small integer seed over all state bits
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        return (z ^ (z >>> 16)) >>> 0;
      };
      this.s0 = next();
      this.s1 = next();
      this.s2 = next();
      this.s3 = next();
    } else {
      [this.s0, this.s1, this.s2, this.s3] = seed.words;
    }
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  /** Next unsigned 32-bit integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). @example `rng.int(6) + 1` rolls a die. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Random.int needs a positive integer, got ${n}`);
    return Math.floor(this.float() * n);
  }

  /** Standard normal sample (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.float());
  }

  /** A seed for a tfjs op that takes one (dropout, randomUniform), drawn from this stream. */
  seed(): number {
    return this.uint32();
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** An independent stream derived from this one (for a sub-component that must not disturb the parent's sequence). */
  fork(): Random {
    return new Random(this.uint32() ^ Math.imul(this.uint32(), 0x27d4eb2d));
  }

  /** The state, to store in a checkpoint. */
  getState(): RandomState {
    return { algorithm: 'xoshiro128**', words: [this.s0, this.s1, this.s2, this.s3] };
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
