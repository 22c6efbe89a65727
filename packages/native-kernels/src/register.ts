import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import { FUSED_KERNELS, type FusedKernelName } from './fused-kernels';
import { REPLACEMENT_KERNELS, type NativeKernelImpl, type ReplacementKernelName } from './kernels';
import { loadAddon, type NativeAddon, type NativeIsa } from './native';
import { isWasmBackend } from './wasm';

/** A kernel this package registers: a stock tfjs kernel it replaces, or one of its fused kernels. */
export type NativeKernelName = ReplacementKernelName | FusedKernelName;

/** Every kernel name {@link registerNativeKernels} knows, in registration order. */
export const NATIVE_KERNEL_NAMES: readonly NativeKernelName[] = [
  ...(Object.keys(REPLACEMENT_KERNELS) as ReplacementKernelName[]),
  ...(Object.keys(FUSED_KERNELS) as FusedKernelName[]),
];

/** Options of {@link registerNativeKernels}. */
export interface RegisterNativeKernelsOptions {
  /** Which kernels to register (default: all). Useful to measure one kernel's effect or to bisect a problem. */
  readonly kernels?: readonly NativeKernelName[];
  /**
   * Threads for the native kernels (one persistent pool, shared by every kernel). Default
   * `$CARL_NATIVE_THREADS`, else `os.availableParallelism()` (capped at 64), as PyTorch uses every core.
   */
  readonly threads?: number;
  /** Cap the instruction set (default: the best the CPU has). For A/B runs and tests of the fallbacks. */
  readonly isa?: NativeIsa;
  /** Environment to read `CARL_NATIVE_KERNELS` / `CARL_NATIVE_THREADS` from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** What {@link registerNativeKernels} did, or why it did nothing. */
export interface NativeKernelsReport {
  /** True when the addon loaded and the wasm backend is present. */
  readonly available: boolean;
  /** Why nothing was registered (addon not built, disabled, wasm backend not loaded). */
  readonly reason?: string;
  /** Kernels now served natively, as `Name@wasm`. */
  readonly registered: readonly string[];
  readonly isa?: NativeIsa;
  readonly threads?: number;
}

const ISA_LEVEL: Record<NativeIsa, number> = { generic: 0, avx2: 1, avx512: 2 };

/** Stock kernel configs we replaced (undefined for fused kernels that have none), to restore them. */
const replaced = new Map<string, tf.KernelConfig | undefined>();
/** Our kernel configs, to recognise them (idempotence). */
const ours = new Set<tf.KernelFunc>();

function parseThreads(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CarlError('INVALID_CONFIG', `CARL_NATIVE_THREADS must be a positive integer, got "${value}"`, { field: 'CARL_NATIVE_THREADS' });
  return n;
}

function makeConfig(name: string, impl: NativeKernelImpl, stock: tf.KernelConfig | undefined, addon: NativeAddon): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    if (isWasmBackend(args.backend)) {
      const out = impl({ inputs: args.inputs, attrs: args.attrs ?? {}, backend: args.backend, addon });
      if (out !== undefined) return out;
    }
    if (stock === undefined) throw new CarlError('INTERNAL', `no fallback for kernel ${name} on this input`, { field: name });
    return stock.kernelFunc(args);
  };
  ours.add(kernelFunc);
  // Keep the stock setup/dispose hooks: the fallback path calls the stock kernel, which needs its setup
  // (wasm's kernels bind their C++ functions in setupFunc) if the backend is ever initialised again.
  const config: tf.KernelConfig = { kernelName: name, backendName: 'wasm', kernelFunc };
  if (stock?.setupFunc !== undefined) config.setupFunc = stock.setupFunc;
  if (stock?.disposeFunc !== undefined) config.disposeFunc = stock.disposeFunc;
  return config;
}

