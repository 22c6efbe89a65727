import * as tf from '@tensorflow/tfjs-core';
import { describeNative } from './__fixtures__/helpers';
import { loadAddon } from './native';
import { nativeKernelsStatus, registerNativeKernels } from './register';
import { heapOf, offsetOf, type WasmBackendInternals } from './wasm';

describe('loading the addon', () => {
  it('can be switched off with CARL_NATIVE_KERNELS=0, and registration then reports why', () => {
    const env = { CARL_NATIVE_KERNELS: '0' };
    expect(loadAddon(env)).toEqual({ ok: false, reason: 'disabled by CARL_NATIVE_KERNELS=0' });
    expect(registerNativeKernels({ env })).toEqual({ available: false, reason: 'disabled by CARL_NATIVE_KERNELS=0', registered: [] });
    expect(nativeKernelsStatus(env).available).toBe(false);
  });

  it('loads the built addon, or explains why not', () => {
    const load = loadAddon({});
    if (load.ok) expect(['generic', 'avx2', 'avx512']).toContain(load.addon.info().isa);
    else expect(load.reason).toMatch(/not built|failed to load|stale/);
  });
});

describeNative('the addon guards the heap', () => {
  let backend: WasmBackendInternals;
  let x: tf.Tensor;
  beforeAll(() => {
    backend = tf.backend() as unknown as WasmBackendInternals;
    x = tf.ones([4, 4]);
  });

  const addon = () => {
    const load = loadAddon({});
    if (!load.ok) throw new Error(load.reason);
    return load.addon;
  };

  it('reports its instruction set', () => {
    expect(['generic', 'avx2', 'avx512']).toContain(addon().info().isa);
  });

  it('refuses ranges outside the heap, misaligned offsets and bad arguments instead of touching memory', () => {
    const heap = heapOf(backend);
    const at = offsetOf(backend, x);
    expect(() => addon().unary(heap, 0, at, heap.byteLength - 8, 16)).toThrow(/outside the heap/);
    expect(() => addon().unary(heap, 0, at + 2, at, 4)).toThrow(/outside the heap/);
    expect(() => addon().matmul(heap, at, at, heap.byteLength, 1, 4, 4, 4, false, false, 0, 0)).toThrow(/outside the heap/);
    expect(() => addon().unary(heap, 99, at, at, 4)).toThrow(/unknown unary op/);
    expect(() => addon().transpose(heap, at, at, [4, 4], [0, 0])).toThrow(/permutation/);
    expect(() => addon().binary(heap, 0, at, [4, 4], at, [3], at, [4, 4])).toThrow(/broadcast/);
    expect(() => addon().unary(new Uint8Array(4) as unknown as ArrayBuffer, 0, 0, 0, 1)).toThrow(/ArrayBuffer/);
  });
});
