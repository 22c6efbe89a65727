import * as fs from 'node:fs';
import * as path from 'node:path';

/** Instruction sets the addon has kernels for, best last. */
export type NativeIsa = 'generic' | 'avx2' | 'avx512';

/** What the loaded addon reports about itself. */
export interface NativeInfo {
  /** The kernels in use (the best the CPU supports, unless capped). */
  readonly isa: NativeIsa;
  /** The best the CPU supports. */
  readonly detectedIsa: NativeIsa;
  readonly threads: number;
  readonly abiVersion: number;
}

/** Smallest work per task of each kernel family (native/common.h `Grains`). */
export interface NativeGrains {
  readonly copy: number;
  readonly arith: number;
  readonly transcend: number;
  readonly rows: number;
  readonly reduce: number;
  readonly adam: number;
  readonly gemm: number;
}

/** Codes shared with native/elementwise.h. */
export const UNARY_OPS = ['Exp', 'Erf', 'Tanh', 'Sigmoid', 'Sqrt', 'Rsqrt', 'Square', 'Neg', 'Abs', 'Reciprocal', 'Relu', 'Floor'] as const;
export type UnaryOpName = (typeof UNARY_OPS)[number];
export const BINARY_OPS = ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference'] as const;
export type BinaryOpName = (typeof BINARY_OPS)[number];
export const REDUCE_OPS = ['Sum', 'Mean', 'Max', 'Min'] as const;
export type ReduceOpName = (typeof REDUCE_OPS)[number];

/**
 * The addon's functions (native/addon.cc). All work in place on a caller-owned ArrayBuffer (the wasm heap)
 * at byte offsets; every range is bounds-checked natively and a bad one throws a RangeError.
 */
export interface NativeAddon {
  matmul(heap: ArrayBuffer, a: number, b: number, out: number, batch: number, m: number, n: number, k: number,
    transposeA: boolean, transposeB: boolean, batchStrideA: number, batchStrideB: number): void;
  unary(heap: ArrayBuffer, op: number, x: number, out: number, size: number): void;
  binary(heap: ArrayBuffer, op: number, a: number, aShape: readonly number[], b: number, bShape: readonly number[], out: number,
    outShape: readonly number[]): void;
  reduce(heap: ArrayBuffer, op: number, x: number, out: number, outer: number, n: number, inner: number): void;
  transpose(heap: ArrayBuffer, x: number, out: number, shape: readonly number[], perm: readonly number[]): void;
  gatherRows(heap: ArrayBuffer, x: number, rows: number, inner: number, indices: number, count: number, out: number): boolean;
  /** out[numSegments × inner] = UnsortedSegmentSum(x[n × inner], ids[n]); ids outside [0, numSegments) are dropped. */
  segmentSum(heap: ArrayBuffer, x: number, ids: number, n: number, numSegments: number, inner: number, out: number): void;
  stridedCopy(heap: ArrayBuffer, src: number, dst: number, shape: readonly number[], srcStrides: readonly number[], dstStrides: readonly number[]): void;
  /** `offset`: the mask counter of x's first element (default 0), as core's `dropoutMask(size, rate, seed, offset)`. */
  dropout(heap: ArrayBuffer, x: number, out: number, size: number, seed: number, threshold: number, scale: number, offset?: number): void;
  softmax(heap: ArrayBuffer, x: number, out: number, rows: number, n: number): void;
  softmaxGrad(heap: ArrayBuffer, dy: number, y: number, dx: number, rows: number, n: number): void;
  layerNorm(heap: ArrayBuffer, x: number, gamma: number, beta: number, out: number, mean: number, rstd: number, rows: number, n: number,
    epsilon: number): void;
  layerNormGrad(heap: ArrayBuffer, dy: number, x: number, gamma: number, mean: number, rstd: number, dx: number, dgamma: number,
    dbeta: number, rows: number, n: number): void;
  gelu(heap: ArrayBuffer, x: number, out: number, size: number): void;
  geluGrad(heap: ArrayBuffer, dy: number, x: number, dx: number, size: number): void;
  adam(heap: ArrayBuffer, param: number, grad: number, m: number, v: number, paramOut: number, mOut: number, vOut: number, size: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, correction1: number, correction2: number, epsilon: number,
    decay: number, learningRate: number): void;
  /**
   * AdamW in place with the moments outside the heap (native/adam_in_place.cc): the parameter at `param` in the
   * heap, the gradient at a heap offset or in a Float32Array, m and v in Float32Arrays. Absent from builds older
   * than it (callers check).
   */
  adamInPlace?(heap: ArrayBuffer, param: number, grad: number | Float32Array, m: Float32Array, v: Float32Array, size: number,
    beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, correction1: number, correction2: number, epsilon: number,
    decay: number, learningRate: number): void;
  info(): NativeInfo;
  /**
   * Reads, and with an argument sets, the smallest work per task of each kernel family (elements; gemm:
   * multiply-adds), in the order copy, arith, transcend, rows, reduce, adam, gemm; 0 keeps a value.
   * For bench/thresholds.mjs.
   */
  grains(values?: readonly number[]): NativeGrains;
  /**
   * Test support: `callers` OS threads run parallel loops through the pool at once (as Node worker_threads
   * sharing the addon do), optionally while another thread resizes it, with the caller pausing `delayUs`
   * after publishing each job. Returns the number of wrong elements, or -1 when a pass never finished.
   */
  debugPoolStress(callers: number, iterations: number, resize: boolean, timeoutMs: number, delayUs: number): number;
  /** threads in [1, 64]; isaLimit 0 generic, 1 avx2, 2 avx512. */
  configure(threads: number, isaLimit: number): NativeInfo;
}

