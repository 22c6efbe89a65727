import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from './errors';

/** The wasm module tfjs-backend-wasm 4.x keeps on its backend (the package exports no such type). */
interface WasmModule {
  readonly wasmMemory?: { readonly buffer: ArrayBufferLike };
  readonly HEAPU8?: Uint8Array;
}

/** tfjs-backend-wasm's heap limit: a 32-bit address space. */
export const WASM_HEAP_LIMIT_BYTES = 4 * 1024 ** 3;

/**
 * The current size of the wasm backend's heap in bytes (it only grows, so this is also its peak), or `undefined`
 * when the current backend is not wasm. Tensors, kernels' scratch space and the allocator's free lists all live
 * there, so it is the number to compare with the 4 GB limit (`tf.memory().numBytes` counts only live tensors).
 *
 * @example
 * ```ts
 * const heap = wasmHeapBytes();
 * if (heap !== undefined) console.log(`wasm heap ${(heap / 2 ** 30).toFixed(2)} GiB`);
 * ```
 */
export function wasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.findBackend('wasm') as unknown as { wasm?: WasmModule } | null;
  const module = backend?.wasm;
  if (module === undefined) return undefined;
  return (module.wasmMemory?.buffer ?? module.HEAPU8?.buffer)?.byteLength;
}

/**
 * Whether `error` is how the wasm backend fails when its heap is full: emscripten's `RuntimeError: Aborted()`
 * (a failed allocation in `registerTensor` or a kernel) or `RuntimeError: memory access out of bounds` (a null
 * pointer from `malloc` written to).
 */
export function isWasmOutOfMemory(error: unknown): boolean {
  // WebAssembly's types are not in this package's libs; the class is found at run time.
  const RuntimeError = (globalThis as unknown as { WebAssembly?: { RuntimeError?: abstract new () => Error } }).WebAssembly?.RuntimeError;
  return RuntimeError !== undefined && error instanceof RuntimeError && /^Aborted\(|memory access out of bounds/.test(error.message);
}

/**
 * Runs `fn`, turning a wasm heap exhaustion ({@link isWasmOutOfMemory}) into `CarlError('OUT_OF_MEMORY')` that
 * names what was running, the heap size and what to do; other errors pass through unchanged. Works for functions
 * that return a promise too. The wasm module cannot be used after such a failure: the process has to start again.
 *
 * @param what what was running, e.g. `training step 12 (batch 32 × 128 tokens)`
 * @example
 * ```ts
 * const loss = withWasmOomAsCarlError(() => model.trainStep(batch), `step ${step} (batch ${batch.size})`);
 * ```
 */
export function withWasmOomAsCarlError<T>(fn: () => T, what: string): T {
  let result: T;
  try {
    result = fn();
  } catch (error) {
    throw asOutOfMemory(error, what);
  }
  if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(asOutOfMemory(error, what))) as T;
  return result;
}

function asOutOfMemory(error: unknown, what: string): unknown {
  if (!isWasmOutOfMemory(error)) return error;
  const heap = wasmHeapBytes();
  const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  const size = heap === undefined ? '' : ` (heap at ${gib(heap)} of ${gib(WASM_HEAP_LIMIT_BYTES)})`;
  return new CarlError(
    'OUT_OF_MEMORY',
    `${what} ran out of memory in the wasm backend${size}. Use smaller micro-batches (--micro-batch-size), ` +
      `keep less for the backward pass (--recompute selective, or layer), a shorter --max-length, or a smaller model; ` +
      `the wasm module cannot continue, so start the run again (it resumes from its last checkpoint).`,
    { field: 'wasm heap' },
    { cause: error },
  );
}
