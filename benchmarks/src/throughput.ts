/**
 * `npm run bench:throughput` — training and embedding throughput of CARL-TS against PyTorch and
 * onnxruntime-node, at the tiny, MiniLM-L6 and BERT-base shapes, on one thread and on every core (issue 14).
 *
 * Per round, for every shape and thread count, in this order (each in its own process, so peak memory and
 * thread pools are its own):
 *   - ours: a SimCSE step of @carl/encoder as shipped (two dropout views, InfoNCE, core's AdamW), then
 *     embedding inference (batch 32, dropout off), then the native GEMM's peak on the encoder's products;
 *   - pytorch: the reference training step (../shared/reference/torch_tiny_encoder_step.py STEPS THREADS,
 *     SHAPE=…), then its encoder's inference;
 *   - simcse (BERT-base by default): the SimCSE step through @carl/trainer's TrainingModel (method simcse),
 *     micro-batched with gradient caching when the whole batch does not fit the wasm heap;
 *   - carl: a full CARL step (method carl: momentum target, queue, saliency-perturbed tokens, PTD) through
 *     @carl/trainer's TrainingModel, with micro-batches when the trainer has them (`microBatchSize`);
 *   - onnxruntime-node: inference of the same encoder exported by benchmarks/python/export_reference_onnx.py.
 * Rounds are interleaved because other work shares the machine: each round gives one ratio per pair, and
 * the summary is the median ratio with its spread (min–max) over rounds.
 *
 * Writes benchmarks/results/throughput.json after every measurement (so a long run can be resumed with
 * THROUGHPUT_RESUME=1: measurements already in the file are kept and skipped). Environment:
 *   THROUGHPUT_ROUNDS   rounds (default 5)
 *   THROUGHPUT_ONLY     shapes, comma-separated (default tiny,minilm,bert-base)
 *   THROUGHPUT_THREADS  thread counts, comma-separated, `all` = os.availableParallelism() (default 1,all)
 *   THROUGHPUT_SIDES    subset of ours,pytorch,simcse,carl,ort (default: all but simcse; bert-base: all)
 *   THROUGHPUT_STEPS    timed steps per measurement (default: tiny 6, minilm 3, bert-base 2)
 *   THROUGHPUT_MICRO_BATCH  micro-batch size of the CARL step (default 0: the trainer's memory plan picks)
 *   THROUGHPUT_OUT      results file (default benchmarks/results/throughput.json)
 *   THROUGHPUT_RESUME=1 keep and skip the measurements already in THROUGHPUT_OUT
 *   CARL_TORCH_PYTHON (default /usr/bin/python3), CARL_TORCH_REFERENCE (default ../shared/reference/…)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initBackend, matMul, namedGradients, Random } from '@carl/core';
import { createEncoder } from '@carl/encoder';
import { resolveConfig, DEFAULT_CONFIG } from '@carl/trainer';
import { SHAPES, shapeEnv, simcseStepFlops, forwardFlops, type EncoderShape, type ShapeName } from './shapes';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = process.env['THROUGHPUT_OUT'] ?? path.join(REPO_ROOT, 'benchmarks', 'results', 'throughput.json');
const TORCH_REFERENCE = process.env['CARL_TORCH_REFERENCE'] ?? path.resolve(REPO_ROOT, '..', 'shared', 'reference', 'torch_tiny_encoder_step.py');
const PYTHON = process.env['CARL_TORCH_PYTHON'] ?? '/usr/bin/python3';
const EXPORT_SCRIPT = path.join(REPO_ROOT, 'benchmarks', 'python', 'export_reference_onnx.py');
const ONNX_DIR = path.join(os.tmpdir(), 'carl-throughput-onnx');
const CHILD_TIMEOUT_MS = 3_600_000;
const DEFAULT_STEPS: Record<ShapeName, number> = { tiny: 6, minilm: 3, 'bert-base': 2 };

type Kind = 'ours' | 'pytorch' | 'simcse' | 'carl' | 'ort';
const KINDS: readonly Kind[] = ['ours', 'pytorch', 'simcse', 'carl', 'ort'];
// `simcse` (the SimCSE step through the trainer, micro-batched with gradient caching) by default only where
// the plain whole-batch step may not fit the wasm heap.
const DEFAULT_SIDES: Record<ShapeName, readonly Kind[]> = {
  tiny: ['ours', 'pytorch', 'carl', 'ort'],
  minilm: ['ours', 'pytorch', 'carl', 'ort'],
  'bert-base': ['ours', 'pytorch', 'simcse', 'carl', 'ort'],
};

interface WorkerSpec {
  readonly kind: Kind;
  readonly shape: ShapeName;
  readonly threads: number;
  readonly steps: number;
  readonly microBatch?: number;
  readonly onnx?: string;
}

/** One measurement (one process) of one round. */
interface Measurement {
  readonly round: number;
  readonly shape: ShapeName;
  readonly threads: number;
  readonly kind: Kind;
  readonly ok: boolean;
  readonly reason?: string;
  /** Median ms per training step (ours: SimCSE; pytorch: its reference step; carl: TrainingModel.step). */
  readonly stepMs?: number;
  readonly stepMsAll?: readonly number[];
  /** Median ms per 32-sentence inference batch. */
  readonly inferMs?: number;
  /** ours: the best GFLOP/s of the native GEMM on the encoder's products, in the same process. */
  readonly gemmPeakGflops?: number;
  readonly peakRssMiB?: number;
  readonly wasmHeapMiB?: number;
  readonly microBatchSize?: number;
  readonly threadsUsed?: number;
  readonly lossFinite?: boolean;
  readonly version?: string;
  /** CPU seconds per wall second of the measuring process: how many cores it kept busy (≤ threads if honoured). */
  readonly cpuPerWall?: number;
  readonly loadAverage: readonly number[];
  readonly wallS: number;
}

