#!/usr/bin/env node
// Where splitting a kernel over threads starts to pay: for one kernel of each family (native/common.h
// `Grains`), times a call at sizes 2^10 … 2^22 elements on 1 thread and on N threads (default: every core),
// with splitting forced at every size, and prints the smallest size from which N threads are faster by at
// least 10 % at every larger size. The grain (work per task) to use is that size / N.
//
//   node packages/native-kernels/bench/thresholds.mjs [threads] [--addon path/to/addon.node] [--json out.json]
//
// Timings are the minimum over interleaved repeats (other work on the machine only ever adds time).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const threads = Number(argv.find((a) => /^\d+$/.test(a)) ?? os.availableParallelism());
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = require(opt('--addon') ?? path.join(root, 'build', 'Release', 'carl_native_kernels.node'));
const FAMILIES = ['copy', 'arith', 'transcend', 'rows', 'reduce', 'adam', 'gemm'];
const defaults = addon.grains();

const MAX = 1 << 22;
const heap = new ArrayBuffer(8 * MAX * 4 + 4096);
const f32 = new Float32Array(heap);
for (let i = 0; i < f32.length; i++) f32[i] = Math.sin(i) * 2;
const slot = (i) => i * MAX * 4; // byte offset of the i-th buffer of MAX floats
const H = 384; // row length of the row kernels (MiniLM's hidden size)

// One representative kernel per family; `size` in elements (gemm: multiply-adds).
const KERNELS = {
  copy: (size) => addon.transpose(heap, slot(0), slot(1), [size / 4096, 64, 64], [0, 2, 1]),
  arith: (size) => addon.binary(heap, 0, slot(0), [size], slot(1), [size], slot(2), [size]),
  transcend: (size) => addon.gelu(heap, slot(0), slot(1), size),
  rows: (size) => addon.layerNorm(heap, slot(0), slot(1), slot(2), slot(3), slot(4), slot(5), size / H, H, 1e-12),
  reduce: (size) => addon.reduce(heap, 0, slot(0), slot(1), 1, size / H, H),
  adam: (size) => addon.adam(heap, slot(0), slot(1), slot(2), slot(3), slot(4), slot(5), slot(6), size, 0.9, 0.1, 0.999, 0.001, 0.5, 0.5, 1e-8, 0.99, 1e-4),
  // m = size / (64·64) rows against a 64×64 matrix: the shape of an attention or small projection product.
  gemm: (size) => addon.matmul(heap, slot(0), slot(1), slot(2), 1, size / 4096, 64, 64, false, false, 0, 0),
};

function time(fn, size) {
  let reps = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) fn(size);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ms > 5 || reps >= 1 << 16) return (ms * 1000) / reps; // µs per call
    reps *= 4;
  }
}

const sizes = [];
for (let s = 1 << 12; s <= MAX; s *= 2) sizes.push(s);
const forced = FAMILIES.map(() => 1);
const results = {};
for (const family of FAMILIES) {
  const fn = KERNELS[family];
  const best = { 1: sizes.map(() => Infinity), [threads]: sizes.map(() => Infinity) };
  // Interleaved per size (1 thread, N threads, 1, N, …) so drifting load hits both alike.
  sizes.forEach((size, i) => {
    for (let repeat = 0; repeat < 7; repeat++) {
      for (const t of [1, threads]) {
        addon.configure(t, 2);
        addon.grains(forced);
        best[t][i] = Math.min(best[t][i], time(fn, size));
      }
    }
  });
  // Smallest size from which N threads win by ≥ 10 % at this and every larger size.
  let crossover = null;
  for (let i = sizes.length - 1; i >= 0 && best[threads][i] < 0.9 * best[1][i]; i--) crossover = sizes[i];
  results[family] = {
    sizes,
    us1: best[1].map((v) => Math.round(v * 10) / 10),
    usN: best[threads].map((v) => Math.round(v * 10) / 10),
    crossover,
    suggestedGrain: crossover === null ? null : crossover / threads,
  };
  const row = sizes.map((s, i) => `${s >= 1 << 20 ? `${s >> 20}M` : `${s >> 10}k`}:${(best[1][i] / best[threads][i]).toFixed(2)}`).join(' ');
  console.log(`${family.padEnd(10)} speed-up ${threads}/1 by size  ${row}   → from ${crossover ?? 'never'} (grain ${results[family].suggestedGrain ?? '-'})`);
}
// A load-robust estimate beside the direct one: the pool's hand-off cost (a forced split of a job too small to
// matter, minus the same job inline) and each family's cost per element on one thread (at 1M elements, or
// 2^18 multiply-adds for gemm). A task pays once its work costs ≥ 4× the hand-off: grain = 4·overhead/cost.
const tiny = 256;
let inline = Infinity;
let split = Infinity;
for (let repeat = 0; repeat < 15; repeat++) {
  addon.configure(1, 2);
  addon.grains(forced);
  inline = Math.min(inline, time(KERNELS.arith, tiny));
  addon.configure(threads, 2);
  addon.grains(forced);
  split = Math.min(split, time(KERNELS.arith, tiny));
}
// Between two kernels of a training step JavaScript runs for a while and the workers go back to sleep, so the
// hand-off that counts is a cold one: measured after a 1 ms pause (median of 200).
const pause = new Int32Array(new SharedArrayBuffer(4));
const cold = (t) => {
  addon.configure(t, 2);
  addon.grains(forced);
  const samples = [];
  for (let i = 0; i < 200; i++) {
    Atomics.wait(pause, 0, 0, 1);
    const t0 = process.hrtime.bigint();
    KERNELS.arith(tiny);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  samples.sort((x, y) => x - y);
  return samples[100];
};
const coldInline = cold(1);
const coldSplit = cold(threads);
const hotUs = Math.max(0.5, split - inline);
const overheadUs = Math.max(hotUs, coldSplit - coldInline);
console.log(`pool hand-off: ${hotUs.toFixed(1)} µs back to back, ${(coldSplit - coldInline).toFixed(1)} µs after a pause (a ${tiny}-element add: ${coldInline.toFixed(2)} µs inline, ${coldSplit.toFixed(2)} µs split over ${threads})`);
const model = {};
for (const family of FAMILIES) {
  const i = sizes.indexOf(1 << 20);
  const perElementUs = results[family].us1[i] / (1 << 20);
  const grain = 2 ** Math.round(Math.log2((4 * overheadUs) / perElementUs));
  model[family] = { nsPerElement: Math.round(perElementUs * 1e5) / 100, grain };
  console.log(`${family.padEnd(10)} ${(perElementUs * 1000).toFixed(3)} ns/element on 1 thread → grain ${grain}`);
}
addon.grains(FAMILIES.map((f) => defaults[f]));
const out = { date: new Date().toISOString(), cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), loadAverage: os.loadavg(), threads, isa: addon.info().isa, hotUs, overheadUs, model, results };
const json = opt('--json');
if (json !== undefined) fs.writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
