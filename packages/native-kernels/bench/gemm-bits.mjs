#!/usr/bin/env node
// Bit-identity check of the addon's SGEMM: runs every product shape that matters (transformer forward and
// backward, attention batches) plus ragged sizes at 1 and 2 threads on fixed pseudo-random inputs and prints
// one SHA-256 (first 16 hex digits) of the output bytes per case, as JSON.
//
//   node bench/gemm-bits.mjs [addon.node] > hashes.json      # record (e.g. with the build before a change)
//   node bench/gemm-bits.mjs [addon.node] --check hashes.json  # compare; exits 1 on any difference
// bench/gemm-bits.json: the hashes recorded with the AVX2 kernel before the C-prefetch / direct-A change (unchanged by it).
//
// A kernel change must leave every hash unchanged: long reproduction runs cache and resume on these bits.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const checkAt = argv.indexOf('--check');
const checkFile = checkAt >= 0 ? argv[checkAt + 1] : undefined;
const addonPath = path.resolve(argv.find((a, i) => !a.startsWith('--') && i !== checkAt + 1) ?? path.join(root, 'build/Release/carl_native_kernels.node'));
const addon = createRequire(import.meta.url)(addonPath);

// [name, batch, m, k, n, transA, transB, strideA0 (broadcast A), strideB0 (broadcast B)]
export function gemmCases() {
  const cases = [];
  const dense = [
    [2048, 384, 1536], [2048, 1536, 384], [2048, 384, 384], [2048, 768, 3072], [2048, 3072, 768], [2048, 768, 768],
  ];
  for (const [m, k, n] of dense) {
    cases.push([`fwd ${m}x${k}x${n}`, 1, m, k, n, false, false]);
    cases.push([`dW ${k}x${m}x${n}`, 1, k, m, n, true, false]); // Xᵀ·dY
    cases.push([`dX ${m}x${n}x${k}`, 1, m, n, k, false, true]); // dY·Wᵀ
  }
  for (const [m, k, n] of [[64, 32, 64], [64, 64, 32], [64, 64, 64]]) {
    for (const ta of [false, true]) for (const tb of [false, true]) cases.push([`attn 384x${m}x${k}x${n} ta=${ta} tb=${tb}`, 384, m, k, n, ta, tb]);
  }
  const ragged = [
    [1, 1, 1], [7, 300, 17], [130, 513, 33], [5, 17, 3], [6, 256, 16], [13, 257, 31], [97, 1000, 129], [255, 770, 47],
    [2, 3000, 40], [300, 64, 300], [61, 129, 200], [1, 600, 1], [600, 7, 1], [19, 513, 515],
  ];
  for (const [m, k, n] of ragged) {
    for (const ta of [false, true]) for (const tb of [false, true]) cases.push([`ragged ${m}x${k}x${n} ta=${ta} tb=${tb}`, 1, m, k, n, ta, tb]);
  }
  for (const [m, k, n] of [[7, 300, 17], [33, 65, 20]]) {
    cases.push([`batch5 ${m}x${k}x${n}`, 5, m, k, n, false, false]);
    cases.push([`batch5 ${m}x${k}x${n} ta tb`, 5, m, k, n, true, true]);
    cases.push([`batch5 bcastB ${m}x${k}x${n}`, 5, m, k, n, false, false, false, true]);
  }
  return cases;
}

// Inputs: xorshift32 values in [-1, 1) with 2^-16 granularity times a per-matrix scale (exact in float32).
function fill(view, seed) {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < view.length; ++i) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    view[i] = ((s >>> 16) - 32768) / 32768 * (1 + (i % 7) / 8);
  }
}

export function runCase(c, threads) {
  const [, batch, m, k, n, ta, tb, bcastA = false, bcastB = false] = c;
  const aCount = (bcastA ? 1 : batch) * m * k, bCount = (bcastB ? 1 : batch) * k * n, cCount = batch * m * n;
  const heap = new ArrayBuffer((aCount + bCount + cCount) * 4);
  const a = new Float32Array(heap, 0, aCount), b = new Float32Array(heap, aCount * 4, bCount), out = new Float32Array(heap, (aCount + bCount) * 4, cCount);
  fill(a, 12345 + m * 31 + k), fill(b, 777 + n * 17 + k);
  out.fill(NaN); // every element must be written
  addon.configure(threads, 2);
  addon.matmul(heap, 0, aCount * 4, (aCount + bCount) * 4, batch, m, n, k, ta, tb, bcastA ? 0 : m * k, bcastB ? 0 : k * n);
  return createHash('sha256').update(new Uint8Array(heap, (aCount + bCount) * 4, cCount * 4)).digest('hex').slice(0, 16);
}

const hashes = {};
for (const c of gemmCases()) for (const t of [1, 2]) hashes[`${c[0]} t${t}`] = runCase(c, t);
if (checkFile === undefined) {
  console.log(JSON.stringify({ isa: addon.info().isa, hashes }, null, 1));
} else {
  const want = JSON.parse(fs.readFileSync(checkFile, 'utf8')).hashes;
  let bad = 0;
  for (const [key, h] of Object.entries(want)) if (hashes[key] !== h) { ++bad; console.log(`DIFF ${key}: ${hashes[key]} != ${h}`); }
  const missing = Object.keys(hashes).filter((key) => !(key in want)).length;
  console.log(`${Object.keys(want).length} cases checked, ${bad} differ, ${missing} not in the record (isa ${addon.info().isa})`);
  process.exit(bad === 0 ? 0 : 1);
}
