/**
 * `npm run bench:throughput` — training and embedding throughput of the `tiny` encoder shape (issue 9).
 *
 * Measures one SimCSE-style step (vocab 8,000, hidden 128, 4 heads, FFN 512, 2 layers, seq 64, batch 32,
 * two dropout views, InfoNCE, Adam) in CARL-TS — stock tfjs wasm, then with @carl/native-kernels added
 * kernel group by kernel group, then with its fused ops — and the PyTorch reference
 * (../shared/reference/torch_tiny_encoder_step.py, when Debian's python3-torch is installed) in the same
 * run. Rounds are interleaved (ours, PyTorch, ours, PyTorch, …) because other work shares the machine;
 * every figure is the median over all timed steps of all rounds. Each CARL-TS configuration runs in its
 * own child process, so its peak memory and kernel registry are its own.
 *
 * Writes benchmarks/results/throughput.json. Environment:
 *   THROUGHPUT_ROUNDS (default 5), THROUGHPUT_STEPS (timed steps per round, default 8),
 *   CARL_TORCH_PYTHON (default /usr/bin/python3), CARL_TORCH_REFERENCE (default ../shared/reference/…).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, dropout, gelu, initBackend, layerNorm, matMul, namedGradients, Random, softmax, type Encoder } from '@carl/core';

const SHAPE = { vocab: 8000, hidden: 128, heads: 4, ffn: 512, layers: 2, seq: 64, batch: 32 } as const;
const REPO_ROOT = path.resolve(__dirname, '..', '..');
// THROUGHPUT_OUT names another file (e.g. for a THROUGHPUT_ONLY subset, so the full record is kept).
const RESULTS = process.env['THROUGHPUT_OUT'] ?? path.join(REPO_ROOT, 'benchmarks', 'results', 'throughput.json');
const TORCH_REFERENCE = process.env['CARL_TORCH_REFERENCE'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'reference', 'torch_tiny_encoder_step.py');
const PYTHON = process.env['CARL_TORCH_PYTHON'] ?? '/usr/bin/python3';

// ---------------------------------------------------------------------------------------------------------
// @carl/native-kernels, loaded at run time: it is optional, and until benchmarks/package.json lists it the
// workspace link may be missing, so the built package is also looked up by path.

interface NativeReport {
  readonly available: boolean;
  readonly reason?: string;
  readonly registered: readonly string[];
  readonly isa?: string;
  readonly threads?: number;
}
interface NativeKernelsModule {
  registerNativeKernels(options?: { kernels?: readonly string[]; threads?: number }): NativeReport;
}

function loadModule<T>(name: string, builtPath: string): { module: T } | { reason: string } {
  const reasons: string[] = [];
  for (const id of [name, builtPath]) {
    try {
      return { module: require(id) as T };
    } catch (error) {
      reasons.push(`${id}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    }
  }
  return { reason: reasons.join('; ') };
}

// ---------------------------------------------------------------------------------------------------------
// The model: the PyTorch reference's encoder, written the way @carl/encoder writes it (PyTorch [out, in]
// weights through core's matMul, erf GELU, LayerNorm from means, tf.softmax, tf.dropout), or with the
// fused ops of @carl/native-kernels.

interface Ops {
  layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor;
  gelu(x: tf.Tensor): tf.Tensor;
  softmax(x: tf.Tensor): tf.Tensor;
  dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor;
}

const STOCK_OPS: Ops = {
  layerNorm: (x, gamma, beta) => {
    const centred = tf.sub(x, tf.mean(x, -1, true));
    const variance = tf.mean(tf.mul(centred, centred), -1, true);
    return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, 1e-12))), gamma), beta);
  },
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)),
  softmax: (x) => tf.softmax(x, -1),
  dropout: (x, rate, seed) => tf.dropout(x, rate, undefined, seed),
};

type OpName = keyof Ops;
const OP_NAMES: readonly OpName[] = ['layerNorm', 'gelu', 'softmax', 'dropout'];

/** @carl/core's fused ops (native kernels when registered) for `which`, the stock formulations for the others. */
function fusedOps(which: readonly OpName[] = OP_NAMES): Ops {
  const fused: Ops = {
    layerNorm: (x, gamma, beta) => layerNorm(x, gamma, beta, 1e-12),
    gelu: (x) => gelu(x),
    softmax: (x) => softmax(x),
    dropout: (x, rate, seed) => dropout(x, rate, seed),
  };
  return {
    layerNorm: which.includes('layerNorm') ? fused.layerNorm : STOCK_OPS.layerNorm,
    gelu: which.includes('gelu') ? fused.gelu : STOCK_OPS.gelu,
    softmax: which.includes('softmax') ? fused.softmax : STOCK_OPS.softmax,
    dropout: which.includes('dropout') ? fused.dropout : STOCK_OPS.dropout,
  };
}

