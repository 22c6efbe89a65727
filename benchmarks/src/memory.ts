/**
 * `npm run -w benchmarks memory` — where the bytes of a base-size training step go (issue 13).
 *
 * One SimCSE-style step (two dropout views of the batch, InfoNCE at τ = 0.05, gradients of every parameter,
 * AdamW) of a BERT-base-shaped encoder (vocab 30,522, hidden 768, 12 layers, 12 heads, FFN 3,072: 110M
 * parameters, 438 MB) through @carl/encoder and @carl/core on the wasm backend, in one configuration per child
 * process (the wasm heap only grows, so each needs a fresh one):
 *   - `before`: the old path: `tf.variableGrads` and AdamW moments as tensors in the wasm heap;
 *   - `moments-outside`: `tf.variableGrads`, AdamW moments in Float32Arrays outside the heap (parameters updated in place);
 *   - `after`: core's `namedGradients` (frees intermediate gradients and saved tensors during the backward pass) and
 *     moments outside the heap;
 *   - `after+recompute`: as `after`, with `recompute: 'layer'` (only each layer's input kept for the backward pass);
 *   - `after+selective`: as `after`, with `recompute: 'selective'` (only what each layer's products made is kept);
 *   - `after+recompute+accumulate`: as `after+recompute`, each gradient handed to a `GradientAccumulator` (outside
 *     the heap) as soon as it is complete, and AdamW fed from there (what a micro-batched step does);
 *   - `after+recompute+accumulate+one-pass`: as that, with both dropout views in one forward pass over the batch
 *     stacked twice (the copy's rows draw their own dropout masks), so each weight's gradient is complete, and leaves
 *     the heap, as soon as the backward pass has gone through its layer.
 * For each it records tensor bytes (`tf.memory().numBytes`) after creating the model, with all gradients live
 * and after the update, the parameter / gradient / optimizer-state bytes, the peak of live tensor buffers in the
 * heap during the steps, the wasm heap size at the end (the heap never shrinks, so it is the peak) and the peak
 * RSS (VmHWM), plus the median step time (informational: the machine is shared). A configuration that aborts is
 * recorded with its error.
 *
 * Writes benchmarks/results/memory-base.json. Environment:
 *   MEMORY_CASES     comma-separated `name:batch:seq` (default: the four cases at 2 × 64)
 *   MEMORY_INIT      a Hugging Face folder to load (e.g. from make-checkpoint) instead of a fresh BERT-base shape
 *   MEMORY_STEPS     steps per configuration (default 2)
 *   MEMORY_OUT       output file (default benchmarks/results/memory-base.json)
 *   MEMORY_SHAPE     `vocab,hidden,heads,ffn,layers` (default BERT-base: 30522,768,12,3072,12)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, GradientAccumulator, initBackend, namedGradients, wasmHeapBytes } from '@carl/core';
import { infoNCE } from '@carl/contrastive-losses';
import { createEncoder, loadPretrained, type RecomputeMode } from '@carl/encoder';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RESULTS = process.env['MEMORY_OUT'] ?? path.join(REPO_ROOT, 'benchmarks', 'results', 'memory-base.json');
const MB = 1e6;

interface Shape {
  readonly vocab: number;
  readonly hidden: number;
  readonly heads: number;
  readonly ffn: number;
  readonly layers: number;
}

function parseShape(text: string | undefined): Shape {
  const [vocab, hidden, heads, ffn, layers] = (text ?? '30522,768,12,3072,12').split(',').map(Number);
  return { vocab: vocab as number, hidden: hidden as number, heads: heads as number, ffn: ffn as number, layers: layers as number };
}

interface Case {
  readonly name: string;
  /** `tfjs`: `tf.variableGrads` (keeps every intermediate gradient to the end); `carl`: core's `namedGradients`. */
  readonly gradients: 'tfjs' | 'carl' | 'carl+accumulate';
  readonly stateLocation: 'heap' | 'outside';
  readonly recompute: RecomputeMode;
  /** The two dropout views as two forward passes, or as one pass over the batch stacked twice (the mask counter runs over all rows, so the copy gets its own masks). */
  readonly views: 'two-passes' | 'one-pass';
  readonly batch: number;
  readonly seq: number;
}

