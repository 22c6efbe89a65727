import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from './errors';
import { readFloat32 } from './heap';

/**
 * Gradients summed in plain `Float32Array`s outside the tensor heap, by parameter name: the way to add up the
 * micro-batches of one optimizer step without holding two full sets of gradients in the wasm heap. Hand each
 * gradient over as soon as it is complete (`namedGradients(f, params, { onGradient: (name, g) => acc.add(name, g) })`),
 * then pass `acc.grads` to `AdamW.step`. Each sum is the float32 sum tfjs's `add` computes, in the order added.
 *
 * @example
 * ```ts
 * const acc = new GradientAccumulator();
 * for (const micro of microBatches) namedGradients(() => loss(micro), params, { onGradient: (n, g) => acc.add(n, g) }).value.dispose();
 * const norm = acc.clipByGlobalNorm(1.0);
 * optimizer.step(params, acc.grads);
 * ```
 */
export class GradientAccumulator {
  private readonly sums = new Map<string, Float32Array>();

  /** The sums by parameter name (live arrays). */
  get grads(): ReadonlyMap<string, Float32Array> {
    return this.sums;
  }

  /** Bytes held (outside the tensor heap). */
  get bytes(): number {
    let n = 0;
    for (const g of this.sums.values()) n += g.byteLength;
    return n;
  }

  /** Adds a gradient to the sum for `name` and disposes it (the accumulator takes ownership). */
  add(name: string, grad: tf.Tensor): void {
    try {
      if (grad.dtype !== 'float32') throw new CarlError('INVALID_ARGUMENT', `gradients must be float32, got ${grad.dtype}`, { field: name });
      const values = readFloat32(grad);
      const sum = this.sums.get(name);
      if (sum === undefined) {
        this.sums.set(name, Float32Array.from(values));
        return;
      }
      if (sum.length !== values.length) {
        throw new CarlError('SHAPE_MISMATCH', `gradient has ${values.length} values, earlier ones had ${sum.length}`, { field: name });
      }
      for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (values[i] as number);
    } finally {
      grad.dispose();
    }
  }

  /** Multiplies every sum by `factor` in place (e.g. 1 / micro-batches for a mean). */
  scale(factor: number): void {
    const f = Math.fround(factor);
    for (const g of this.sums.values()) for (let i = 0; i < g.length; i++) g[i] = (g[i] as number) * f;
  }

  /** The global L2 norm of all sums (in double precision). */
  globalNorm(): number {
    let squares = 0;
    for (const g of this.sums.values()) for (let i = 0; i < g.length; i++) squares += (g[i] as number) * (g[i] as number);
    return Math.sqrt(squares);
  }

  /**
   * Rescales the sums so their global norm is at most `maxNorm` (as core's `clipByGlobalNorm`) and returns the norm
   * before clipping (NaN/Infinity pass through unchanged, for the caller to stop on).
   */
  clipByGlobalNorm(maxNorm: number): number {
    const norm = this.globalNorm();
    if (Number.isFinite(norm) && norm > maxNorm) this.scale(maxNorm / norm);
    return norm;
  }

  /** Forgets every sum (their arrays are released to the garbage collector). */
  clear(): void {
    this.sums.clear();
  }
}
