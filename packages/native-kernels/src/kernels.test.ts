import * as tf from '@tensorflow/tfjs-core';
import { expectClose } from '@carl/core/testing';
import { describeNative, expectMatchesStock, randn, withStockKernels } from './__fixtures__/helpers';
import { loadAddon } from './native';
import { nativeKernelsStatus, registerNativeKernels, type NativeKernelName } from './register';
import { heapOf, offsetOf, type WasmBackendInternals } from './wasm';

const FLAGS = [[false, false], [true, false], [false, true], [true, true]] as const;

/** The same checks, run once per instruction set and thread count, so every code path is exercised here. */
function kernelSuite(): void {
  describe('BatchMatMul', () => {
    it('matches a hand-worked product', () => {
      expectClose(tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]])), [19, 22, 43, 50]);
    });

    it('matches the stock kernel for every transpose flag, with edge tiles and several depth slices', () => {
      for (const [m, k, n] of [[37, 19, 45], [300, 600, 70], [8, 32, 32], [1, 5, 1]] as const) {
        for (const [ta, tb] of FLAGS) {
          const a = randn(ta ? [k, m] : [m, k], m + k);
          const b = randn(tb ? [n, k] : [k, n], n + 7);
          expectMatchesStock(() => tf.matMul(a, b, ta, tb), 2e-4, 1e-4);
        }
      }
    });

    it('matches the stock kernel on batches, one-sided broadcasts and a cross-broadcast (stock fallback)', () => {
      const cases: Array<[number[], number[], boolean, boolean]> = [
        [[32, 4, 16, 8], [32, 4, 16, 8], false, true],
        [[6, 16, 16], [6, 16, 8], false, false],
        [[6, 5, 7], [6, 5, 9], true, false],
        [[1, 5, 6], [4, 6, 7], false, false],
        [[4, 5, 6], [6, 7], false, false],
        [[2, 1, 3, 4], [1, 3, 4, 5], false, false],
      ];
      cases.forEach(([sa, sb, ta, tb], i) => {
        const a = randn(sa, 10 + i);
        const b = randn(sb, 20 + i);
        expectMatchesStock(() => tf.matMul(a, b, ta, tb), 1e-4, 1e-4);
      });
    });

    it('gives zeros for an empty inner dimension and empty outputs for empty outer ones', () => {
      expectClose(tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3])), [0, 0, 0, 0, 0, 0]);
      expect(tf.matMul(tf.zeros([0, 4]), tf.ones([4, 3])).shape).toEqual([0, 3]);
    });

    it('has the stock gradients for every flag combination', () => {
      const w = randn([6, 5], 3);
      for (const [ta, tb] of FLAGS) {
        const a = randn(ta ? [4, 6] : [6, 4], 1);
        const b = randn(tb ? [5, 4] : [4, 5], 2);
        expectMatchesStock(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, ta, tb), w)))([a, b]), 1e-4, 1e-4);
      }
    });
  });

  describe('Transpose', () => {
    it('matches the stock kernel for 2-D to 5-D permutations, odd sizes and int32', () => {
      const cases: Array<[number[], number[]]> = [
        [[17, 33], [1, 0]],
        [[64, 300], [1, 0]],
        [[3, 8, 4, 9, 5], [2, 0, 3, 1, 4]],
        [[32, 4, 6, 5], [0, 2, 1, 3]],
        [[5, 1, 7], [2, 1, 0]],
        [[4, 6, 8], [0, 1, 2]],
        [[2, 3, 4, 5], [3, 2, 1, 0]],
      ];
      cases.forEach(([shape, perm], i) => {
        const x = randn(shape, i);
        expectMatchesStock(() => tf.transpose(x, perm), 0, 0);
        const xi = tf.cast(tf.mul(x, 100), 'int32');
        expectMatchesStock(() => tf.transpose(xi, perm), 0, 0);
      });
    });

    it('transposes a hand-worked matrix', () => {
      expectClose(tf.transpose(tf.tensor2d([[1, 2, 3], [4, 5, 6]])), [1, 4, 2, 5, 3, 6]);
    });
  });

  describe('reductions', () => {
    let x: tf.Tensor;
    beforeAll(() => {
      x = randn([6, 5, 7, 3], 4);
    });
    it.each([['sum'], ['mean'], ['max'], ['min']] as const)('%s matches the stock kernel on contiguous and scattered axes', (name) => {
      const f = tf[name];
      for (const axis of [-1, 0, 1, [1, 2], [0, 1, 2, 3], [0, 2], [2, 3]]) {
        expectMatchesStock(() => f(x, axis, false), 1e-5, 1e-5);
        expectMatchesStock(() => f(x, axis, true), 1e-5, 1e-5);
      }
    });

    it('sums a hand-worked matrix along each axis', () => {
      const m = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
      expectClose(tf.sum(m, 0), [5, 7, 9]);
      expectClose(tf.sum(m, 1), [6, 15]);
      expectClose(tf.max(m, 1), [3, 6]);
      expectClose(tf.mean(m), [3.5]);
    });

    it('leaves int32 reductions to the stock kernel', () => {
      const xi = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
      expect(tf.sum(xi, 1).dtype).toBe('int32');
      expectClose(tf.sum(xi, 1), [3, 7]);
    });

    it('has the stock gradients', () => {
      expectMatchesStock(() => tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.mean(t, [1, 2]))))(x), 1e-6, 1e-5);
      expectMatchesStock(() => tf.grad((t: tf.Tensor) => tf.sum(tf.max(t, -1)))(x), 0, 0);
    });
  });

  describe('element-wise', () => {
    let wide: tf.Tensor;
    let positive: tf.Tensor;
    beforeAll(() => {
      wide = tf.mul(randn([4, 1000], 5), 4);
      positive = tf.add(tf.abs(wide), 0.01);
    });
    it.each(['exp', 'erf', 'tanh', 'sigmoid', 'neg', 'abs', 'square', 'relu', 'floor'] as const)('%s matches the stock kernel', (name) => {
      expectMatchesStock(() => tf[name](wide), 1e-6, 1e-6);
    });
    it.each(['sqrt', 'rsqrt', 'reciprocal'] as const)('%s matches the stock kernel on positive values', (name) => {
      expectMatchesStock(() => tf[name](positive), 1e-6, 1e-6);
    });

    it('keeps exp, erf and tanh right at their limits, in the denormals and on non-finite values', () => {
      const edge = tf.tensor1d([-1000, -100, -87, -20, 0, 1e-6, 20, 88, 1000, Infinity, -Infinity, NaN]);
      expectMatchesStock(() => [tf.erf(edge), tf.tanh(edge), tf.sigmoid(edge), tf.exp(edge)], 1e-44, 1e-6);
      const e = tf.exp(edge).dataSync();
      expect(e[0]).toBe(0);
      expect((e[1] as number) / 1e-44).toBeCloseTo(Math.exp(-100) / 1e-44, 0); // a denormal, not flushed to zero
      expect(e[4]).toBe(1);
      expect([e[8], e[9], e[10]]).toEqual([Infinity, Infinity, 0]);
      expect(Number.isNaN(e[11])).toBe(true);
      expectClose(e.slice(2, 8), [Math.exp(-87), Math.exp(-20), 1, Math.exp(1e-6), Math.exp(20), Math.exp(88)], 0, 1e-6);
    });

    it.each(['add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'squaredDifference'] as const)('%s matches the stock kernel for every broadcast pattern', (name) => {
      const f = tf[name] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
      const shapes: Array<[number[], number[]]> = [
        [[3, 5, 7], [3, 5, 7]],
        [[3, 5, 7], []],
        [[], [3, 5, 7]],
        [[3, 5, 7], [7]],
        [[3, 5, 7], [3, 5, 1]],
        [[3, 1, 7], [3, 5, 1]],
        [[4, 3, 6, 6], [4, 1, 1, 6]],
        [[2, 1], [1, 9]],
        [[0, 3], [3]],
      ];
      shapes.forEach(([sa, sb], i) => {
        const a = randn(sa, 30 + i);
        const b = name === 'div' ? tf.add(tf.abs(randn(sb, 40 + i)), 0.5) : randn(sb, 40 + i);
        expectMatchesStock(() => f(a, b), 1e-6, 1e-6);
      });
    });

    it('leaves int32 arithmetic to the stock kernel', () => {
      const r = tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32'));
      expect(r.dtype).toBe('int32');
      expectClose(r, [4, 6]);
    });

    it('has the stock gradients through broadcasts', () => {
      const a = randn([4, 3, 5], 1);
      const b = randn([3, 1], 2);
      expectMatchesStock(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.div(tf.sub(x, y), tf.add(tf.square(y), 1)), x)))([a, b]), 1e-5, 1e-5);
    });
  });

  describe('copies: Identity, Cast, Slice, Unpack, Concat, Pack, GatherV2', () => {
    let x: tf.Tensor;
    beforeAll(() => {
      x = randn([4, 6, 5], 8);
    });
    it('Identity and same-dtype Cast share the buffer safely (disposing one keeps the other)', () => {
      const c = x.clone();
      const d = tf.cast(x, 'float32');
      c.dispose();
      expectClose(d, x);
      d.dispose();
      expect(x.isDisposed).toBe(false);
      expectMatchesStock(() => tf.cast(tf.tensor1d([1.7, -2.2]), 'int32'), 0, 0);
    });

    it('Slice, Unpack, Concat and Pack match the stock kernels', () => {
      expectMatchesStock(() => tf.slice(x, [1, 2, 0], [2, -1, 3]), 0, 0);
      expectMatchesStock(() => tf.slice(tf.cast(x, 'int32'), [0, 5, 4], [4, 1, 1]), 0, 0);
      for (const axis of [0, 1, 2]) {
        expectMatchesStock(() => tf.unstack(x, axis), 0, 0);
        expectMatchesStock(() => tf.stack([x, tf.neg(x), x], axis), 0, 0);
      }
      expectMatchesStock(() => tf.concat([x, tf.slice(x, [0, 0, 0], [4, 2, 5]), tf.zeros([4, 0, 5])], 1), 0, 0);
      expectMatchesStock(() => tf.concat([x, tf.neg(x)], -1), 0, 0);
      expectMatchesStock(() => tf.concat([tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3], 'int32')]), 0, 0);
    });

    it('has the stock gradients through unstack, stack and slice', () => {
      expectMatchesStock(() => tf.grad((t: tf.Tensor) => {
        const [p, q] = tf.unstack(tf.reshape(t, [2, 2, 6, 5]), 0) as [tf.Tensor, tf.Tensor];
        return tf.sum(tf.mul(tf.stack([q, p], 1), tf.slice(tf.stack([p, q], 1), [0, 0, 0, 0], [2, 2, 6, 5])));
      })(x), 1e-6, 1e-6);
    });

    it('GatherV2 looks rows up like the stock kernel (repeated and 2-D indices) and keeps its range check', () => {
      const table = randn([10, 4], 9);
      expectMatchesStock(() => tf.gather(table, tf.tensor2d([[3, 3, 0], [9, 1, 3]], undefined, 'int32')), 0, 0);
      expectMatchesStock(() => tf.gather(table, tf.tensor1d([2, 0], 'int32'), 1), 0, 0);
      const stockError = withStockKernels(() => captureError(() => tf.gather(table, tf.tensor1d([10], 'int32')).dataSync()));
      expect(captureError(() => tf.gather(table, tf.tensor1d([10], 'int32')).dataSync())).toBe(stockError);
    });
  });

  describe('UnsortedSegmentSum', () => {
    it('matches a hand-worked sum with repeated and out-of-range ids', () => {
      const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
      expectClose(tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 7], 'int32'), 3), [3, 4, 0, 0, 6, 8]);
    });

    it('matches the kernel it replaces on a vocabulary-sized table, and as the gradient of an embedding gather', () => {
      const x = randn([300, 24], 5);
      const ids = tf.randomUniform([300], -3, 520, 'int32', 9);
      expectMatchesStock(() => tf.unsortedSegmentSum(x, ids as tf.Tensor1D, 512), 1e-5, 1e-5);
      const table = randn([512, 24], 6);
      const lookups = tf.randomUniform([64, 5], 0, 512, 'int32', 10);
      const w = randn([64, 5, 24], 7);
      expectMatchesStock(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, lookups), w)))(table), 1e-5, 1e-5);
    });
  });

  describe('Softmax', () => {
    it('matches the stock kernel, with a −1e9 padding mask and large logits', () => {
      const logits = tf.add(tf.mul(randn([2, 3, 8, 8], 11), 30), tf.reshape(tf.tensor1d([0, 0, 0, 0, 0, 0, -1e9, -1e9]), [1, 1, 1, 8]));
      expectMatchesStock(() => tf.softmax(logits), 1e-6, 1e-5);
      expectMatchesStock(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), logits)))(logits), 1e-4, 1e-4);
    });
  });
}

