import * as tf from '@tensorflow/tfjs-core';
import { wasmHeapBytes } from '@carl/core';

/** Memory figures of a run (bytes). */
export interface MemoryFigures {
  /**
   * Largest `tf.memory().numBytes` seen, inside steps included. tfjs counts each tensor's bytes, also
   * for views of one buffer (reshapes), so this can exceed what the backend really holds.
   */
  readonly peakTensorBytes: number;
  /** Size of the wasm backend's heap (it only grows, so this is also its peak); absent on other backends. */
  readonly wasmHeapBytes?: number;
}

interface TrackingEngine {
  trackTensor?: (...args: unknown[]) => void;
  state: { numBytes: number };
}

/**
 * Follows the peak of tfjs's tensor bytes while a run lasts. Sampling between steps would miss the
 * activations that live only inside a step, so the engine's tensor registration is wrapped to note
 * the high-water mark (one comparison per tensor); `stop` restores it. Where the engine has no such
 * hook (another tfjs version) it falls back to the samples passed to `sample`.
 *
 * @example
 * ```ts
 * const memory = new PeakMemory();
 * try { runSteps(); memory.figures().peakTensorBytes; } finally { memory.stop(); }
 * ```
 */
export class PeakMemory {
  private peak = 0;
  private readonly engine = tf.engine() as unknown as TrackingEngine;
  private readonly original: TrackingEngine['trackTensor'];
  private readonly ownProperty: boolean;
  private wrapper: TrackingEngine['trackTensor'];

  constructor() {
    this.peak = tf.memory().numBytes;
    const original = this.engine.trackTensor;
    this.original = original;
    this.ownProperty = Object.prototype.hasOwnProperty.call(this.engine, 'trackTensor');
    if (typeof original === 'function') {
      const engine = this.engine;
      const self = this;
      this.wrapper = function (this: unknown, ...args: unknown[]): void {
        original.apply(this, args);
        if (engine.state.numBytes > self.peak) self.peak = engine.state.numBytes;
      };
      engine.trackTensor = this.wrapper;
    }
  }

  /** Notes the current figure (for engines without the hook). */
  sample(): void {
    this.peak = Math.max(this.peak, tf.memory().numBytes);
  }

  figures(): MemoryFigures {
    this.sample();
    const heap = wasmHeapBytes();
    return heap === undefined ? { peakTensorBytes: this.peak } : { peakTensorBytes: this.peak, wasmHeapBytes: heap };
  }

  /** Removes the hook (idempotent). */
  stop(): void {
    // Only our own hook: a hook added later (another run in this process) stays in place.
    if (this.wrapper === undefined || this.engine.trackTensor !== this.wrapper) return;
    if (this.ownProperty) this.engine.trackTensor = this.original;
    else delete this.engine.trackTensor;
    this.wrapper = undefined;
  }
}