/** Something that turns a batch into L2-normalised sentence embeddings and owns its parameters. */
interface SentenceModel {
  readonly params: ReadonlyMap<string, tf.Variable>;
  embed(ids: tf.Tensor2D, mask: tf.Tensor2D, training: boolean, seed: number): tf.Tensor2D;
}

type MatMul = (a: tf.Tensor, b: tf.Tensor, transposeA: boolean, transposeB: boolean) => tf.Tensor;

// core's matMul (explicit transposes in its gradient: fast on stock wasm) or tf.matMul, whose gradient
// passes transpose flags: free with the native GEMM, so core could skip the transposes when it is on.
const CORE_MATMUL: MatMul = (a, b, ta, tb) => matMul(a, b, ta, tb);
const FLAG_MATMUL: MatMul = (a, b, ta, tb) => tf.matMul(a, b, ta, tb);

function linear(mm: MatMul, x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const inFeatures = x.shape[x.rank - 1] as number;
  const y = tf.add(mm(tf.reshape(x, [-1, inFeatures]), weight, false, true), bias);
  return tf.reshape(y, [...x.shape.slice(0, -1), weight.shape[0] as number]);
}

function normalise(pooled: tf.Tensor): tf.Tensor2D {
  return tf.div(pooled, tf.norm(pooled, 'euclidean', -1, true)) as tf.Tensor2D;
}

function standaloneModel(ops: Ops, mm: MatMul): SentenceModel {
  const { vocab, hidden: H, ffn, layers, seq } = SHAPE;
  const params = new Map<string, tf.Variable>();
  const rng = new Random(1);
  const normal = (name: string, shape: number[]): void => {
    params.set(name, tf.variable(tf.randomNormal(shape, 0, 0.02, 'float32', rng.seed()), true, name));
  };
  const fill = (name: string, shape: number[], value: number): void => {
    params.set(name, tf.variable(tf.fill(shape, value), true, name));
  };
  normal('tok', [vocab, H]);
  normal('pos', [seq, H]);
  fill('ln.weight', [H], 1);
  fill('ln.bias', [H], 0);
  for (let l = 0; l < layers; l++) {
    for (const [name, out, inp] of [['qkv', 3 * H, H], ['o', H, H], ['f1', ffn, H], ['f2', H, ffn]] as const) {
      normal(`${l}.${name}.weight`, [out, inp]);
      fill(`${l}.${name}.bias`, [out], 0);
    }
    for (const ln of ['ln1', 'ln2']) {
      fill(`${l}.${ln}.weight`, [H], 1);
      fill(`${l}.${ln}.bias`, [H], 0);
    }
  }
  const P = (name: string): tf.Tensor => params.get(name) as tf.Tensor;
  return {
    params,
    embed: (ids, mask, training, seed) => {
      const { heads: NH } = SHAPE;
      const [B, S] = ids.shape;
      const dh = H / NH;
      const seeds = new Random(seed);
      const drop = (x: tf.Tensor): tf.Tensor => (training ? ops.dropout(x, 0.1, seeds.seed()) : x);
      let x = tf.add(tf.reshape(tf.gather(P('tok'), tf.reshape(ids, [-1])), [B, S, H]), tf.slice(P('pos'), [0, 0], [S, H]));
      x = drop(ops.layerNorm(x, P('ln.weight'), P('ln.bias')));
      const maskAdd = tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [B, 1, 1, S]);
      for (let l = 0; l < layers; l++) {
        const qkv = tf.transpose(tf.reshape(linear(mm, x, P(`${l}.qkv.weight`), P(`${l}.qkv.bias`)), [B, S, 3, NH, dh]), [2, 0, 3, 1, 4]);
        const [q, k, v] = tf.unstack(tf.reshape(qkv, [3, B * NH, S, dh]), 0) as [tf.Tensor, tf.Tensor, tf.Tensor];
        const scores = tf.reshape(tf.mul(mm(q, k, false, true), 1 / Math.sqrt(dh)), [B, NH, S, S]);
        const probs = drop(ops.softmax(tf.add(scores, maskAdd)));
        const context = mm(tf.reshape(probs, [B * NH, S, S]), v, false, false);
        const merged = tf.reshape(tf.transpose(tf.reshape(context, [B, NH, S, dh]), [0, 2, 1, 3]), [B, S, H]);
        x = ops.layerNorm(tf.add(x, drop(linear(mm, merged, P(`${l}.o.weight`), P(`${l}.o.bias`)))), P(`${l}.ln1.weight`), P(`${l}.ln1.bias`));
        const inner = ops.gelu(linear(mm, x, P(`${l}.f1.weight`), P(`${l}.f1.bias`)));
        x = ops.layerNorm(tf.add(x, drop(linear(mm, inner, P(`${l}.f2.weight`), P(`${l}.f2.bias`)))), P(`${l}.ln2.weight`), P(`${l}.ln2.bias`));
      }
      const m = tf.expandDims(mask, -1);
      return normalise(tf.div(tf.sum(tf.mul(x, m), 1), tf.sum(m, 1)));
    },
  };
}