/** Outcome of loading the addon: the module, or why it is not there. */
export type AddonLoad = { readonly ok: true; readonly addon: NativeAddon; readonly path: string } | { readonly ok: false; readonly reason: string };

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const ADDON_PATH = path.join(PACKAGE_ROOT, 'build', 'Release', 'carl_native_kernels.node');
const STATUS_PATH = path.join(PACKAGE_ROOT, 'build', 'native-status.json');
const ABI_VERSION = 1;

let cached: AddonLoad | undefined;

/**
 * Loads the native addon once (cached). Never throws: a missing or broken build gives `{ ok: false, reason }`,
 * with the reason the install script recorded when it could not build.
 */
export function loadAddon(env: Readonly<Record<string, string | undefined>> = process.env): AddonLoad {
  if (env['CARL_NATIVE_KERNELS'] === '0') return { ok: false, reason: 'disabled by CARL_NATIVE_KERNELS=0' };
  if (cached !== undefined) return cached;
  cached = tryLoad();
  return cached;
}

function tryLoad(): AddonLoad {
  if (!fs.existsSync(ADDON_PATH)) return { ok: false, reason: `native addon not built: ${recordedReason()}` };
  try {
    const addon = require(ADDON_PATH) as NativeAddon;
    const info = addon.info();
    if (info.abiVersion !== ABI_VERSION) {
      return { ok: false, reason: `native addon is stale (ABI ${info.abiVersion}, expected ${ABI_VERSION}); run npm run build:native` };
    }
    return { ok: true, addon, path: ADDON_PATH };
  } catch (error) {
    return { ok: false, reason: `native addon failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

function recordedReason(): string {
  try {
    const status = JSON.parse(fs.readFileSync(STATUS_PATH, 'utf8')) as { ok?: boolean; reason?: string };
    if (status.ok === false && typeof status.reason === 'string') return status.reason;
  } catch {
    // no status file: the install script never ran here
  }
  return 'no build found (run `npm run build:native -w @carl/native-kernels`; needs python3, make and a C++ compiler)';
}
