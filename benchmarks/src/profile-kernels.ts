/**
 * `node dist/profile-kernels.js [tiny|minilm|bert-base] [threads]` — where a training step's time goes, by
 * tfjs kernel name: one SimCSE step (two dropout views, InfoNCE, AdamW) of @carl/encoder at a shape, under
 * `tf.profile`, on wasm with the native kernels as a plain `initBackend()` registers them. Each kernel is
 * marked native (served by @carl/native-kernels) or stock (tfjs's own single-threaded wasm kernel), so the
 * stock kernels worth replacing show up at the top. Prints a table; nothing is written.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initBackend, matMul, namedGradients } from '@carl/core';
import { createEncoder } from '@carl/encoder';
import { SHAPES, type ShapeName } from './shapes';

async function main(): Promise<void> {
  const shapeName = (process.argv[2] ?? 'tiny') as ShapeName;
  const shape = SHAPES[shapeName];
  if (shape === undefined) throw new Error(`unknown shape ${shapeName}; known: ${Object.keys(SHAPES).join(', ')}`);
  const threads = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  tf.env().set('PROD', true);
  const info = await initBackend({ backend: 'wasm', ...(threads === undefined ? {} : { threads }) });
  const native = new Set(info.nativeKernels?.registered.map((k) => k.replace(/@wasm$/, '')) ?? []);
  const encoder = createEncoder({
    preset: 'tiny',
    config: { vocabSize: shape.vocab, hiddenSize: shape.hidden, numAttentionHeads: shape.heads, intermediateSize: shape.ffn, numHiddenLayers: shape.layers },
    withPooler: false,
    pooling: 'mean',
    seed: 1,
  });
  const params = new Map([...encoder.variables()].filter(([, v]) => v.trainable));
  const ids = tf.randomUniform([shape.batch, shape.seq], 1, 8000, 'int32', 7) as tf.Tensor2D;
  const mask = tf.ones([shape.batch, shape.seq], 'int32') as tf.Tensor2D;
  const targets = tf.oneHot(tf.range(0, shape.batch, 1, 'int32'), shape.batch);
  const opt = new AdamW({ learningRate: 1e-4, weightDecay: 0.01 });
  const step = (i: number): void =>
    tf.tidy(() => {
      const { value, grads } = namedGradients(() => {
        const e1 = tf.tidy(() => normalise(encoder.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: 2 * i + 1 }).pooled));
        const e2 = tf.tidy(() => normalise(encoder.forward({ inputIds: ids, attentionMask: mask }, { training: true, seed: 2 * i + 2 }).pooled));
        return tf.losses.softmaxCrossEntropy(targets, tf.mul(matMul(e1, e2, false, true), 20)) as tf.Scalar;
      }, params);
      opt.step(params, grads);
      value.dataSync();
    });
  step(0); // warm-up: kernel setup, heap growth
  const t0 = performance.now();
  const profile = await tf.profile(() => step(1));
  const wallMs = performance.now() - t0;
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of profile.kernels) {
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    byName.set(k.name, e);
  }
  const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
  console.log(`${shapeName}: step ${wallMs.toFixed(0)} ms under the profiler, ${total.toFixed(0)} ms inside kernels, threads ${info.threads}`);
  console.log('kernel                      served by   calls      ms   share');
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    if (e.ms / total < 0.002) continue;
    console.log(`${name.padEnd(28)}${(native.has(name) ? 'native' : 'stock').padEnd(10)}${String(e.calls).padStart(7)}${e.ms.toFixed(1).padStart(8)}${`${((100 * e.ms) / total).toFixed(1)} %`.padStart(8)}`);
  }
}

function normalise(x: tf.Tensor): tf.Tensor2D {
  return tf.div(x, tf.norm(x, 'euclidean', -1, true)) as tf.Tensor2D;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
