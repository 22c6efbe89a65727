import * as tf from '@tensorflow/tfjs-core';
import { isCarlError } from './errors';
import { WASM_HEAP_LIMIT_BYTES, isWasmOutOfMemory, wasmHeapBytes, withWasmOomAsCarlError } from './memory';
import { describeWithBackends } from './testing';

// How tfjs-backend-wasm fails when its heap is full (emscripten's abort, and a write through malloc's null).
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: new (message: string) => Error } }).WebAssembly.RuntimeError;
const abort = (): Error => new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');

describeWithBackends('wasm memory helpers', (backend) => {
  it('reports the wasm heap size on wasm only, at least the bytes of the live tensors', () => {
    const heap = wasmHeapBytes();
    if (backend !== 'wasm') {
      expect(heap).toBeUndefined();
      return;
    }
    const big = tf.zeros([4, 1024, 1024]); // 16 MiB
    const after = wasmHeapBytes() as number;
    expect(after).toBeGreaterThanOrEqual(tf.memory().numBytes);
    expect(after).toBeLessThanOrEqual(WASM_HEAP_LIMIT_BYTES);
    expect(after % 65536).toBe(0); // whole wasm pages
    big.dispose();
  });

  it('turns a wasm abort into OUT_OF_MEMORY naming what ran, and passes other errors through', async () => {
    try {
      withWasmOomAsCarlError(() => {
        throw abort();
      }, 'training step 3 (batch 32 × 128 tokens)');
      throw new Error('no error');
    } catch (error) {
      expect(isCarlError(error, 'OUT_OF_MEMORY')).toBe(true);
      expect((error as Error).message).toMatch(/training step 3 \(batch 32 × 128 tokens\) ran out of memory in the wasm backend/);
      expect((error as Error).message).toMatch(/--micro-batch-size/);
      expect((error as Error).message).toMatch(/--recompute selective, or layer/);
      expect((error as Error & { cause?: unknown }).cause).toBeInstanceOf(RuntimeError);
    }
    await expect(withWasmOomAsCarlError(() => Promise.reject(new RuntimeError('memory access out of bounds')), 'an eval pass')).rejects.toThrow(
      /an eval pass ran out of memory/,
    );
    const plain = new TypeError('not memory');
    expect(() => withWasmOomAsCarlError(() => { throw plain; }, 'x')).toThrow(plain);
    expect(withWasmOomAsCarlError(() => 42, 'x')).toBe(42);
    await expect(withWasmOomAsCarlError(async () => 7, 'x')).resolves.toBe(7);
    expect(isWasmOutOfMemory(new RuntimeError('unreachable'))).toBe(false);
    expect(isWasmOutOfMemory(new Error('Aborted()'))).toBe(false);
  });
});