/**
 * Serves tfjs's wasm backend with native kernels: a blocked AVX-512/AVX2 GEMM for every matMul (batched,
 * transposed or not), transposes, reductions, element-wise ops, embedding gathers, softmax, and the fused
 * `CarlLayerNorm`/`CarlGelu` kernels used by this package's ops. Each replaced kernel keeps the stock
 * one as its fallback for inputs it does not handle (other dtypes, exotic broadcasts).
 *
 * Never throws for a missing addon: it reports `available: false` with the reason (and the stock kernels
 * stay in place). Call it after `initBackend({ backend: 'wasm' })`. Idempotent; kernels registered by an
 * earlier call stay registered (call {@link unregisterNativeKernels} first to narrow the set).
 *
 * @example
 * ```ts
 * await initBackend({ backend: 'wasm' });
 * const report = registerNativeKernels();
 * console.log(report.available ? `${report.registered.length} kernels (${report.isa})` : report.reason);
 * ```
 */
export function registerNativeKernels(options: RegisterNativeKernelsOptions = {}): NativeKernelsReport {
  const env = options.env ?? process.env;
  const selection = options.kernels ?? NATIVE_KERNEL_NAMES;
  for (const name of selection) {
    if (!NATIVE_KERNEL_NAMES.includes(name)) {
      throw new CarlError('INVALID_ARGUMENT', `unknown native kernel "${String(name)}"; known: ${NATIVE_KERNEL_NAMES.join(', ')}`, { field: 'kernels' });
    }
  }
  const threads = options.threads ?? parseThreads(env['CARL_NATIVE_THREADS']) ?? Math.min(64, os.availableParallelism());
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new CarlError('INVALID_ARGUMENT', `threads must be an integer in [1, 64], got ${threads}`, { field: 'threads' });
  }
  const load = loadAddon(env);
  if (!load.ok) return { available: false, reason: load.reason, registered: [] };
  if (tf.getKernel(tf.BatchMatMul, 'wasm') === undefined) {
    return { available: false, reason: 'the tfjs wasm backend is not loaded (call initBackend({ backend: "wasm" }) first)', registered: [] };
  }
  const info = load.addon.configure(threads, ISA_LEVEL[options.isa ?? 'avx512']);
  const registered: string[] = [];
  for (const name of selection) {
    const key = `${name}@wasm`;
    const current = tf.getKernel(name, 'wasm');
    if (current !== undefined && ours.has(current.kernelFunc)) {
      registered.push(key);
      continue;
    }
    const impl: NativeKernelImpl = name in REPLACEMENT_KERNELS
      ? REPLACEMENT_KERNELS[name as ReplacementKernelName]
      : FUSED_KERNELS[name as FusedKernelName];
    if (current !== undefined) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(makeConfig(name, impl, current, load.addon));
    replaced.set(name, current);
    registered.push(key);
  }
  return { available: true, registered, isa: info.isa, threads: info.threads };
}

/**
 * Puts back the stock wasm kernels replaced by {@link registerNativeKernels} (and removes the fused ones).
 * Returns the kernels restored, as `Name@wasm`.
 *
 * @example
 * ```ts
 * unregisterNativeKernels(); // e.g. to time the stock kernels in the same process
 * ```
 */
export function unregisterNativeKernels(): string[] {
  const restored: string[] = [];
  for (const [name, stock] of replaced) {
    const current = tf.getKernel(name, 'wasm');
    if (current !== undefined && ours.has(current.kernelFunc)) tf.unregisterKernel(name, 'wasm');
    if (stock !== undefined) tf.registerKernel(stock);
    restored.push(`${name}@wasm`);
  }
  replaced.clear();
  return restored;
}

/**
 * Whether the native kernels can be used here, without registering anything: the addon's state
 * (instruction set, threads) or the reason it is unavailable.
 *
 * @example
 * ```ts
 * const s = nativeKernelsStatus();
 * if (!s.available) console.warn(`native kernels off: ${s.reason}`);
 * ```
 */
export function nativeKernelsStatus(env: Readonly<Record<string, string | undefined>> = process.env): NativeKernelsReport {
  const load = loadAddon(env);
  if (!load.ok) return { available: false, reason: load.reason, registered: [] };
  const info = load.addon.info();
  const registered = [...replaced.keys()].filter((name) => {
    const k = tf.getKernel(name, 'wasm');
    return k !== undefined && ours.has(k.kernelFunc);
  });
  return { available: true, registered: registered.map((n) => `${n}@wasm`), isa: info.isa, threads: info.threads };
}