function captureError(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

describeNative('native kernels (best instruction set, one thread)', kernelSuite, { threads: 1 });
describeNative('native kernels (AVX2 path, two threads)', kernelSuite, { isa: 'avx2', threads: 2 });
// Every kernel split at every size (a grain of 1) over three threads: the split paths of small tensors too.
describeNative('native kernels (three threads, every kernel split)', () => {
  let defaults: number[] = [];
  beforeAll(() => {
    const load = loadAddon({});
    if (!load.ok) throw new Error(load.reason);
    const g = load.addon.grains();
    defaults = [g.copy, g.arith, g.transcend, g.rows, g.reduce, g.adam, g.gemm];
    load.addon.grains([1, 1, 1, 1, 1, 1, 1]);
  });
  afterAll(() => {
    const load = loadAddon({});
    if (load.ok) load.addon.grains(defaults);
  });
  kernelSuite();
}, { threads: 3 });
describeNative('native kernels (portable path)', kernelSuite, { isa: 'generic' });

describeNative('registration', () => {
  it('serves every kernel natively and restores the stock ones on request', () => {
    const status = nativeKernelsStatus();
    expect(status.registered).toEqual(expect.arrayContaining(['BatchMatMul@wasm', 'Transpose@wasm', 'CarlLayerNorm@wasm']));
    const stockMatMul = withStockKernels(() => tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc);
    expect(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc).not.toBe(stockMatMul);
    withStockKernels(() => {
      expect(tf.getKernel('CarlLayerNorm', 'wasm')).toBeUndefined();
      expect(nativeKernelsStatus().registered).toEqual([]);
    });
  });

  it('rejects unknown kernel names and bad thread counts with typed errors', () => {
    expect(() => registerNativeKernels({ kernels: ['NoSuchKernel' as NativeKernelName] })).toThrow(/unknown native kernel "NoSuchKernel"/);
    expect(() => registerNativeKernels({ threads: 0 })).toThrow(/threads must be an integer/);
    expect(() => registerNativeKernels({ env: { CARL_NATIVE_THREADS: 'two' } })).toThrow(/CARL_NATIVE_THREADS/);
  });
});

describeNative('the thread pool', () => {
  it('stays correct over thousands of back-to-back parallel runs (the hand-off between runs is where races hide)', () => {
    // A long inner dimension: one product is 2 × 32 pool runs back to back (pack a slice of B, then multiply),
    // with no JavaScript in between to give a late helper thread time to settle.
    const a = randn([48, 8192], 1);
    const b = randn([8192, 40], 2);
    // 2^17 elements: two chunks of ~20 µs, so the caller often finishes a run before its helper wakes up.
    const x = randn([1 << 17], 3);
    const product = Float32Array.from(withStockKernels(() => tf.matMul(a, b).dataSync()));
    const exp = Float32Array.from(withStockKernels(() => tf.exp(x).dataSync()));
    const load = loadAddon({});
    if (!load.ok) throw new Error(load.reason);
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const out = tf.zerosLike(x);
    for (let i = 0; i < 4000; i++) load.addon.unary(heapOf(backend), 0, offsetOf(backend, x), offsetOf(backend, out), x.size);
    expectClose(out.dataSync(), exp, 1e-6, 1e-6);
    for (let i = 0; i < 300; i++) {
      tf.tidy(() => {
        const p = tf.matMul(a, b);
        if (i % 50 === 49) expectClose(p.dataSync(), product, 1e-3, 1e-4);
      });
    }
  });
}, { threads: 2 });
