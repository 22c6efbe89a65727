// Throughput and peak memory of the @carl/encoder `tiny` preset (2 layers, hidden 128, 4 heads, FFN 512,
// vocabulary 8,000) at batch 32 × sequence 64 on wasm and cpu: forward (eval) and forward+backward
// (training mode, gradients of every parameter), plus one full MLM pre-training step (wasm).
// Writes benchmarks/results/encoder-throughput.json. Medians over repeats: the machine is shared.
//
//   npx tsc -p packages/core/tsconfig.build.json && node packages/core/scripts/copy-vendor.mjs
//   npx tsc -p packages/encoder/tsconfig.build.json
//   npx tsc -p benchmarks/tsconfig.build.json && node benchmarks/dist/encoder.bench.js
//   (CARL_BENCH_BACKENDS=wasm,cpu  CARL_BENCH_REPEATS=n for wasm; cpu uses a third of it, at least 3)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random, initBackend, namedGradients, parseBackendName, type BackendName } from '@carl/core';
import { createEncoder, pretrainMLM, type TransformerEncoder } from '@carl/encoder';

const BATCH = 32;
const SEQ = 64;
const TOKENS = BATCH * SEQ;
const REPEATS = Math.max(3, Number(process.env['CARL_BENCH_REPEATS'] ?? 10));
const WARMUP = 2;
const BACKENDS = (process.env['CARL_BENCH_BACKENDS'] ?? 'wasm,cpu').split(',').map((b) => parseBackendName(b) as BackendName);

interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
  readonly tokensPerSecond: number;
  /** tf.memory().numTensors after the runs minus before (0 = no leak). */
  readonly tensorDelta: number;
}

let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function time(run: () => void, repeats: number, warmup = WARMUP): Timing {
  for (let i = 0; i < warmup; i++) run();
  const before = tf.memory().numTensors;
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
    sampleRss();
  }
  const med = median(ms);
  return {
    medianMs: Number(med.toFixed(1)),
    minMs: Number(Math.min(...ms).toFixed(1)),
    maxMs: Number(Math.max(...ms).toFixed(1)),
    runs: repeats,
    tokensPerSecond: Math.round((TOKENS * 1000) / med),
    tensorDelta: tf.memory().numTensors - before,
  };
}

/** A full batch of random non-special ids framed by [CLS] … [SEP] (every row exactly SEQ tokens). */
function batchOf(encoder: TransformerEncoder, seed: number): { inputIds: tf.Tensor2D; attentionMask: tf.Tensor2D } {
  const rng = new Random(seed);
  const { cls, sep } = encoder.tokenizer.specialTokens;
  const rows = Array.from({ length: BATCH }, () => Array.from({ length: SEQ }, (_, j) => (j === 0 ? (cls as number) : j === SEQ - 1 ? (sep as number) : 5 + rng.int(encoder.config.vocabSize - 5))));
  return { inputIds: tf.tensor2d(rows, undefined, 'int32'), attentionMask: tf.ones([BATCH, SEQ], 'int32') };
}