const CASES: Readonly<Record<string, Pick<Case, 'gradients' | 'stateLocation' | 'recompute' | 'views'>>> = {
  before: { gradients: 'tfjs', stateLocation: 'heap', recompute: 'none', views: 'two-passes' },
  'moments-outside': { gradients: 'tfjs', stateLocation: 'outside', recompute: 'none', views: 'two-passes' },
  after: { gradients: 'carl', stateLocation: 'outside', recompute: 'none', views: 'two-passes' },
  'after+recompute': { gradients: 'carl', stateLocation: 'outside', recompute: 'layer', views: 'two-passes' },
  'after+selective': { gradients: 'carl', stateLocation: 'outside', recompute: 'selective', views: 'two-passes' },
  'after+recompute+accumulate': { gradients: 'carl+accumulate', stateLocation: 'outside', recompute: 'layer', views: 'two-passes' },
  'after+recompute+accumulate+one-pass': { gradients: 'carl+accumulate', stateLocation: 'outside', recompute: 'layer', views: 'one-pass' },
};

function parseCases(text: string | undefined): Case[] {
  return (text ?? 'before:2:64,moments-outside:2:64,after:2:64,after+recompute:2:64').split(',').map((spec) => {
    const [name = '', batch = '2', seq = '64'] = spec.split(':');
    const known = CASES[name];
    if (known === undefined) throw new Error(`unknown case ${name} (${Object.keys(CASES).join(', ')})`);
    return { name, ...known, batch: Number(batch), seq: Number(seq) };
  });
}

/** tfjs's own `variableGrads`, keyed by parameter name (the path before core's namedGradients freed as it goes). */
function tfjsGradients(f: () => tf.Scalar, params: ReadonlyMap<string, tf.Variable>): { value: tf.Scalar; grads: Map<string, tf.Tensor> } {
  const entries = [...params].filter(([, v]) => v.trainable);
  const { value, grads } = tf.variableGrads(f, entries.map(([, v]) => v));
  return { value, grads: new Map(entries.flatMap(([name, v]) => (grads[v.name] === undefined ? [] : [[name, grads[v.name] as tf.Tensor] as const]))) };
}

