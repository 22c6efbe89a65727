import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { describeLoadFailure, initBackend, parseBackendName } from './backend';
import { isCarlError } from './errors';

const notFound = (name: string): Error => Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });

describe('initBackend', () => {
  it('skips the native backends with a reason and lands on wasm here', async () => {
    const info = await initBackend({
      backend: 'auto',
      gpuVisible: () => false,
      requireModule: (name) => {
        if (name.startsWith('@tensorflow/tfjs-node')) throw notFound(name);
        return require(name);
      },
    });
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(info.skipped[0]?.reason).toMatch(/no NVIDIA GPU/);
    expect(info.skipped[1]?.reason).toMatch(/not installed/);
  });

  it('reports a GPU package whose native addon is missing', async () => {
    const info = await initBackend({
      backend: 'auto',
      gpuVisible: () => true,
      requireModule: (name) => {
        if (name === '@tensorflow/tfjs-node-gpu') throw new Error('The Node.js native addon module (tfjs_binding.node) can not be found at path: x');
        if (name === '@tensorflow/tfjs-node') throw notFound(name);
        return require(name);
      },
    });
    expect(info.skipped[0]).toEqual({ backend: 'tensorflow-gpu', reason: expect.stringMatching(/native addon is missing/) });
  });

  it('honours CARL_BACKEND and registers the kernel fixes', async () => {
    const info = await initBackend({ env: { CARL_BACKEND: 'cpu' } });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(tf.getKernel('UnsortedSegmentSum', 'cpu')).toBeDefined();
    await initBackend({ backend: 'wasm' });
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  it('fails with BACKEND_UNAVAILABLE when a forced backend cannot start', async () => {
    await initBackend({ backend: 'tensorflow', requireModule: (n) => { throw notFound(n); } }).then(
      () => { throw new Error('should have failed'); },
      (e: unknown) => {
        expect(isCarlError(e, 'BACKEND_UNAVAILABLE')).toBe(true);
        expect((e as Error).message).toMatch(/tensorflow: not installed/);
      },
    );
  });

  it('rejects unknown backend names, naming the variable', () => {
    expect(() => parseBackendName('tpu')).toThrow(/CARL_BACKEND.*unknown backend "tpu"/);
    expect(parseBackendName('')).toBeUndefined();
    expect(parseBackendName(' wasm ')).toBe('wasm');
  });

  it('describes load failures', () => {
    expect(describeLoadFailure('x', notFound('x'))).toBe('not installed (npm install x)');
    expect(describeLoadFailure('x', new Error('libcudart.so.11.0: cannot open shared object file'))).toMatch(/native library failed/);
  });
});

describe('initBackend with @carl/native-kernels', () => {
  const fake = (report: { available: boolean; registered: string[]; reason?: string }) => {
    const calls: string[] = [];
    const requireModule = (name: string): unknown => {
      if (name === '@carl/native-kernels') {
        return {
          registerNativeKernels: () => {
            calls.push('register');
            return report;
          },
          unregisterNativeKernels: () => {
            calls.push('unregister');
            return [];
          },
        };
      }
      if (name.startsWith('@tensorflow/tfjs-node')) throw notFound(name);
      return require(name);
    };
    return { calls, requireModule };
  };

  it('registers them on wasm and reports what was registered', async () => {
    const { calls, requireModule } = fake({ available: true, registered: ['BatchMatMul@wasm', 'CarlGelu@wasm'] });
    const info = await initBackend({ backend: 'wasm', requireModule, env: {} });
    expect(calls).toEqual(['register']);
    expect(info.nativeKernels).toEqual({ available: true, registered: ['BatchMatMul@wasm', 'CarlGelu@wasm'] });
  });

  it('says why when the package is missing, and unregisters them when turned off', async () => {
    const missing = await initBackend({ backend: 'wasm', env: {}, requireModule: (n) => { if (n === '@carl/native-kernels') throw notFound(n); return require(n); } });
    expect(missing.nativeKernels).toEqual({ available: false, registered: [], reason: 'not installed (npm install @carl/native-kernels)' });
    const { calls, requireModule } = fake({ available: true, registered: [] });
    const off = await initBackend({ backend: 'wasm', requireModule, env: { CARL_NATIVE_KERNELS: '0' } });
    expect(off.nativeKernels).toBeUndefined();
    expect(calls).toEqual(['unregister']);
  });

  it('passes the thread count: option, else CARL_NATIVE_THREADS, else every core; reports it in info.threads', async () => {
    const seen: number[] = [];
    const requireModule = (name: string): unknown => {
      if (name === '@carl/native-kernels') {
        return {
          registerNativeKernels: (o: { threads: number }) => {
            seen.push(o.threads);
            return { available: true, registered: ['BatchMatMul@wasm'], threads: o.threads };
          },
          unregisterNativeKernels: () => [],
        };
      }
      if (name.startsWith('@tensorflow/tfjs-node')) throw notFound(name);
      return require(name);
    };
    const byOption = await initBackend({ backend: 'wasm', requireModule, env: { CARL_NATIVE_THREADS: '2' }, threads: 3 });
    const byEnv = await initBackend({ backend: 'wasm', requireModule, env: { CARL_NATIVE_THREADS: '2' } });
    const byDefault = await initBackend({ backend: 'wasm', requireModule, env: {} });
    expect(seen).toEqual([3, 2, os.availableParallelism()]);
    expect([byOption.threads, byEnv.threads, byDefault.threads]).toEqual([3, 2, os.availableParallelism()]);
    // The thread count is reported once, at the top level, not inside nativeKernels.
    expect(byOption.nativeKernels).toEqual({ available: true, registered: ['BatchMatMul@wasm'] });
  });

  it('rejects bad thread counts with typed errors naming the option or variable, before loading anything', async () => {
    const { calls, requireModule } = fake({ available: true, registered: [] });
    await expect(initBackend({ backend: 'wasm', requireModule, env: {}, threads: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', location: { field: 'threads' } });
    await expect(initBackend({ backend: 'wasm', requireModule, env: {}, threads: 2.5 })).rejects.toThrow(/threads must be an integer in \[1, 64\], got 2.5/);
    await expect(initBackend({ backend: 'wasm', requireModule, env: { CARL_NATIVE_THREADS: 'all' } })).rejects.toMatchObject({ code: 'INVALID_CONFIG', location: { field: 'CARL_NATIVE_THREADS' } });
    expect(calls).toEqual([]);
  });

  it('reports one thread on wasm without native kernels and on cpu', async () => {
    const { requireModule } = fake({ available: false, registered: [], reason: 'not built' });
    expect((await initBackend({ backend: 'wasm', requireModule, env: {}, threads: 2 })).threads).toBe(1);
    expect((await initBackend({ backend: 'cpu', requireModule, env: {}, threads: 2 })).threads).toBe(1);
  });

  it('leaves the cpu backend alone', async () => {
    const { calls, requireModule } = fake({ available: true, registered: [] });
    const info = await initBackend({ backend: 'cpu', requireModule, env: {} });
    expect(info.nativeKernels).toBeUndefined();
    expect(calls).toEqual([]);
  });
});
