import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm 4.x's backend read here (the package exports no such type). */
export interface WasmInternals {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number; refCount: number } | undefined };
}

/** The wasm backend when it is the current one, else undefined. */
export function wasmBackend(): WasmInternals | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const backend = tf.findBackend('wasm') as unknown as Partial<WasmInternals> | null;
  if (backend === null || backend.wasm === undefined || backend.dataIdMap === undefined) return undefined;
  return backend as WasmInternals;
}

/**
 * A live float32 view of a tensor's data in the wasm heap and how many tensors share that buffer, or undefined when
 * the tensor is not a float32 tensor of the wasm backend. Fetch it again after any allocation: growing the heap
 * replaces its buffer.
 */
export function heapView(backend: WasmInternals, t: tf.Tensor): { values: Float32Array; refCount: number } | undefined {
  const data = backend.dataIdMap.get(t.dataId);
  if (data === undefined || t.dtype !== 'float32') return undefined;
  return { values: new Float32Array(backend.wasm.HEAPU8.buffer, data.memoryOffset, t.size), refCount: data.refCount };
}

/**
 * A float32 tensor's values to read (not to keep: on wasm a view of the heap, valid until the next allocation; on
 * other backends whatever `dataSync` returns, which may be the backend's own array — never write to it).
 */
export function readFloat32(t: tf.Tensor): Float32Array {
  const backend = wasmBackend();
  const view = backend === undefined ? undefined : heapView(backend, t);
  return view?.values ?? (t.dataSync() as Float32Array);
}
