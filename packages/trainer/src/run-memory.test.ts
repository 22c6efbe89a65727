import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@carl/core/testing';
import { wasmHeapBytes } from '@carl/core';
import { PeakMemory } from './run-memory';

describeWithBackends('PeakMemory', (backend) => {
  it('sees a tensor that lived only inside a tidy, and restores the engine when stopped', () => {
    const engine = tf.engine() as unknown as { trackTensor: unknown };
    const original = engine.trackTensor;
    const base = tf.memory().numBytes;
    const peak = new PeakMemory();
    tf.tidy(() => {
      const big = tf.zeros([256, 1024]); // 1 MiB of float32
      tf.sum(big).dataSync();
    });
    expect(tf.memory().numBytes).toBe(base);
    const figures = peak.figures();
    // The 1 MiB tensor plus the small ones that lived with it, and nothing from before counted twice.
    expect(figures.peakTensorBytes).toBeGreaterThanOrEqual(base + 256 * 1024 * 4);
    expect(figures.peakTensorBytes).toBeLessThan(base + 256 * 1024 * 4 + 1024);
    peak.stop();
    peak.stop();
    expect(engine.trackTensor).toBe(original);
    tf.zeros([512, 1024]).dispose(); // after stop: not seen
    expect(peak.figures().peakTensorBytes).toBeLessThan(base + 512 * 1024 * 4);
    if (backend === 'wasm') {
      expect(figures.wasmHeapBytes).toBe(wasmHeapBytes());
      expect(figures.wasmHeapBytes).toBeGreaterThan(256 * 1024 * 4);
    } else {
      expect(figures.wasmHeapBytes).toBeUndefined();
    }
  });
});