/** Peak resident set size of this process in bytes (Linux VmHWM), or undefined elsewhere. */
function peakRss(): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * Follows the bytes of tensor buffers in the wasm heap (allocated by the backend's `move`, freed when `disposeData`
 * drops a buffer's last reference) and returns a reader of the peak. Unlike `tf.memory().numBytes` it counts a
 * buffer shared by several tensors (reshapes, variables) once; kernels' own scratch space is not in it.
 */
function trackTensorBuffers(): () => { live: number; peak: number } {
  type Backend = {
    move(dataId: object, values: unknown, shape: number[], dtype: tf.DataType, refCount: number): void;
    disposeData(dataId: object, force?: boolean): boolean;
    dataIdMap: { has(dataId: object): boolean };
  };
  const backend = tf.findBackend('wasm') as unknown as Backend;
  const sizes = new WeakMap<object, number>();
  let live = 0;
  let peak = 0;
  const move = backend.move.bind(backend);
  const disposeData = backend.disposeData.bind(backend);
  backend.move = (dataId, values, shape, dtype, refCount) => {
    move(dataId, values, shape, dtype, refCount);
    const bytes = dtype === 'string' ? 0 : tf.util.sizeFromShape(shape) * tf.util.bytesPerElement(dtype);
    sizes.set(dataId, bytes);
    live += bytes;
    peak = Math.max(peak, live);
  };
  backend.disposeData = (dataId, force) => {
    const result = disposeData(dataId, force);
    const bytes = sizes.get(dataId);
    if (bytes !== undefined && !backend.dataIdMap.has(dataId)) {
      live -= bytes;
      sizes.delete(dataId);
    }
    return result;
  };
  return () => ({ live, peak });
}

const megabytes = (bytes: number | undefined): number | null => (bytes === undefined ? null : Math.round(bytes / MB));

/** One configuration, in this (child) process: prints one JSON line. */
async function runCase(c: Case, shape: Shape, steps: number): Promise<void> {
  await initBackend({ backend: 'wasm' });
  const buffers = trackTensorBuffers();
  const init = process.env['MEMORY_INIT'];
  const encoder = init === undefined
    ? createEncoder({
      seed: 1,
      withPooler: false,
      recompute: c.recompute,
      config: {
        vocabSize: shape.vocab, hiddenSize: shape.hidden, numAttentionHeads: shape.heads, intermediateSize: shape.ffn,
        numHiddenLayers: shape.layers, maxPositionEmbeddings: 512,
      },
    })
    : await loadPretrained(init);
  encoder.setRecompute(c.recompute);
  const vocab = encoder.config.vocabSize;
  const params = encoder.variables();
  const paramBytes = [...params.values()].reduce((sum, v) => sum + v.size * 4, 0);
  const afterCreate = tf.memory().numBytes;
  const optimizer = new AdamW({ learningRate: 1e-5, stateLocation: c.stateLocation });
  // Random ids (no padding): the tokenizer is not what is measured.
  const ids = Int32Array.from({ length: c.batch * c.seq }, (_, i) => 1000 + ((i * 7919) % (vocab - 1000)));
  const inputs = { inputIds: tf.tensor2d(ids, [c.batch, c.seq], 'int32'), attentionMask: tf.ones([c.batch, c.seq], 'int32') as tf.Tensor2D };
  const stacked = { inputIds: tf.concat([inputs.inputIds, inputs.inputIds]) as tf.Tensor2D, attentionMask: tf.concat([inputs.attentionMask, inputs.attentionMask]) as tf.Tensor2D };
  const record: Record<string, unknown> = {
    case: c.name, batch: c.batch, seq: c.seq, gradients: c.gradients, stateLocation: c.stateLocation, recompute: c.recompute, views: c.views,
    model: init === undefined ? 'createEncoder (BERT-base shape)' : `loadPretrained(${init}): ${encoder.architecture}, ${encoder.config.numHiddenLayers} layers, vocab ${vocab}`,
  };
  const accumulator = new GradientAccumulator();
  let gradientsInHeapPeak = 0;
  const gradientsOf = (f: () => tf.Scalar, p: ReadonlyMap<string, tf.Variable>): { value: tf.Scalar; grads: ReadonlyMap<string, tf.Tensor | Float32Array> } => {
    if (c.gradients === 'tfjs') return tfjsGradients(f, p);
    if (c.gradients === 'carl') return namedGradients(f, p);
    accumulator.clear();
    const { value } = namedGradients(f, p, { onGradient: (name, g) => accumulator.add(name, g) });
    return { value, grads: accumulator.grads };
  };
  const times: number[] = [];
  let withGrads = 0;
  let gradBytes = 0;
  let wordGradBytes = 0;
  try {
    for (let step = 0; step < steps; step++) {
      const start = performance.now();
      const { value, grads } = gradientsOf(() => {
        if (c.views === 'one-pass') {
          const both = encoder.forward(stacked, { training: true, seed: step + 1 }).pooled;
          const [a, b] = tf.split(both, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
          return infoNCE({ queries: a, keys: b, temperature: 0.05 }).loss;
        }
        const a = encoder.forward(inputs, { training: true, seed: 2 * step + 1 }).pooled;
        const b = encoder.forward(inputs, { training: true, seed: 2 * step + 2 }).pooled;
        return infoNCE({ queries: a, keys: b, temperature: 0.05 }).loss;
      }, params);
      withGrads = Math.max(withGrads, tf.memory().numBytes);
      const sizeOf = (g: tf.Tensor | Float32Array | undefined): number => (g === undefined ? 0 : g instanceof Float32Array ? g.length : g.size);
      gradBytes = [...grads.values()].reduce((sum, g) => sum + sizeOf(g) * 4, 0);
      wordGradBytes = sizeOf(grads.get('embeddings.word_embeddings.weight')) * 4;
      gradientsInHeapPeak = Math.max(gradientsInHeapPeak, [...grads.values()].reduce((sum, g) => sum + (g instanceof Float32Array ? 0 : g.size * 4), 0));
      optimizer.step(params, grads);
      value.dispose();
      grads.forEach((g) => {
        if (!(g instanceof Float32Array)) g.dispose();
      });
      times.push(performance.now() - start);
    }
    Object.assign(record, { ok: true });
  } catch (error) {
    Object.assign(record, { ok: false, error: error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error) });
  }
  const state = optimizer.stateBytes();
  const sorted = [...times].sort((x, y) => x - y);
  Object.assign(record, {
    parametersMB: megabytes(paramBytes),
    tensorBytesAfterCreateMB: megabytes(afterCreate),
    extraTensorBytesBesideParametersMB: megabytes(afterCreate - paramBytes),
    gradientsMB: megabytes(gradBytes),
    gradientsInHeapMB: megabytes(gradientsInHeapPeak),
    gradientsOutsideMB: megabytes(accumulator.bytes),
    wordEmbeddingGradientMB: megabytes(wordGradBytes),
    optimizerStateInHeapMB: megabytes(state.inHeap),
    optimizerStateOutsideMB: megabytes(state.outside),
    tensorBytesWithGradientsMB: megabytes(withGrads),
    tensorBytesAfterStepMB: megabytes(tf.memory().numBytes),
    peakTensorBuffersMB: megabytes(buffers().peak),
    peakWasmHeapMB: megabytes(wasmHeapBytes()),
    peakRssMB: megabytes(peakRss()),
    msPerStepMedian: sorted.length === 0 ? null : Math.round(sorted[Math.floor(sorted.length / 2)] as number),
    steps: times.length,
  });
  process.stdout.write(`RESULT ${JSON.stringify(record)}\n`);
}

function main(): void {
  const shape = parseShape(process.env['MEMORY_SHAPE']);
  const steps = Number(process.env['MEMORY_STEPS'] ?? 2);
  const caseIndex = process.argv.indexOf('--case');
  if (caseIndex >= 0) {
    const c = parseCases(process.argv[caseIndex + 1]).at(0) as Case;
    void runCase(c, shape, steps);
    return;
  }
  const rows: unknown[] = [];
  for (const c of parseCases(process.env['MEMORY_CASES'])) {
    const spec = `${c.name}:${c.batch}:${c.seq}`;
    process.stderr.write(`memory: ${spec} …\n`);
    // The same command line plus the case: works from dist/ and from a TypeScript runner alike.
    const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1), '--case', spec], {
      encoding: 'utf8',
      maxBuffer: 64 * MB,
      env: process.env,
    });
    const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    const row = line === undefined
      ? { case: c.name, batch: c.batch, seq: c.seq, ok: false, error: `child exited with ${child.status ?? child.signal}: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}` }
      : (JSON.parse(line.slice('RESULT '.length)) as unknown);
    process.stderr.write(`  ${JSON.stringify(row)}\n`);
    rows.push(row);
  }
  const result = {
    benchmark: 'memory of one SimCSE-style training step (2 dropout views, InfoNCE, all gradients, AdamW) on the wasm backend',
    shape: process.env['MEMORY_INIT'] === undefined ? shape : `loaded from ${process.env['MEMORY_INIT']}`,
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? 'unknown', totalMemoryGB: Math.round(os.totalmem() / 1e9), node: process.version },
    note: 'MB = 10^6 bytes. peakWasmHeapMB is the heap size at the end (it never shrinks); tensor bytes are tf.memory().numBytes (live tensors only). Step times are informational: the machine was shared.',
    date: new Date().toISOString(),
    cases: rows,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(result, null, 1)}\n`);
  process.stderr.write(`wrote ${RESULTS}\n`);
}

main();