interface EncoderModule {
  createEncoder(options: { preset: 'tiny'; config?: { vocabSize?: number }; withPooler?: boolean; pooling?: 'mean'; seed?: number }): Encoder;
}

function encoderModel(): SentenceModel {
  const loaded = loadModule<EncoderModule>('@carl/encoder', path.join(REPO_ROOT, 'packages', 'encoder', 'dist', 'index.js'));
  if (!('module' in loaded)) throw new Error(`@carl/encoder is not available: ${loaded.reason}`);
  const encoder = loaded.module.createEncoder({ preset: 'tiny', config: { vocabSize: SHAPE.vocab }, withPooler: false, pooling: 'mean', seed: 1 });
  const params = new Map([...encoder.variables()].filter(([, v]) => v.trainable));
  return {
    params,
    embed: (ids, mask, training, seed) => normalise(encoder.forward({ inputIds: ids, attentionMask: mask }, { training, seed }).pooled),
  };
}

interface Optimizer {
  step(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>): void;
}

// ---------------------------------------------------------------------------------------------------------
// One configuration, measured in a child process.

type KernelSelection = 'none' | 'all' | readonly string[];

interface VariantSpec {
  readonly name: string;
  readonly description: string;
  readonly model: 'standalone' | 'encoder';
  readonly kernels: KernelSelection;
  readonly fused: boolean;
  /** With `fused`: only these ops fused (default all four). */
  readonly fusedOnly?: readonly OpName[];
  /** Use tf.matMul (transpose flags in the gradient) instead of core's matMul. */
  readonly flagMatMul?: boolean;
  /** Update each parameter with one fused AdamW kernel instead of core's op-by-op AdamW (same arithmetic). */
  readonly fusedAdam?: boolean;
  /** Measure what a plain `initBackend()` gives (native kernels registered by core itself). */
  readonly shipped?: boolean;
  readonly threads: number;
  readonly inference: boolean;
  readonly steps: number;
  readonly warmup: number;
}

interface WorkerResult {
  readonly name: string;
  readonly skipped?: string;
  readonly stepMs: number[];
  readonly stepCpuMs: number[];
  readonly inferenceMs: number[];
  readonly losses: number[];
  readonly peakRssMiB: number;
  readonly wasmHeapMiB: number;
  readonly tensorsAfter: number[];
  readonly native?: NativeReport;
}