async function benchBackend(backend: BackendName): Promise<Record<string, unknown>> {
  const info = await initBackend({ backend });
  tf.env().set('PROD', true);
  const encoder = createEncoder({ preset: 'tiny', seed: 0 });
  const inputs = batchOf(encoder, 1);
  const repeats = backend === 'cpu' ? Math.max(3, Math.round(REPEATS / 3)) : REPEATS;
  peakRss = 0;
  const forward = time(() => {
    tf.tidy(() => encoder.forward(inputs, { training: false }).pooled.dataSync());
  }, repeats);
  let step = 0;
  const forwardBackward = time(() => {
    step += 1;
    const { value, grads } = namedGradients(() => {
      const { pooled, hiddenStates } = encoder.forward(inputs, { training: true, seed: step });
      // Touch every token and the pooled output, as a real loss does.
      return tf.add(tf.mean(tf.square(pooled)), tf.mul(tf.mean(hiddenStates), 1e-3)) as tf.Scalar;
    }, encoder.variables());
    value.dataSync();
    for (const g of grads.values()) g.dataSync();
    tf.dispose([value, ...grads.values()]);
  }, repeats);
  // tfjs's own accounting of the largest live tensor memory during one forward+backward.
  const profile = await tf.profile(() => {
    const { value, grads } = namedGradients(() => tf.mean(tf.square(encoder.forward(inputs, { training: true, seed: 0 }).pooled)) as tf.Scalar, encoder.variables());
    tf.dispose([value, ...grads.values()]);
  });
  const result: Record<string, unknown> = {
    backend,
    tfjsBackend: info.tfjsBackend,
    parameters: [...encoder.variables().values()].reduce((s, v) => s + v.size, 0),
    forward,
    forwardBackward,
    peakMemory: {
      processRssMiB: Number((peakRss / 2 ** 20).toFixed(1)),
      tfPeakBytesForwardBackwardMiB: Number((profile.peakBytes / 2 ** 20).toFixed(1)),
      tfLiveBytesAfterMiB: Number((tf.memory().numBytes / 2 ** 20).toFixed(1)),
    },
  };
  if (backend === 'wasm') {
    // One MLM pre-training step (masking, forward, head on masked positions, backward, clipping, AdamW).
    const texts = Array.from({ length: 256 }, (_, i) => Array.from({ length: 60 }, (_, j) => `w${(i * 31 + j * 7) % 500}`).join(' '));
    const stamps: number[] = [];
    const mlmSteps = Math.max(5, Math.round(REPEATS / 2)) + WARMUP;
    const { mlmHead } = await pretrainMLM({
      encoder,
      texts,
      steps: mlmSteps,
      batchSize: BATCH,
      maxLength: SEQ,
      seed: 1,
      onProgress: () => {
        stamps.push(performance.now());
        sampleRss();
      },
    });
    mlmHead.dispose();
    const per = stamps.slice(WARMUP).map((t, i) => t - (stamps[i + WARMUP - 1] as number));
    const med = median(per);
    result['mlmPretrainStep'] = {
      medianMs: Number(med.toFixed(1)),
      runs: per.length,
      tokensPerSecond: Math.round((TOKENS * 1000) / med),
      note: 'texts of 60 words → 64 tokens with [CLS]/[SEP]; 15% masked; includes tokenisation, masking, clipping and the AdamW update',
    };
    (result['peakMemory'] as Record<string, number>)['processRssMiB'] = Number((peakRss / 2 ** 20).toFixed(1));
  }
  tf.dispose([inputs.inputIds, inputs.attentionMask]);
  encoder.dispose();
  return result;
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((x) => Number(x.toFixed(2)));
  const results: Record<string, unknown>[] = [];
  for (const backend of BACKENDS) {
    console.error(`encoder bench: ${backend} …`);
    results.push(await benchBackend(backend));
  }
  const report = {
    benchmark: 'encoder-throughput',
    description: `@carl/encoder tiny preset (2 layers, hidden 128, 4 heads, FFN 512, vocab 8000), batch ${BATCH} × seq ${SEQ} = ${TOKENS} tokens per pass`,
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      tfjs: tf.version_core,
      // 1/5/15-minute load averages: other engineers' jobs share these cores.
      loadAverage: { start: loadAtStart, end: os.loadavg().map((x) => Number(x.toFixed(2))) },
    },
    method:
      'median of N runs after 2 warm-up runs (wasm N = CARL_BENCH_REPEATS, default 10; cpu a third, at least 3); wall-clock via performance.now(), results read back so the work is done. ' +
      'forward = eval mode; forwardBackward = training mode (dropout) and gradients of all parameters. The machine is shared with other jobs, so medians (min and max alongside). ' +
      'processRssMiB = largest RSS sampled after each run; tfPeakBytes = tf.profile peakBytes of one forward+backward (tensor memory tfjs tracks).',
    results,
  };
  const out = path.resolve(__dirname, '..', 'results', 'encoder-throughput.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
