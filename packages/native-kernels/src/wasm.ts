import type * as tf from '@tensorflow/tfjs-core';

/**
 * The parts of tfjs-backend-wasm's `BackendWasm` the kernels use (it exports no such type). Every tensor lives
 * in the module's linear memory at `memoryOffset`; `makeOutput` allocates there (and may grow the memory, which
 * replaces `HEAPU8.buffer`, so the heap is always fetched after the last allocation).
 */
export interface WasmBackendInternals {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** True when `backend` looks like a tfjs wasm backend (checked once per kernel call, cheaply). */
export function isWasmBackend(backend: unknown): backend is WasmBackendInternals {
  const b = backend as Partial<WasmBackendInternals> | null;
  return b !== null && typeof b === 'object' && b.wasm !== undefined && b.dataIdMap !== undefined && typeof b.makeOutput === 'function';
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: WasmBackendInternals, info: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error(`tensor ${String(info.dataId)} is not on this wasm backend`);
  return data.memoryOffset;
}

/** The heap's current ArrayBuffer (fetch it after every allocation). */
export function heapOf(backend: WasmBackendInternals): ArrayBuffer {
  return backend.wasm.HEAPU8.buffer as ArrayBuffer;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