async function runWorker(spec: VariantSpec): Promise<WorkerResult> {
  const empty = { stepMs: [], stepCpuMs: [], inferenceMs: [], losses: [], peakRssMiB: 0, wasmHeapMiB: 0, tensorsAfter: [] };
  tf.env().set('PROD', true);
  // Stock wasm first; each configuration then registers exactly the native kernels it measures
  // (except `shipped`, which measures what a plain initBackend() gives a user).
  const shipped = await initBackend({ backend: 'wasm', nativeKernels: spec.shipped === true });
  let ops = STOCK_OPS;
  let native: NativeReport | undefined = shipped.nativeKernels;
  if (spec.shipped !== true && (spec.kernels !== 'none' || spec.fused)) {
    const loaded = loadModule<NativeKernelsModule>('@carl/native-kernels', path.join(REPO_ROOT, 'packages', 'native-kernels', 'dist', 'index.js'));
    if (!('module' in loaded)) return { name: spec.name, skipped: `@carl/native-kernels not loadable: ${loaded.reason}`, ...empty };
    native = loaded.module.registerNativeKernels({ kernels: spec.kernels === 'all' || spec.kernels === 'none' ? undefined : spec.kernels, threads: spec.threads });
    if (!native.available) return { name: spec.name, skipped: `native kernels unavailable: ${native.reason ?? '?'}`, ...empty };
    if (spec.fused) ops = fusedOps(spec.fusedOnly);
  }
  let model: SentenceModel;
  try {
    model = spec.model === 'encoder' ? encoderModel() : standaloneModel(ops, spec.flagMatMul === true ? FLAG_MATMUL : CORE_MATMUL);
  } catch (error) {
    return { name: spec.name, skipped: error instanceof Error ? error.message : String(error), ...empty };
  }
  const ids = tf.randomUniform([SHAPE.batch, SHAPE.seq], 1, SHAPE.vocab, 'int32', 7) as tf.Tensor2D;
  const mask = tf.ones([SHAPE.batch, SHAPE.seq]) as tf.Tensor2D;
  const targets = tf.oneHot(tf.range(0, SHAPE.batch, 1, 'int32'), SHAPE.batch);
  // core's AdamW runs one CarlAdamW kernel per parameter when it is registered: drop it unless measured.
  if (spec.fusedAdam !== true && tf.getKernel('CarlAdamW', 'wasm') !== undefined) tf.unregisterKernel('CarlAdamW', 'wasm');
  const opt: Optimizer = new AdamW({ learningRate: 1e-4, weightDecay: 0 });
  const step = (i: number): number =>
    tf.tidy(() => {
      const { value, grads } = namedGradients(() => {
        const e1 = model.embed(ids, mask, true, 2 * i + 1);
        const e2 = model.embed(ids, mask, true, 2 * i + 2);
        return tf.losses.softmaxCrossEntropy(targets, tf.mul(matMul(e1, e2, false, true), 20)) as tf.Scalar;
      }, model.params);
      opt.step(model.params, grads);
      return value.dataSync()[0] as number;
    });
  const result: WorkerResult = { name: spec.name, native, ...empty, stepMs: [], stepCpuMs: [], inferenceMs: [], losses: [], tensorsAfter: [] };
  for (let i = 0; i < spec.warmup + spec.steps; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const loss = step(i);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    result.losses.push(loss);
    result.tensorsAfter.push(tf.memory().numTensors);
    if (i >= spec.warmup) {
      result.stepMs.push(ms);
      result.stepCpuMs.push((cpu.user + cpu.system) / 1000);
    }
  }
  if (spec.inference) {
    for (let i = 0; i < 3 + 10; i++) {
      const t0 = performance.now();
      tf.tidy(() => model.embed(ids, mask, false, 0).dataSync());
      if (i >= 3) result.inferenceMs.push(performance.now() - t0);
    }
  }
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.byteLength ?? 0;
  return { ...result, peakRssMiB: process.resourceUsage().maxRSS / 1024, wasmHeapMiB: heap / 2 ** 20 };
}

