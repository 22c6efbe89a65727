// Loss + gradient time of @carl/contrastive-losses at MCCL scale (batch 64 against a 4,096-key queue,
// dimension 128), plus the per-step queue and momentum-update costs of @carl/momentum-queue.
// Writes benchmarks/results/contrastive-losses.json. Medians over repeats: the machine is shared.
//
//   npx tsc -p packages/core/tsconfig.build.json && node packages/core/scripts/copy-vendor.mjs
//   npx tsc -p packages/contrastive-losses/tsconfig.build.json && npx tsc -p packages/momentum-queue/tsconfig.build.json
//   npx tsc -p benchmarks/tsconfig.build.json && node benchmarks/dist/contrastive-losses.bench.js
//   (CARL_BENCH_REPEATS=n, CARL_BENCH_BACKENDS=wasm,cpu)
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Random, initBackend, va, type BackendName, type VA } from '@carl/core';
import {
  infoNCE,
  rankNContrast,
  sameIdMask,
  softContrastiveLoss,
  supCon,
  weightedSupCon,
  type ContrastiveLossResult,
} from '@carl/contrastive-losses';
import { LabeledQueue, MomentumTarget } from '@carl/momentum-queue';

const BATCH = 64;
const QUEUE = 4096;
const DIM = 128;
const REPEATS = Math.max(10, Number(process.env['CARL_BENCH_REPEATS'] ?? 10));
const WARMUP = 2;

interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly runs: number;
  /** tf.memory().numTensors after the runs minus before (0 = no leak). */
  readonly tensorDelta: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function time(run: () => void, repeats = REPEATS): Timing {
  for (let i = 0; i < WARMUP; i++) run();
  const before = tf.memory().numTensors;
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    run();
    ms.push(performance.now() - t0);
  }
  return {
    medianMs: Number(median(ms).toFixed(2)),
    minMs: Number(Math.min(...ms).toFixed(2)),
    maxMs: Number(Math.max(...ms).toFixed(2)),
    runs: repeats,
    tensorDelta: tf.memory().numTensors - before,
  };
}

/** Loss value and gradient with respect to the queries (the online side), read back so the work is done. */
function lossAndGrad(queries: tf.Tensor2D, loss: (q: tf.Tensor2D) => ContrastiveLossResult): () => void {
  return () => {
    const { value, grad } = tf.valueAndGrad((q: tf.Tensor) => loss(q as tf.Tensor2D).loss)(queries);
    value.dataSync();
    grad.dataSync();
    tf.dispose([value, grad]);
  };
}

function forwardOnly(queries: tf.Tensor2D, loss: (q: tf.Tensor2D) => ContrastiveLossResult): () => void {
  return () => {
    const r = loss(queries);
    r.loss.dataSync();
    r.loss.dispose();
  };
}

