import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, dropout, gelu, layerNorm, matMul, namedGradients, softmax } from '@carl/core';
import { expectClose } from '@carl/core/testing';
import { describeNative, randn } from './__fixtures__/helpers';
import { loadAddon, type NativeAddon } from './native';
import { registerNativeKernels } from './register';

function addon(): NativeAddon {
  const load = loadAddon({});
  if (!load.ok) throw new Error(load.reason);
  return load.addon;
}

function addonPath(): string {
  const load = loadAddon({});
  if (!load.ok) throw new Error(load.reason);
  return load.path;
}

/**
 * Runs `script` in a fresh Node process with the addon's path as argv[1] and returns its last stdout line
 * parsed as JSON. A separate process because the race this guards against could hang a pool thread forever
 * (a lost task), and a hung native thread cannot be interrupted from JavaScript.
 */
function runIsolated(script: string, timeoutMs = 60_000): { wrong: number } {
  const r = spawnSync(process.execPath, ['-e', script, addonPath()], { encoding: 'utf8', timeout: timeoutMs });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`child process failed (status ${String(r.status)}, signal ${String(r.signal)}): ${r.stderr || r.error?.message || ''}`);
  }
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { wrong: number };
}

// The race seen under stress when the kernels were written: the addon is process-wide, so every caller
// shares one pool, but run() assumed a single caller. A second caller (a Node worker_thread with its own
// tfjs, or a resize) overwrote the published job and reset its counters: tasks were lost or run with the
// wrong job (wrong results) and a caller could wait forever. The debug delay holds the window open on every
// run, which made the old pool fail on every run (hundreds of thousands of wrong elements with 4 callers,
// a stuck pass with a resize) — see the README.
describeNative('the thread pool under several callers', () => {
  it('gives every caller its own results when several OS threads submit jobs at once (delay injected at the racy point)', () => {
    const script = `const a = require(process.argv[1]); a.configure(2, 2);
      console.log(JSON.stringify({ wrong: a.debugPoolStress(4, 100, false, 20000, 200) }));`;
    expect(runIsolated(script)).toEqual({ wrong: 0 });
  });

  it('does not strand a job when the pool is resized while callers are running', () => {
    const script = `const a = require(process.argv[1]); a.configure(2, 2);
      console.log(JSON.stringify({ wrong: a.debugPoolStress(2, 100, true, 20000, 200) }));`;
    expect(runIsolated(script)).toEqual({ wrong: 0 });
  });

  it('keeps element-wise kernels right when Node worker_threads share the addon', () => {
    // Three workers each run 200 negations of 2^18 elements on their own buffers at the same time.
    const script = `
      const { Worker } = require('node:worker_threads');
      const path = process.argv[1];
      require(path).configure(2, 2);
      const body = \`
        const { workerData, parentPort } = require('node:worker_threads');
        const a = require(workerData.path);
        const n = 1 << 18, heap = new ArrayBuffer(8 * n);
        const x = new Float32Array(heap, 0, n), out = new Float32Array(heap, 4 * n, n);
        let wrong = 0;
        for (let it = 0; it < 200; it++) {
          for (let i = 0; i < n; i++) x[i] = (i % 13) + workerData.w + it;
          out.fill(-1);
          a.unary(heap, 7, 0, 4 * n, n);
          for (let i = 0; i < n; i++) if (out[i] !== -x[i]) wrong++;
        }
        parentPort.postMessage(wrong);\`;
      let done = 0, wrong = 0;
      for (let w = 0; w < 3; w++) {
        new Worker(body, { eval: true, workerData: { path, w } }).on('message', (m) => {
          wrong += m;
          if (++done === 3) { console.log(JSON.stringify({ wrong })); process.exit(0); }
        });
      }`;
    expect(runIsolated(script, 120_000)).toEqual({ wrong: 0 });
  });
});