// ---------------------------------------------------------------------------------------------------------
// Worker side: runs in a child process, prints `RESULT {json}`.

function encoderFor(shape: EncoderShape): ReturnType<typeof createEncoder> {
  return createEncoder({
    preset: 'tiny',
    config: { vocabSize: shape.vocab, hiddenSize: shape.hidden, numAttentionHeads: shape.heads, intermediateSize: shape.ffn, numHiddenLayers: shape.layers },
    withPooler: false,
    pooling: 'mean',
    seed: 1,
  });
}

function wasmHeapMiB(): number {
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.byteLength ?? 0;
  return Math.round(heap / 2 ** 20);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;
const round2 = (v: number): number => Math.round(v * 100) / 100;

function l2(x: tf.Tensor): tf.Tensor2D {
  return tf.div(x, tf.norm(x, 'euclidean', -1, true)) as tf.Tensor2D;
}

/** ours: SimCSE step, inference, GEMM peak. */
async function workerOurs(spec: WorkerSpec): Promise<Partial<Measurement>> {
  const shape = SHAPES[spec.shape];
  tf.env().set('PROD', true);
  const info = await initBackend({ backend: 'wasm', threads: spec.threads });
  if (info.nativeKernels?.available !== true) return { ok: false, reason: `native kernels unavailable: ${info.nativeKernels?.reason ?? '?'}` };
  const encoder = encoderFor(shape);
  const params = new Map([...encoder.variables()].filter(([, v]) => v.trainable));
  const ids = tf.randomUniform([shape.batch, shape.seq], 1, Math.min(shape.vocab, 8000), 'int32', 7) as tf.Tensor2D;
  const mask = tf.ones([shape.batch, shape.seq], 'int32') as tf.Tensor2D;
  const targets = tf.oneHot(tf.range(0, shape.batch, 1, 'int32'), shape.batch);
  const opt = new AdamW({ learningRate: 1e-4, weightDecay: 0 });
  const inputs = { inputIds: ids, attentionMask: mask };
  const step = (i: number): number =>
    tf.tidy(() => {
      const { value, grads } = namedGradients(() => {
        const e1 = l2(encoder.forward(inputs, { training: true, seed: 2 * i + 1 }).pooled);
        const e2 = l2(encoder.forward(inputs, { training: true, seed: 2 * i + 2 }).pooled);
        return tf.losses.softmaxCrossEntropy(targets, tf.mul(matMul(e1, e2, false, true), 20)) as tf.Scalar;
      }, params);
      opt.step(params, grads);
      return value.dataSync()[0] as number;
    });
  // Inference and the GEMM peak first: a whole-batch step that overflows the wasm heap (BERT-base) aborts the
  // module, and these figures are then already out (PARTIAL); the trainer's micro-batched step is `simcse`.
  const inferMs: number[] = [];
  for (let i = 0; i < 2 + spec.steps + 2; i++) {
    const t0 = performance.now();
    const pooled = tf.tidy(() => l2(encoder.forward(inputs, { training: false }).pooled));
    pooled.dataSync();
    pooled.dispose();
    if (i >= 2) inferMs.push(performance.now() - t0);
  }
  const partial: Partial<Measurement> = { ok: true, inferMs: round1(median(inferMs)), gemmPeakGflops: gemmPeak(shape), threadsUsed: info.threads };
  console.log(`PARTIAL ${JSON.stringify(partial)}`);
  const stepMs: number[] = [];
  let lossFinite = true;
  for (let i = 0; i < 1 + spec.steps; i++) {
    const t0 = performance.now();
    lossFinite &&= Number.isFinite(step(i));
    if (i >= 1) stepMs.push(performance.now() - t0);
  }
  return { ...partial, stepMs: round1(median(stepMs)), stepMsAll: stepMs.map(round1), wasmHeapMiB: wasmHeapMiB(), lossFinite };
}

/** Best GFLOP/s of core's matMul (the native GEMM) over the encoder's projection products, forward and transposed. */
function gemmPeak(shape: EncoderShape): number {
  const T = shape.batch * shape.seq;
  const cases: Array<[number, number, number, boolean, boolean]> = [
    [T, shape.ffn, shape.hidden, false, true],
    [T, shape.hidden, shape.ffn, false, true],
    [T, 3 * shape.hidden, shape.hidden, false, true],
    [shape.ffn, shape.hidden, T, true, false],
  ];
  let best = 0;
  for (const [m, n, k, ta, tb] of cases) {
    const a = tf.randomNormal(ta ? [k, m] : [m, k], 0, 1, 'float32', 1);
    const b = tf.randomNormal(tb ? [n, k] : [k, n], 0, 1, 'float32', 2);
    for (let r = 0; r < 4; r++) {
      const t0 = performance.now();
      // wasm kernels run synchronously: the product is done when matMul returns. (A typed array returned
      // from tf.tidy would be walked element by element looking for tensors, which costs more than the product.)
      const y = matMul(a, b, ta, tb);
      y.dispose();
      const s = (performance.now() - t0) / 1000;
      if (r > 0) best = Math.max(best, (2 * m * n * k) / s / 1e9);
    }
    tf.dispose([a, b]);
  }
  return round1(best);
}

interface TrainingModelLike {
  /** Absent before @carl/trainer had micro-batches. */
  readonly memoryPlan?: { readonly microBatchSize: number };
  step(rows: ReadonlyArray<{ id: string; text: string; va: { valence: number; arousal: number } }>, rng: Random, learningRate: number, momentum: number): { loss: number };
}
type TrainingModelCtor = new (online: ReturnType<typeof createEncoder>, config: ReturnType<typeof resolveConfig>, seed: number) => TrainingModelLike;

/** TrainingModel is internal to @carl/trainer; the benchmark loads it from the built package (or its source under a TS loader). */
function loadTrainingModel(): TrainingModelCtor {
  const built = path.join(REPO_ROOT, 'packages', 'trainer', 'dist', 'step.js');
  const source = path.join(REPO_ROOT, 'packages', 'trainer', 'src', 'step.ts');
  // Under a TypeScript loader (development) the source is current; otherwise the build (npm run build first).
  const candidates = '.ts' in require.extensions ? [source, built] : [built];
  for (const file of candidates) {
    if (!fs.existsSync(file)) continue;
    try {
      return (require(file) as { TrainingModel: TrainingModelCtor }).TrainingModel;
    } catch {
      // the .ts source needs a TS loader; try the next
    }
  }
  throw new Error('cannot load TrainingModel (build @carl/trainer first)');
}

/** carl / simcse: one step per iteration through TrainingModel (that method), on texts that fill the sequence. */
async function workerCarl(spec: WorkerSpec): Promise<Partial<Measurement>> {
  const shape = SHAPES[spec.shape];
  tf.env().set('PROD', true);
  const info = await initBackend({ backend: 'wasm', threads: spec.threads });
  const TrainingModel = loadTrainingModel();
  const encoder = encoderFor(shape);
  // Micro-batches when the trainer has them (a config key `microBatchSize`); 0 lets its memory plan pick.
  const hasMicro = Object.prototype.hasOwnProperty.call(DEFAULT_CONFIG, 'microBatchSize');
  const config = resolveConfig({
    method: spec.kind === 'simcse' ? 'simcse' : 'carl',
    batchSize: shape.batch,
    maxLength: shape.seq,
    queueSize: 4 * shape.batch,
    ...(hasMicro ? { microBatchSize: spec.microBatch ?? 0 } : {}),
  });
  const model = new TrainingModel(encoder, config, 1);
  const words = ['happy', 'calm', 'angry', 'sad', 'bright', 'quiet', 'storm', 'music', 'friend', 'alone', 'thrill', 'tired', 'love', 'crowd', 'evening', 'game'];
  const rng = new Random(3);
  const rows = Array.from({ length: shape.batch }, (_, i) => ({
    id: String(i),
    // Enough words that every sentence is truncated at maxLength: every step sees the full padded shape.
    text: Array.from({ length: shape.seq + 8 }, () => words[rng.int(words.length)] as string).join(' '),
    va: { valence: rng.float() * 2 - 1, arousal: rng.float() * 2 - 1 },
  }));
  const stepMs: number[] = [];
  let lossFinite = true;
  const stepRng = new Random(5);
  for (let i = 0; i < 1 + spec.steps; i++) {
    const t0 = performance.now();
    lossFinite &&= Number.isFinite(model.step(rows, stepRng, 1e-5, 0.999).loss);
    if (i >= 1) stepMs.push(performance.now() - t0);
  }
  return {
    ok: true,
    stepMs: round1(median(stepMs)),
    stepMsAll: stepMs.map(round1),
    wasmHeapMiB: wasmHeapMiB(),
    ...(model.memoryPlan === undefined ? {} : { microBatchSize: model.memoryPlan.microBatchSize }),
    threadsUsed: info.threads,
    lossFinite,
  };
}

interface OrtModule {
  InferenceSession: {
    create(file: string, options: Record<string, unknown>): Promise<{ run(feeds: Record<string, unknown>): Promise<Record<string, unknown>> }>;
  };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => unknown;
}

/** ort: inference of the exported reference encoder with onnxruntime-node's CPU provider. */
async function workerOrt(spec: WorkerSpec): Promise<Partial<Measurement>> {
  const shape = SHAPES[spec.shape];
  let ort: OrtModule;
  try {
    ort = require('onnxruntime-node') as OrtModule;
  } catch (error) {
    return { ok: false, reason: `onnxruntime-node not installed (${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
  }
  const session = await ort.InferenceSession.create(spec.onnx as string, {
    executionProviders: ['cpu'],
    intraOpNumThreads: spec.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const n = shape.batch * shape.seq;
  const ids = new BigInt64Array(n).map((_, i) => BigInt(1 + ((i * 7919) % (shape.vocab - 1))));
  const feeds = {
    input_ids: new ort.Tensor('int64', ids, [shape.batch, shape.seq]),
    attention_mask: new ort.Tensor('float32', new Float32Array(n).fill(1), [shape.batch, shape.seq]),
  };
  const inferMs: number[] = [];
  for (let i = 0; i < 2 + spec.steps + 2; i++) {
    const t0 = performance.now();
    await session.run(feeds);
    if (i >= 2) inferMs.push(performance.now() - t0);
  }
  const pkg = JSON.parse(fs.readFileSync(require.resolve('onnxruntime-node/package.json'), 'utf8')) as { version: string };
  return { ok: true, inferMs: round1(median(inferMs)), version: `onnxruntime-node-${pkg.version}` };
}

async function runWorker(spec: WorkerSpec): Promise<Partial<Measurement>> {
  const result = spec.kind === 'ours' ? await workerOurs(spec) : spec.kind === 'ort' ? await workerOrt(spec) : await workerCarl(spec);
  const cpu = process.cpuUsage();
  return { ...result, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), cpuPerWall: round2((cpu.user + cpu.system) / 1e6 / process.uptime()) };
}

function spawnWorker(spec: WorkerSpec): Partial<Measurement> {
  const args = [...process.execArgv, __filename, '--worker', JSON.stringify(spec)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 26, timeout: CHILD_TIMEOUT_MS });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
  if (line !== undefined) return JSON.parse(line.slice(7)) as Partial<Measurement>;
  const why = r.error?.message ?? `exit ${String(r.status ?? r.signal)}`;
  // The error's own lines, not its stack frames.
  const message = (r.stderr ?? '').split('\n').filter((l) => l.trim() !== '' && !/^\s+at /.test(l)).slice(-3).join(' | ');
  const partial = r.stdout?.split('\n').find((l) => l.startsWith('PARTIAL '));
  // What the worker measured before failing (e.g. inference before a step that overflowed the heap) still counts.
  if (partial !== undefined) return { ...(JSON.parse(partial.slice(8)) as Partial<Measurement>), reason: `training step failed: ${why}: ${message}` };
  return { ok: false, reason: `${why}: ${message}` };
}

// ---------------------------------------------------------------------------------------------------------
// PyTorch: the reference script as-is for training; its model definition for inference.

const TORCH_INFER = `
import json, resource, sys
ref, steps, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3]
src = open(ref).read()
head = src[: src.index('enc = Encoder()')]
sys.argv = [ref, str(steps), threads]
g = {'__name__': 'carl_reference'}
exec(compile(head, ref, 'exec'), g)
torch, time, statistics = g['torch'], g['time'], g['statistics']
enc = g['Encoder']()
enc.eval()
ids = torch.randint(1, g['V'], (g['B'], g['S']))
mask = torch.ones(g['B'], g['S'])
times = []
with torch.no_grad():
    for i in range(steps + 4):
        t0 = time.perf_counter()
        enc(ids, mask)
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
print(json.dumps({'ms_per_batch': statistics.median(times), 'peer': 'pytorch-' + torch.__version__,
                  'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

// Runs the reference script unchanged and reports the CPU seconds per wall second of the whole process,
// so a thread count the peer did not honour shows in the results.
const TORCH_TRAIN = `
import json, resource, runpy, sys, time
t0 = time.time()
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name='__main__')
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'cpu_per_wall': (ru.ru_utime + ru.ru_stime) / (time.time() - t0)}))
`;

/** Debian's OpenBLAS built on OpenMP: it shares PyTorch's OpenMP pool instead of starting threads of its own. */
const OPENBLAS_OPENMP_DIR = process.env['CARL_TORCH_BLAS_DIR'] ?? '/usr/lib/x86_64-linux-gnu/openblas-openmp';

/**
 * The peer's environment for `threads` threads. `torch.set_num_threads` bounds PyTorch's OpenMP pool only:
 * Debian's default OpenBLAS (pthreads) keeps one thread per core of its own, so a "1-thread" PyTorch ran its
 * products on every core, and at 2 threads both pools spun against each other. The BLAS is held to the
 * same count and, where Debian's OpenMP build is installed (`libopenblas0-openmp`), loaded in its place.
 */
export function torchEnv(shape: ShapeName, threads: number): { env: NodeJS.ProcessEnv; blas: string } {
  const n = String(threads);
  const openmp = fs.existsSync(path.join(OPENBLAS_OPENMP_DIR, 'libblas.so.3'));
  const libraryPath = [openmp ? OPENBLAS_OPENMP_DIR : undefined, process.env['LD_LIBRARY_PATH']].filter((p) => p !== undefined && p !== '').join(':');
  return {
    env: { ...process.env, SHAPE: shapeEnv(SHAPES[shape]), OMP_NUM_THREADS: n, OPENBLAS_NUM_THREADS: n, MKL_NUM_THREADS: n, ...(libraryPath === '' ? {} : { LD_LIBRARY_PATH: libraryPath }) },
    blas: openmp ? `openblas-openmp (${OPENBLAS_OPENMP_DIR})` : 'system BLAS, OPENBLAS_NUM_THREADS set',
  };
}

function runTorch(shape: ShapeName, threads: number, steps: number): Partial<Measurement> {
  const { env, blas } = torchEnv(shape, threads);
  const train = spawnSync(PYTHON, ['-c', TORCH_TRAIN, TORCH_REFERENCE, String(steps), String(threads)], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env });
  if (train.status !== 0) return { ok: false, reason: (train.stderr || train.error?.message || `exit ${String(train.status)}`).trim().split('\n').slice(-2).join(' | ') };
  const lines = train.stdout.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { ms_per_step?: number; peer?: string; cpu_per_wall?: number });
  const t = lines.find((l) => l.ms_per_step !== undefined) ?? {};
  const cpuPerWall = lines.find((l) => l.cpu_per_wall !== undefined)?.cpu_per_wall;
  const infer = spawnSync(PYTHON, ['-c', TORCH_INFER, TORCH_REFERENCE, String(steps), String(threads)], { encoding: 'utf8', timeout: CHILD_TIMEOUT_MS, env });
  const i = infer.status === 0 ? (JSON.parse(infer.stdout.trim().split('\n').pop() ?? '{}') as { ms_per_batch?: number; peak_rss_mib?: number }) : {};
  return {
    ok: t.ms_per_step !== undefined,
    ...(t.ms_per_step === undefined ? { reason: 'no ms_per_step in the reference output' } : { stepMs: t.ms_per_step }),
    ...(i.ms_per_batch === undefined ? {} : { inferMs: round1(i.ms_per_batch) }),
    ...(i.peak_rss_mib === undefined ? {} : { peakRssMiB: Math.round(i.peak_rss_mib) }),
    ...(t.peer === undefined ? {} : { version: `${t.peer}, ${blas}` }),
    ...(cpuPerWall === undefined ? {} : { cpuPerWall: round2(cpuPerWall) }),
  };
}

function torchAvailable(): { ok: boolean; reason?: string } {
  if (!fs.existsSync(TORCH_REFERENCE)) return { ok: false, reason: `reference script not found at ${TORCH_REFERENCE}` };
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return { ok: false, reason: `${PYTHON} cannot import torch (apt-get install python3-torch)` };
  return { ok: true };
}

/** The reference encoder as ONNX at a shape (exported once, cached in the temp folder). */
function onnxModel(shape: ShapeName): { file: string } | { reason: string } {
  const file = path.join(ONNX_DIR, `reference-${shapeEnv(SHAPES[shape]).replace(/,/g, '-')}.onnx`);
  if (fs.existsSync(file)) return { file };
  fs.mkdirSync(ONNX_DIR, { recursive: true });
  const r = spawnSync(PYTHON, [EXPORT_SCRIPT, TORCH_REFERENCE, file], { encoding: 'utf8', timeout: 1_800_000, env: { ...process.env, SHAPE: shapeEnv(SHAPES[shape]) } });
  if (r.status !== 0 || !fs.existsSync(file)) return { reason: `ONNX export failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' | ')}` };
  return { file };
}

// ---------------------------------------------------------------------------------------------------------
// Driver.

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly perRound: readonly number[];
}

function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { median: round2(median(values)), min: round2(Math.min(...values)), max: round2(Math.max(...values)), perRound: values.map(round2) };
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    logicalCpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: round1(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

interface SummaryRow {
  readonly shape: ShapeName;
  readonly threads: number;
  readonly rounds: number;
  readonly simcseStep: {
    readonly oursMs: number | null;
    readonly pytorchMs: number | null;
    readonly ratioPytorchOverOurs: Spread | null;
    readonly gflopPerStep: number;
    readonly achievedGflops: number | null;
    readonly gemmPeakGflops: number | null;
    readonly fractionOfGemmPeak: number | null;
  };
  readonly simcseTrainerStep: { readonly ms: number | null; readonly microBatchSize: number | null; readonly ratioPytorchOverOurs: Spread | null };
  readonly carlStep: { readonly ms: number | null; readonly microBatchSize: number | null; readonly overSimcseStep: Spread | null; readonly skipped: string | undefined };
  readonly embedding: {
    readonly gflopPerBatch: number;
    readonly oursSentencesPerS: number | null;
    readonly pytorchSentencesPerS: number | null;
    readonly ortSentencesPerS: number | null;
    readonly ratioOverPytorch: Spread | null;
    readonly ratioOverOrt: Spread | null;
  };
  readonly peakRssMiB: { readonly ours: number | null; readonly carl: number | null; readonly pytorchInference: number | null };
  readonly peakWasmHeapMiB: { readonly ours: number | null; readonly carl: number | null };
  readonly allLossesFinite: boolean;
}

/** The shapes with measurements in the file, measured now or kept by THROUGHPUT_RESUME from an earlier run. */
function measuredShapes(measurements: readonly Measurement[]): ShapeName[] {
  return (Object.keys(SHAPES) as ShapeName[]).filter((s) => measurements.some((m) => m.shape === s));
}

function summarise(measurements: readonly Measurement[]): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const shape of measuredShapes(measurements)) {
    for (const threads of [...new Set(measurements.filter((m) => m.shape === shape).map((m) => m.threads))].sort((a, b) => a - b)) {
      const of = (kind: Kind): Measurement[] => measurements.filter((m) => m.shape === shape && m.threads === threads && m.kind === kind && m.ok);
      const rounds = [...new Set(measurements.filter((m) => m.shape === shape && m.threads === threads).map((m) => m.round))].sort((a, b) => a - b);
      const pair = (a: Kind, b: Kind, field: 'stepMs' | 'inferMs'): number[] =>
        rounds.flatMap((r) => {
          const x = of(a).find((m) => m.round === r)?.[field];
          const y = of(b).find((m) => m.round === r)?.[field];
          return x !== undefined && y !== undefined && y > 0 ? [x / y] : [];
        });
      const med = (kind: Kind, field: 'stepMs' | 'inferMs'): number | null => {
        const v = of(kind).flatMap((m) => (m[field] === undefined ? [] : [m[field] as number]));
        return v.length === 0 ? null : round1(median(v));
      };
      const ours = of('ours');
      // GFLOP/s of the SimCSE step: the whole-batch one, else (BERT-base: it overflows the heap) the trainer's.
      const stepMs = med('ours', 'stepMs') ?? med('simcse', 'stepMs');
      const gemmPeak = ours.length === 0 ? null : round1(median(ours.map((m) => m.gemmPeakGflops ?? 0)));
      const achieved = stepMs === null ? null : round1(simcseStepFlops(SHAPES[shape]) / (stepMs / 1000) / 1e9);
      const sentences = (ms: number | null): number | null => (ms === null ? null : Math.round(SHAPES[shape].batch / (ms / 1000)));
      rows.push({
        shape,
        threads,
        rounds: rounds.length,
        simcseStep: {
          oursMs: med('ours', 'stepMs'),
          pytorchMs: med('pytorch', 'stepMs'),
          // PyTorch ms / ours ms, one per round (both measured in that round): ≥ 1 means we are at least as fast.
          ratioPytorchOverOurs: spread(pair('pytorch', 'ours', 'stepMs')),
          gflopPerStep: round2(simcseStepFlops(SHAPES[shape]) / 1e9),
          achievedGflops: achieved,
          gemmPeakGflops: gemmPeak,
          fractionOfGemmPeak: achieved !== null && gemmPeak !== null && gemmPeak > 0 ? round2(achieved / gemmPeak) : null,
        },
        simcseTrainerStep: {
          ms: med('simcse', 'stepMs'),
          microBatchSize: of('simcse')[0]?.microBatchSize ?? null,
          ratioPytorchOverOurs: spread(pair('pytorch', 'simcse', 'stepMs')),
        },
        carlStep: {
          ms: med('carl', 'stepMs'),
          microBatchSize: of('carl')[0]?.microBatchSize ?? null,
          overSimcseStep: spread(pair('carl', 'ours', 'stepMs')),
          skipped: of('carl').length === 0 ? (measurements.find((m) => m.shape === shape && m.threads === threads && m.kind === 'carl')?.reason ?? 'not run') : undefined,
        },
        embedding: {
          gflopPerBatch: round2(forwardFlops(SHAPES[shape]) / 1e9),
          oursSentencesPerS: sentences(med('ours', 'inferMs')),
          pytorchSentencesPerS: sentences(med('pytorch', 'inferMs')),
          ortSentencesPerS: sentences(med('ort', 'inferMs')),
          ratioOverPytorch: spread(pair('pytorch', 'ours', 'inferMs')),
          ratioOverOrt: spread(pair('ort', 'ours', 'inferMs')),
        },
        peakRssMiB: {
          ours: ours.length === 0 ? null : Math.max(...ours.map((m) => m.peakRssMiB ?? 0)),
          carl: of('carl').length === 0 ? null : Math.max(...of('carl').map((m) => m.peakRssMiB ?? 0)),
          pytorchInference: of('pytorch').length === 0 ? null : Math.max(...of('pytorch').map((m) => m.peakRssMiB ?? 0)),
        },
        peakWasmHeapMiB: {
          ours: ours.length === 0 ? null : Math.max(...ours.map((m) => m.wasmHeapMiB ?? 0)),
          carl: of('carl').length === 0 ? null : Math.max(...of('carl').map((m) => m.wasmHeapMiB ?? 0)),
        },
        allLossesFinite: [...ours, ...of('carl')].every((m) => m.lossFinite !== false),
      });
    }
  }
  return rows;
}

function list(value: string | undefined, fallback: readonly string[]): string[] {
  return value === undefined || value.trim() === '' ? [...fallback] : value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

async function main(): Promise<void> {
  const rounds = Number(process.env['THROUGHPUT_ROUNDS'] ?? 5);
  const shapes = list(process.env['THROUGHPUT_ONLY'], Object.keys(SHAPES)) as ShapeName[];
  for (const s of shapes) if (SHAPES[s] === undefined) throw new Error(`THROUGHPUT_ONLY: unknown shape "${s}" (known: ${Object.keys(SHAPES).join(', ')})`);
  const threadCounts = [...new Set(list(process.env['THROUGHPUT_THREADS'], ['1', 'all']).map((t) => (t === 'all' ? os.availableParallelism() : Number(t))))];
  const sidesOverride = process.env['THROUGHPUT_SIDES'] === undefined ? undefined : (list(process.env['THROUGHPUT_SIDES'], KINDS) as Kind[]);
  for (const k of sidesOverride ?? []) if (!KINDS.includes(k)) throw new Error(`THROUGHPUT_SIDES: unknown side "${k}" (known: ${KINDS.join(', ')})`);
  const sidesOf = (shape: ShapeName): readonly Kind[] => sidesOverride ?? DEFAULT_SIDES[shape];
  const stepsOverride = process.env['THROUGHPUT_STEPS'] === undefined ? undefined : Number(process.env['THROUGHPUT_STEPS']);
  const microBatch = process.env['THROUGHPUT_MICRO_BATCH'] === undefined ? undefined : Number(process.env['THROUGHPUT_MICRO_BATCH']);
  const torch = torchAvailable();
  const measurements: Measurement[] = [];
  if (process.env['THROUGHPUT_RESUME'] === '1' && fs.existsSync(RESULTS)) {
    const previous = JSON.parse(fs.readFileSync(RESULTS, 'utf8')) as { measurements?: Measurement[] };
    measurements.push(...(previous.measurements ?? []));
    console.log(`resuming: ${measurements.length} measurements kept from ${path.relative(process.cwd(), RESULTS)}`);
  }
  const started = new Date().toISOString();
  const total = rounds * threadCounts.length * shapes.reduce((n, s) => n + sidesOf(s).length, 0);
  console.log(`throughput: ${rounds} rounds × shapes ${shapes.join(', ')} × threads ${threadCounts.join(', ')} (${total} measurements); ${String(machine()['cpu'])}, ${os.availableParallelism()} cores, load ${os.loadavg().map(round2).join(' ')}`);
  if (!torch.ok) console.log(`PyTorch skipped: ${torch.reason ?? ''}`);

  const write = (): void => {
    const result = {
      benchmark: 'throughput',
      issue: 14,
      started,
      updated: new Date().toISOString(),
      machine: machine(),
      backend: 'tfjs-backend-wasm 4.22.0 + @carl/native-kernels (threads as listed)',
      steps: {
        ours: 'SimCSE: two dropout views of the same batch through @carl/encoder as shipped (fused ops, native kernels), InfoNCE (cross-entropy of 20·e1·e2ᵀ), core AdamW (lr 1e-4), whole batch in one pass',
        simcse: '@carl/trainer TrainingModel.step, method simcse (projection head, InfoNCE), micro-batched with gradient caching when the memory plan says so',
        carl: '@carl/trainer TrainingModel.step, method carl (momentum target, queue, saliency-perturbed tokens, PTD head), texts filling the sequence',
        embedding: 'forward pass, dropout off, mean pooling, L2-normalised, batch 32',
        pytorch: 'torch_tiny_encoder_step.py (same encoder, SimCSE step, Adam) with torch.set_num_threads(threads), OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = threads and the OpenMP build of Debian OpenBLAS when installed (the default pthread OpenBLAS ignores set_num_threads and used every core even at 1 thread); inference: its Encoder under no_grad',
        ort: 'the reference Encoder exported by benchmarks/python/export_reference_onnx.py (opset 14), CPU provider, intraOpNumThreads = threads',
      },
      method: 'rounds interleaved (per round: for each shape and thread count, ours, pytorch, carl, ort, each in its own process); a ratio is taken within a round, the summary gives the median over rounds and the min–max',
      shapes: Object.fromEntries(measuredShapes(measurements).map((s) => [s, SHAPES[s]])),
      summary: summarise(measurements),
      measurements,
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
  };

  let done = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const shape of shapes) {
      const steps = stepsOverride ?? DEFAULT_STEPS[shape];
      for (const threads of threadCounts) {
        for (const kind of sidesOf(shape)) {
          done++;
          if (measurements.some((m) => m.round === round && m.shape === shape && m.threads === threads && m.kind === kind)) continue;
          const t0 = Date.now();
          let r: Partial<Measurement>;
          if (kind === 'pytorch') {
            r = torch.ok ? runTorch(shape, threads, steps) : { ok: false, reason: torch.reason ?? 'PyTorch unavailable' };
          } else if (kind === 'ort') {
            const model = onnxModel(shape);
            r = 'file' in model ? spawnWorker({ kind, shape, threads, steps, onnx: model.file }) : { ok: false, reason: model.reason };
          } else {
            r = spawnWorker({ kind, shape, threads, steps, ...(microBatch === undefined ? {} : { microBatch }) });
          }
          const m: Measurement = { ...r, round, shape, threads, kind, ok: r.ok === true, loadAverage: os.loadavg().map(round2), wallS: Math.round((Date.now() - t0) / 1000) };
          measurements.push(m);
          write();
          const what = !m.ok
            ? `failed: ${m.reason ?? '?'}`
            : [m.stepMs === undefined ? '' : `${m.stepMs} ms/step`, m.inferMs === undefined ? '' : `${Math.round(SHAPES[shape].batch / (m.inferMs / 1000))} sent/s`,
                m.gemmPeakGflops === undefined ? '' : `GEMM ${m.gemmPeakGflops} GFLOP/s`, m.microBatchSize === undefined ? '' : `micro-batch ${m.microBatchSize}`]
                .filter((s) => s !== '')
                .join(', ');
          console.log(`[${done}/${total}] round ${round} ${shape.padEnd(9)} ${String(threads).padStart(2)} thr ${kind.padEnd(7)} ${what} (${m.wallS} s, load ${m.loadAverage[0]})`);
        }
      }
    }
  }
  write();
  console.log('\nshape      thr  step ours ms  pytorch ms  ratio (min–max)      GFLOP/s (GEMM peak)  CARL step ms  embed/s ours  pytorch  ort   ratio pt  ratio ort');
  const cell = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(v));
  const ratio = (r: Spread | null): string => (r === null ? '-' : `${r.median} (${r.min}–${r.max})`);
  for (const s of summarise(measurements)) {
    const { simcseStep: st, embedding: e } = s;
    console.log(
      `${s.shape.padEnd(10)} ${String(s.threads).padStart(3)}  ${cell(st.oursMs).padStart(12)}  ${cell(st.pytorchMs).padStart(10)}  ${ratio(st.ratioPytorchOverOurs).padEnd(19)}  ${`${cell(st.achievedGflops)} (${cell(st.gemmPeakGflops)})`.padEnd(19)}  ${cell(s.carlStep.ms).padStart(12)}  ${cell(e.oursSentencesPerS).padStart(12)}  ${cell(e.pytorchSentencesPerS).padStart(7)}  ${cell(e.ortSentencesPerS).padStart(4)}  ${ratio(e.ratioOverPytorch).padStart(8)}  ${ratio(e.ratioOverOrt).padStart(9)}`,
    );
  }
  console.log(`\nratio = PyTorch (or onnxruntime) ms / CARL-TS ms, per round; ≥ 1 means CARL-TS is at least as fast. Written to ${path.relative(process.cwd(), RESULTS)}`);
}

if (process.argv[2] === '--worker') {
  runWorker(JSON.parse(process.argv[3] ?? '{}') as WorkerSpec)
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