async function benchBackend(backend: BackendName): Promise<Record<string, unknown>> {
  await initBackend({ backend });
  const rng = new Random(2025);
  const queries = tf.randomNormal([BATCH, DIM], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
  const keys = tf.randomNormal([BATCH, DIM], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
  const queueKeys = tf.randomNormal([QUEUE, DIM], 0, 1, 'float32', rng.seed()) as tf.Tensor2D;
  const label = (): VA => va(rng.float() * 1.6 - 0.8, rng.float() * 1.6 - 0.8);
  const batchLabels = Array.from({ length: BATCH }, label);
  const queueLabels = Array.from({ length: QUEUE }, label);
  const batchIds = batchLabels.map((_, i) => `b${i}`);
  // A realistic queue holds a few stale copies of batch sentences.
  const queueIds = queueLabels.map((_, i) => (i % 512 === 0 ? `b${(i / 512) % BATCH}` : `q${i}`));
  const selfMask = sameIdMask(batchIds, [...batchIds.map(() => null), ...queueIds]);
  const bin = (l: VA): string => `${Math.round(l.valence * 2)},${Math.round(l.arousal * 2)}`;
  const common = { keys, extraKeys: queueKeys, selfMask };
  const labels = { queryLabels: batchLabels, keyLabels: batchLabels, extraKeyLabels: queueLabels };
  const kernel = tf.tidy(() => {
    const a = tf.tensor2d(batchLabels.map((l) => [l.valence, l.arousal]));
    const b = tf.tensor2d([...batchLabels, ...queueLabels].map((l) => [l.valence, l.arousal]));
    const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(a, 1), tf.expandDims(b, 0))), 2);
    return tf.exp(tf.div(d2, -2 * 0.1 * 0.1)) as tf.Tensor2D;
  });

  const cases: Record<string, Timing> = {
    'softContrastiveLoss (VA labels) loss+grad': time(
      lossAndGrad(queries, (q) => softContrastiveLoss({ queries: q, ...common, ...labels, temperature: 0.07, labelTemperature: 0.1 })),
    ),
    'softContrastiveLoss (VA labels) forward only': time(
      forwardOnly(queries, (q) => softContrastiveLoss({ queries: q, ...common, ...labels, temperature: 0.07, labelTemperature: 0.1 })),
    ),
    'softContrastiveLoss (kernel tensor, self α=0.5) loss+grad': time(
      lossAndGrad(queries, (q) => softContrastiveLoss({ queries: q, ...common, targetWeights: kernel, selfPositive: { weight: 0.5 } })),
    ),
    'infoNCE loss+grad': time(lossAndGrad(queries, (q) => infoNCE({ queries: q, ...common, temperature: 0.05 }))),
    'supCon (VA bins) loss+grad': time(
      lossAndGrad(queries, (q) =>
        supCon({ queries: q, ...common, queryLabels: batchLabels.map(bin), keyLabels: batchLabels.map(bin), extraKeyLabels: queueLabels.map(bin) }),
      ),
    ),
    'weightedSupCon loss+grad': time(lossAndGrad(queries, (q) => weightedSupCon({ queries: q, ...common, ...labels, bandwidth: 0.25 }))),
    'rankNContrast loss+grad': time(lossAndGrad(queries, (q) => rankNContrast({ queries: q, ...common, ...labels }))),
  };

  // Per-step queue work: snapshot 4,096 keys (excluding the batch ids), enqueue the 64 new ones.
  const queue = new LabeledQueue({ capacity: QUEUE, dim: DIM });
  for (let i = 0; i < QUEUE; i += BATCH) queue.enqueue(keys, batchLabels, batchIds.map((id) => `${id}-${i}`));
  cases['LabeledQueue snapshot(4096, excludeIds) + enqueue(64)'] = time(() => {
    const snap = queue.snapshot({ excludeIds: batchIds });
    snap.keys.dispose();
    queue.enqueue(keys, batchLabels, batchIds);
  });

  // Momentum update over a BERT-base-sized parameter set would dominate nothing here; a 4.2M-parameter
  // set (a 2-layer, hidden-256 encoder) shows the per-parameter cost.
  const params = new Map<string, tf.Variable>();
  for (let l = 0; l < 8; l++) params.set(`w${l}`, tf.tidy(() => tf.variable(tf.randomNormal([512, 1024], 0, 0.02, 'float32', rng.seed()))));
  const target = MomentumTarget.fromVariables(params);
  const paramCount = [...params.values()].reduce((s, v) => s + v.size, 0);
  cases[`MomentumTarget.update (${(paramCount / 1e6).toFixed(1)}M parameters)`] = time(() => {
    target.update(params, 0.999);
    (target.variables.get('w0') as tf.Variable).dataSync();
  });

  target.dispose();
  params.forEach((v) => v.dispose());
  queue.dispose();
  tf.dispose([queries, keys, queueKeys, kernel]);
  return { backend, tfjsBackend: tf.getBackend(), cases };
}

async function main(): Promise<void> {
  const backends = (process.env['CARL_BENCH_BACKENDS'] ?? 'wasm,cpu').split(',').map((b) => b.trim()) as BackendName[];
  const loadBefore = os.loadavg()[0] as number;
  const results: Record<string, unknown>[] = [];
  for (const backend of backends) {
    process.stderr.write(`benchmarking ${backend} …\n`);
    results.push(await benchBackend(backend));
  }
  const cpus = os.cpus();
  const report = {
    benchmark: 'contrastive-losses',
    description: `loss + gradient w.r.t. the queries: batch ${BATCH} against ${BATCH} in-batch keys + a ${QUEUE}-key queue, dimension ${DIM}`,
    date: new Date().toISOString(),
    machine: {
      cpu: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGiB: Number((os.totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      platform: `${os.platform()} ${os.arch()}`,
      // Other jobs share these cores: a 1-minute load above the core count means the timings are inflated.
      loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number((os.loadavg()[0] as number).toFixed(2)) },
    },
    method: `median of ${REPEATS} runs after ${WARMUP} warm-up runs; wall-clock ms via performance.now(); the machine is shared with other jobs, so medians (min and max alongside)`,
    results,
  };
  const out = path.resolve(__dirname, '../results/contrastive-losses.json');
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