/** Everything a training step of a transformer layer computes: loss, every gradient and the AdamW update. */
function layerStep(): Float32Array[] {
  // [8, 64, 192]: 98k elements per activation, 393k in the FFN — above every grain, so every kernel splits.
  const B = 8, S = 64, H = 192, NH = 4, F = 768;
  const params = new Map<string, tf.Variable>([
    ['wqkv', tf.variable(randn([3 * H, H], 1, 0.05), true, 'wqkv')],
    ['wo', tf.variable(randn([H, H], 2, 0.05), true, 'wo')],
    ['w1', tf.variable(randn([F, H], 3, 0.05), true, 'w1')],
    ['w2', tf.variable(randn([H, F], 4, 0.05), true, 'w2')],
    ['g', tf.variable(tf.ones([H]), true, 'g')],
    ['b', tf.variable(tf.zeros([H]), true, 'b')],
  ]);
  const x = randn([B, S, H], 5);
  const P = (n: string): tf.Tensor => params.get(n) as tf.Tensor;
  const opt = new AdamW({ learningRate: 1e-3, weightDecay: 0.01 });
  const out: Float32Array[] = [];
  for (let step = 0; step < 1; step++) {
    tf.tidy(() => {
      const { value, grads } = namedGradients(() => {
        const flat = tf.reshape(x, [B * S, H]);
        const qkv = tf.reshape(matMul(flat, P('wqkv'), false, true), [B, S, 3, NH, H / NH]);
        const [q, k, v] = tf.unstack(tf.transpose(qkv, [2, 0, 3, 1, 4])) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const probs = dropout(softmax(tf.mul(matMul(q, k, false, true), 0.125)), 0.1, 11 + step);
        const ctx = tf.reshape(tf.transpose(matMul(probs, v), [0, 2, 1, 3]), [B * S, H]);
        const h = layerNorm(tf.add(flat, matMul(ctx, P('wo'), false, true)), P('g'), P('b'));
        const ffn = matMul(dropout(gelu(matMul(h, P('w1'), false, true)), 0.1, 21 + step), P('w2'), false, true);
        const y = tf.add(h, ffn);
        return tf.mean(tf.square(tf.sub(tf.sum(y, 0), tf.max(y, 0)))) as tf.Scalar;
      }, params);
      out.push(Float32Array.from(value.dataSync()));
      for (const name of [...params.keys()].sort()) out.push(Float32Array.from((grads.get(name) as tf.Tensor).dataSync()));
      opt.step(params, grads);
    });
  }
  for (const name of [...params.keys()].sort()) out.push(Float32Array.from(P(name).dataSync()));
  opt.dispose();
  tf.dispose([...params.values(), x]);
  return out;
}

function sameBits(a: readonly Float32Array[], b: readonly Float32Array[]): boolean {
  return a.length === b.length && a.every((x, i) => {
    const y = b[i] as Float32Array;
    return x.length === y.length && Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  });
}

describeNative('threads: determinism and agreement across thread counts', () => {
  afterAll(() => {
    registerNativeKernels({ threads: 1 });
  });

  it('gives the same bits on every run at a given thread count (1, 2, 3 and 4 threads)', () => {
    for (const threads of [1, 2, 3, 4]) {
      registerNativeKernels({ threads });
      const first = layerStep();
      const second = layerStep();
      expect({ threads, same: sameBits(first, second) }).toEqual({ threads, same: true });
    }
  });

  it('agrees across thread counts to float32 summation tolerance, with default and with forced splitting', () => {
    registerNativeKernels({ threads: 1 });
    const reference = layerStep();
    const native = addon();
    const defaults = native.grains();
    const runs: Array<{ threads: number; forced: boolean; result: Float32Array[] }> = [];
    try {
      for (const forced of [false, true]) {
        // Forced: a grain of 1 splits every kernel at every size, so the small tensors' paths are split too.
        native.grains(forced ? [1, 1, 1, 1, 1, 1, 1] : [defaults.copy, defaults.arith, defaults.transcend, defaults.rows, defaults.reduce, defaults.adam, defaults.gemm]);
        for (const threads of [2, 3]) {
          registerNativeKernels({ threads });
          runs.push({ threads, forced, result: layerStep() });
        }
      }
    } finally {
      native.grains([defaults.copy, defaults.arith, defaults.transcend, defaults.rows, defaults.reduce, defaults.adam, defaults.gemm]);
    }
    for (const run of runs) {
      run.result.forEach((values, i) => expectClose(values, reference[i] as Float32Array, 1e-5, 1e-4));
    }
    // Every split is fixed by the sizes alone (blocked reductions, per-element GEMM order), so in practice the
    // results are identical; the tolerance above is what the contract promises.
    expect(runs.map((r) => ({ threads: r.threads, forced: r.forced, identical: sameBits(r.result, reference) }))).toEqual(
      runs.map((r) => ({ threads: r.threads, forced: r.forced, identical: true })),
    );
  });
});