function spawnWorker(spec: VariantSpec): WorkerResult {
  const r = spawnSync(process.execPath, [__filename, '--worker', JSON.stringify(spec)], { encoding: 'utf8', maxBuffer: 1 << 24, timeout: 900_000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (line === undefined) {
    const why = (r.stderr || r.stdout || `exit ${r.status ?? r.signal}`).trim().split('\n').slice(-3).join(' | ');
    return { name: spec.name, skipped: `worker failed: ${why}`, stepMs: [], stepCpuMs: [], inferenceMs: [], losses: [], peakRssMiB: 0, wasmHeapMiB: 0, tensorsAfter: [] };
  }
  return JSON.parse(line.slice('RESULT '.length)) as WorkerResult;
}

// ---------------------------------------------------------------------------------------------------------
// PyTorch: the reference script as-is for training; its model definition for inference.

interface TorchRun {
  readonly ok: boolean;
  readonly reason?: string;
  readonly version?: string;
  readonly msPerStep?: number;
  readonly msPerBatch?: number;
  readonly peakRssMiB?: number;
  readonly blas?: string[];
}

const TORCH_WRAPPER = `
import json, os, resource, runpy, sys
mode, ref = sys.argv[1], sys.argv[2]
def libs():
    seen = set()
    with open('/proc/self/maps') as f:
        for line in f:
            p = line.split()[-1]
            if any(k in p for k in ('blas', 'mkl', 'dnnl', 'lapack')):
                seen.add(os.path.realpath(p))
    return sorted(seen)
if mode == 'train':
    sys.argv = [ref] + sys.argv[3:]
    runpy.run_path(ref, run_name='__main__')
else:
    src = open(ref).read()
    head = src[: src.index('enc = Encoder()')]
    sys.argv = [ref] + sys.argv[3:]
    g = {'__name__': 'carl_reference'}
    exec(compile(head, ref, 'exec'), g)
    torch, time, statistics = g['torch'], g['time'], g['statistics']
    enc = g['Encoder']()
    enc.eval()
    ids = torch.randint(1, g['V'], (g['B'], g['S']))
    mask = torch.ones(g['B'], g['S'])
    times = []
    with torch.no_grad():
        for i in range(g['steps'] + 3):
            t0 = time.perf_counter()
            enc(ids, mask)
            if i >= 3:
                times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({'ms_per_batch': statistics.median(times), 'peer': 'pytorch-' + torch.__version__}))
print('EXTRA ' + json.dumps({'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'blas': libs()}))
`;

function runTorch(mode: 'train' | 'infer', steps: number, env: Record<string, string> = {}): TorchRun {
  const r = spawnSync(PYTHON, ['-c', TORCH_WRAPPER, mode, TORCH_REFERENCE, String(steps), '1'], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) return { ok: false, reason: (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(-2).join(' | ') };
  const lines = r.stdout.trim().split('\n');
  const main = JSON.parse(lines.find((l) => l.startsWith('{')) ?? '{}') as { ms_per_step?: number; ms_per_batch?: number; peer?: string };
  const extra = JSON.parse((lines.find((l) => l.startsWith('EXTRA ')) ?? 'EXTRA {}').slice(6)) as { peak_rss_mib?: number; blas?: string[] };
  return {
    ok: true,
    version: main.peer,
    ...(main.ms_per_step !== undefined ? { msPerStep: main.ms_per_step } : {}),
    ...(main.ms_per_batch !== undefined ? { msPerBatch: main.ms_per_batch } : {}),
    ...(extra.peak_rss_mib !== undefined ? { peakRssMiB: extra.peak_rss_mib } : {}),
    ...(extra.blas !== undefined ? { blas: extra.blas } : {}),
  };
}

function torchAvailable(): { ok: boolean; reason?: string } {
  if (!fs.existsSync(TORCH_REFERENCE)) return { ok: false, reason: `reference script not found at ${TORCH_REFERENCE}` };
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} cannot import torch (apt-get install python3-torch)` };
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------------------

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;

function pairedRatio(runs: readonly WorkerResult[], torchRuns: readonly TorchRun[]): number | null {
  const ratios: number[] = [];
  runs.forEach((run, i) => {
    const t = torchRuns[i];
    if (run.skipped === undefined && run.stepMs.length > 0 && t?.ok === true && t.msPerStep !== undefined) ratios.push(t.msPerStep / median(run.stepMs));
  });
  return ratios.length > 0 ? Math.round(median(ratios) * 100) / 100 : null;
}
const round2 = (v: number): number => Math.round(v * 100) / 100;

function variants(steps: number, only?: readonly string[]): VariantSpec[] {
  const base = { model: 'standalone' as const, fused: false, threads: 1, inference: false, steps, warmup: 2 };
  const layout = ['BatchMatMul', 'Transpose', 'Slice', 'Unpack', 'Concat', 'Pack', 'Identity', 'Cast'];
  const all: VariantSpec[] = [
    { ...base, name: 'stock', description: 'tfjs wasm with @carl/core kernel fixes only (the issue\'s baseline)', kernels: 'none', inference: true, steps: Math.min(steps, 3), warmup: 1 },
    { ...base, name: '+matmul', description: '+ native BatchMatMul (blocked AVX-512/AVX2 GEMM, transpose flags and batches in place)', kernels: ['BatchMatMul'] },
    { ...base, name: '+layout', description: '+ native Transpose, Slice, Unpack, Concat, Pack; zero-copy Identity and same-dtype Cast', kernels: layout },
    { ...base, name: '+all kernels', description: '+ native reductions, element-wise ops, GatherV2 and Softmax (every replacement kernel; model unchanged)', kernels: 'all', inference: true },
    { ...base, name: '+fused dropout, layerNorm', description: '+all kernels, and only dropout and layerNorm switched to the fused ops (the smallest model change that beats PyTorch)', kernels: 'all', fused: true, fusedOnly: ['dropout', 'layerNorm'] },
    { ...base, name: '+fused ops', description: '+ the model uses @carl/native-kernels\' fused layerNorm, gelu, softmax (gradient) and dropout', kernels: 'all', fused: true, inference: true },
    { ...base, name: '+fused ops, flag matMul', description: 'as +fused ops, products through tf.matMul (transpose flags, no explicit transposes): the change proposed for core\'s matMul when native kernels are on', kernels: 'all', fused: true, flagMatMul: true, inference: true },
    { ...base, name: '+fused ops, flag matMul, fused AdamW', description: 'as +fused ops, flag matMul, with each parameter\'s AdamW update as one CarlAdamW kernel (bit-identical to core\'s AdamW): both changes proposed for core', kernels: 'all', fused: true, flagMatMul: true, fusedAdam: true, inference: false },
    { ...base, name: '+fused ops, 2 threads', description: 'as +fused ops with CARL_NATIVE_THREADS=2', kernels: 'all', fused: true, threads: 2 },
    { ...base, model: 'encoder', name: 'encoder stock', description: '@carl/encoder tiny preset (vocab 8,000, mean pooling), stock tfjs wasm', kernels: 'none', inference: true, steps: Math.min(steps, 3), warmup: 1 },
    { ...base, model: 'encoder', name: 'encoder +all kernels', description: '@carl/encoder tiny preset with every replacement kernel registered by hand (the encoder uses core\'s fused ops, so they run fused; matMul still transposes explicitly)', kernels: 'all', inference: true },
    { ...base, model: 'encoder', name: 'encoder as shipped', description: '@carl/encoder tiny preset after a plain initBackend(): native kernels registered automatically, fused ops, matMul through transpose flags, AdamW through CarlAdamW', kernels: 'all', shipped: true, fusedAdam: true, inference: true },
  ];
  return all.filter((spec) => only === undefined || only.includes(spec.name));
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    logicalCpus: cpus.length,
    memoryGiB: round1(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: os.loadavg().map(round2),
  };
}

async function main(): Promise<void> {
  const rounds = Number(process.env['THROUGHPUT_ROUNDS'] ?? 5);
  const steps = Number(process.env['THROUGHPUT_STEPS'] ?? 8);
  const info = machine();
  const torch = torchAvailable();
  // THROUGHPUT_ONLY='encoder stock,encoder as shipped' measures a subset (results then hold only those).
  const specs = variants(steps, process.env['THROUGHPUT_ONLY']?.split(',').map((n) => n.trim()));
  console.log(`throughput: ${rounds} interleaved rounds, ${steps} timed steps per configuration per round; ${String(info['cpu'])}, ${String(info['logicalCpus'])} CPUs, load ${os.loadavg().map(round2).join(' ')}`);
  if (!torch.ok) console.log(`PyTorch reference skipped: ${torch.reason ?? ''}`);

  const ours = new Map<string, WorkerResult[]>();
  const torchRuns: { train: TorchRun[]; trainAvx512: TorchRun[]; infer: TorchRun[] } = { train: [], trainAvx512: [], infer: [] };
  const loads: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    for (const spec of specs) {
      const result = spawnWorker(spec);
      ours.set(spec.name, [...(ours.get(spec.name) ?? []), result]);
      const shown = result.skipped !== undefined ? `skipped (${result.skipped})` : `${median(result.stepMs).toFixed(1)} ms/step`;
      console.log(`  round ${r + 1} ${spec.name.padEnd(22)} ${shown}`);
    }
    if (torch.ok) {
      const train = runTorch('train', Math.max(steps, 10));
      torchRuns.train.push(train);
      // OpenBLAS 0.3.21 does not know this CPU and picks its Haswell (AVX2) kernels; its AVX-512 ones are faster here.
      torchRuns.trainAvx512.push(runTorch('train', Math.max(steps, 10), { OPENBLAS_CORETYPE: 'COOPERLAKE' }));
      torchRuns.infer.push(runTorch('infer', 10));
      console.log(`  round ${r + 1} ${'pytorch'.padEnd(22)} ${train.ok ? `${String(train.msPerStep)} ms/step` : `failed (${train.reason ?? ''})`}`);
    }
    loads.push(os.loadavg().map(round2));
  }

  const torchTrain = median(torchRuns.train.filter((t) => t.ok).map((t) => t.msPerStep as number));
  const torchTrainAvx512 = median(torchRuns.trainAvx512.filter((t) => t.ok).map((t) => t.msPerStep as number));
  const torchInfer = median(torchRuns.infer.filter((t) => t.ok).map((t) => t.msPerBatch as number));
  const tokensPerStep = SHAPE.batch * SHAPE.seq * 2;
  const summary = specs.map((spec) => {
    const runs = ours.get(spec.name) ?? [];
    const ok = runs.filter((r) => r.skipped === undefined);
    if (ok.length === 0) return { name: spec.name, description: spec.description, skipped: runs[0]?.skipped ?? 'not run' };
    const ms = median(ok.flatMap((r) => r.stepMs));
    const inferMs = median(ok.flatMap((r) => r.inferenceMs));
    return {
      name: spec.name,
      description: spec.description,
      model: spec.model,
      kernels: ok[0]?.native?.registered ?? [],
      isa: ok[0]?.native?.isa ?? null,
      threads: spec.threads,
      msPerStep: round1(ms),
      cpuMsPerStep: round1(median(ok.flatMap((r) => r.stepCpuMs))),
      minMsPerStep: round1(Math.min(...ok.flatMap((r) => r.stepMs))),
      tokensPerSecond: Math.round(tokensPerStep / (ms / 1000)),
      ratioVsPytorch: Number.isFinite(torchTrain) ? round2(torchTrain / ms) : null,
      // Per round: that round's PyTorch time over this configuration's median in the same round, then the
      // median over rounds (pairs runs made minutes apart under similar load).
      ratioVsPytorchPaired: pairedRatio(runs, torchRuns.train),
      ratioVsPytorchAvx512: Number.isFinite(torchTrainAvx512) ? round2(torchTrainAvx512 / ms) : null,
      embedSentencesPerSecond: Number.isFinite(inferMs) ? Math.round(SHAPE.batch / (inferMs / 1000)) : null,
      embedRatioVsPytorch: Number.isFinite(inferMs) && Number.isFinite(torchInfer) ? round2(torchInfer / inferMs) : null,
      peakRssMiB: Math.round(Math.max(...ok.map((r) => r.peakRssMiB))),
      wasmHeapMiB: Math.round(Math.max(...ok.map((r) => r.wasmHeapMiB))),
      // Flat tensor counts across steps mean no leak; the loss must stay finite.
      tensorsPerStepStable: ok.every((r) => new Set(r.tensorsAfter.slice(1)).size <= 1),
      lossFirstLast: [round2(ok[0]?.losses[0] ?? Number.NaN), round2(ok[0]?.losses.at(-1) ?? Number.NaN)],
      stepsTimed: ok.flatMap((r) => r.stepMs).length,
    };
  });
  const result = {
    benchmark: 'throughput',
    issue: 9,
    date: new Date().toISOString(),
    machine: { ...info, loadAveragePerRound: loads },
    backend: 'tfjs-backend-wasm 4.22.0 (SIMD, 1 thread) + @carl/native-kernels',
    shape: SHAPE,
    step: 'SimCSE-style: two dropout views of the same batch, InfoNCE (cross-entropy of 20·e1·e2ᵀ), Adam (core AdamW, weight decay 0, lr 1e-4)',
    method: `${rounds} rounds, interleaved (every CARL-TS configuration in its own process, then PyTorch); medians over every timed step of every round (other engineers load this machine, so single runs vary by ±30 %)`,
    pytorch: torch.ok
      ? {
          version: torchRuns.train.find((t) => t.ok)?.version ?? null,
          threads: 1,
          blas: torchRuns.train.find((t) => t.ok)?.blas ?? null,
          msPerStep: round1(torchTrain),
          msPerStepPerRound: torchRuns.train.map((t) => t.msPerStep ?? null),
          msPerStepOpenblasAvx512: round1(torchTrainAvx512),
          embedSentencesPerSecond: Number.isFinite(torchInfer) ? Math.round(SHAPE.batch / (torchInfer / 1000)) : null,
          peakRssMiB: Math.round(Math.max(...torchRuns.train.map((t) => t.peakRssMiB ?? 0))),
        }
      : { skipped: torch.reason },
    configurations: summary,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);

  console.log('\nconfiguration                            ms/step  tokens/s  vs PyTorch (paired)  embed sent/s  vs PyTorch  peak RSS MiB');
  if (torch.ok) {
    console.log(`${'pytorch (1 thread)'.padEnd(40)} ${torchTrain.toFixed(1).padStart(7)}  ${String(Math.round(tokensPerStep / (torchTrain / 1000))).padStart(8)}  ${'1.00'.padStart(19)}  ${String(result.pytorch.embedSentencesPerSecond ?? '-').padStart(12)}  ${'1.00'.padStart(10)}  ${String(result.pytorch.peakRssMiB ?? '-').padStart(12)}`);
  }
  for (const s of summary) {
    if ('skipped' in s) {
      console.log(`${s.name.padEnd(40)} skipped: ${s.skipped ?? ''}`);
      continue;
    }
    console.log(`${s.name.padEnd(40)} ${s.msPerStep.toFixed(1).padStart(7)}  ${String(s.tokensPerSecond).padStart(8)}  ${`${String(s.ratioVsPytorch ?? '-')} (${String(s.ratioVsPytorchPaired ?? '-')})`.padStart(19)}  ${String(s.embedSentencesPerSecond ?? '-').padStart(12)}  ${String(s.embedRatioVsPytorch ?? '-').padStart(10)}  ${String(s.peakRssMiB).padStart(12)}`);
  }
  console.log(`\nratio = PyTorch ms / CARL-TS ms (≥ 1 means at least as fast). Written to ${path.relative(process.cwd(), RESULTS)}`);
}

if (process.argv[2] === '--worker') {
  runWorker(JSON.parse(process.argv[3] ?? '{}') as VariantSpec)
    .then((r) => console.log(`RESULT ${JSON.stringify(r)}`))
    .catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = 1;
    });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
