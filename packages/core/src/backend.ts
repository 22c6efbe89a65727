import * as fs from 'node:fs';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { match } from 'ts-pattern';
import { CarlError } from './errors';
import { registerKernelFixes } from './kernels/register';
import { setFastTransposeFlags } from './ops/matmul';
// Gradients of every op must be registered once for training to work on any backend.
import './vendor/tfjs-gradients.js';

/**
 * The compute backends CARL-TS can run on, fastest first.
 * - `tensorflow-gpu`: `@tensorflow/tfjs-node-gpu` (libtensorflow with CUDA), optional.
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow on the CPU), optional.
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (XNNPACK + SIMD), the default CPU path.
 * - `cpu`: `@tensorflow/tfjs-backend-cpu`, pure JavaScript, the last resort.
 */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Every backend in the order {@link initBackend} tries them. */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** Why a backend was passed over. */
export interface SkippedBackend {
  readonly backend: BackendName;
  readonly reason: string;
}

/** What {@link initBackend} chose. */
export interface BackendInfo {
  readonly backend: BackendName;
  /** The tfjs engine's name for it (`tensorflow`, `wasm`, `cpu`). */
  readonly tfjsBackend: string;
  readonly skipped: readonly SkippedBackend[];
  /** Kernel replacements registered for this backend (e.g. `UnsortedSegmentSum@wasm`). */
  readonly kernelFixes: readonly string[];
  /** @carl/native-kernels on wasm: whether it loaded, what it registered, or why not. */
  readonly nativeKernels?: { readonly available: boolean; readonly reason?: string; readonly registered: readonly string[] };
  /**
   * Threads the backend computes with: the native kernels' pool on wasm (1 when they are not registered:
   * stock wasm runs on one thread), 1 on cpu, and libtensorflow's own pool (every core) on tensorflow.
   */
  readonly threads: number;
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Force one backend (`auto` = try in order). Default: `$CARL_BACKEND`, else `auto`. */
  readonly backend?: BackendName | 'auto';
  /** Environment to read `CARL_BACKEND` from (tests pass their own). Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Module loader (tests inject failures). Default: Node's `require`. */
  readonly requireModule?: (name: string) => unknown;
  /** Whether an NVIDIA GPU is visible. Default: looks for the driver under /proc and /dev. */
  readonly gpuVisible?: () => boolean;
  /**
   * On wasm, register @carl/native-kernels' native kernels when that optional package is installed and
   * its addon built. Default true, unless `CARL_NATIVE_KERNELS=0`.
   */
  readonly nativeKernels?: boolean;
  /**
   * Threads for the native kernels (an integer in [1, 64]). Default: `$CARL_NATIVE_THREADS`, else
   * `os.availableParallelism()` (every core, as PyTorch does).
   */
  readonly threads?: number;
}

type Attempt = { ok: true; tfjsBackend: string } | { ok: false; reason: string };

let current: BackendInfo | undefined;

/**
 * Picks and initialises the fastest tensor backend available, registering CARL's kernel fixes.
 * Order: tfjs-node-gpu, tfjs-node, wasm, cpu; `CARL_BACKEND=<name>` or `{ backend }` forces one
 * (and fails with `BACKEND_UNAVAILABLE` if it cannot start). On wasm the native kernels use every core
 * unless `{ threads }` or `CARL_NATIVE_THREADS` says otherwise. Safe to call more than once.
 *
 * @example
 * ```ts
 * const info = await initBackend({ threads: 4 });
 * console.log(info.backend, info.threads, info.skipped); // 'wasm', 4, [{ backend: 'tensorflow-gpu', reason: 'not installed' }, …]
 * ```
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const env = options.env ?? process.env;
  const requested = options.backend ?? parseBackendName(env['CARL_BACKEND']) ?? 'auto';
  const requireModule = options.requireModule ?? ((name: string) => require(name) as unknown);
  const gpuVisible = options.gpuVisible ?? defaultGpuVisible;
  const candidates = requested === 'auto' ? BACKEND_PREFERENCE : [requested];
  const threads = resolveThreads(options.threads, env);

  const skipped: SkippedBackend[] = [];
  for (const backend of candidates) {
    const attempt = await tryBackend(backend, requireModule, gpuVisible);
    if (attempt.ok) {
      const kernelFixes = registerKernelFixes(attempt.tfjsBackend);
      const wantNative = attempt.tfjsBackend === 'wasm' && (options.nativeKernels ?? env['CARL_NATIVE_KERNELS'] !== '0');
      const nativeKernels = wantNative ? loadNativeKernels(requireModule, env, threads) : undefined;
      if (attempt.tfjsBackend === 'wasm' && !wantNative) unloadNativeKernels(requireModule);
      setFastTransposeFlags(attempt.tfjsBackend === 'tensorflow' || (nativeKernels?.registered.includes('BatchMatMul@wasm') ?? false));
      const usedThreads = attempt.tfjsBackend === 'tensorflow' ? defaultThreads() : nativeKernels?.available === true ? (nativeKernels.threads ?? threads) : 1;
      current = { backend, tfjsBackend: attempt.tfjsBackend, skipped, kernelFixes, ...(nativeKernels === undefined ? {} : { nativeKernels: stripThreads(nativeKernels) }), threads: usedThreads };
      return current;
    }
    skipped.push({ backend, reason: attempt.reason });
  }
  throw new CarlError(
    'BACKEND_UNAVAILABLE',
    `no tensor backend could start (${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')})`,
    { field: requested === 'auto' ? 'backend' : `backend=${requested}` },
  );
}

type NativeKernelsReport = NonNullable<BackendInfo['nativeKernels']> & { readonly threads?: number };
interface NativeKernelsModule {
  registerNativeKernels(options: { env: Readonly<Record<string, string | undefined>>; threads: number }): NativeKernelsReport;
  unregisterNativeKernels(): string[];
}

const MAX_THREADS = 64;

function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, os.availableParallelism()));
}

/** `threads` option, else `CARL_NATIVE_THREADS`, else every core; validated so a typo fails before any work. */
function resolveThreads(option: number | undefined, env: Readonly<Record<string, string | undefined>>): number {
  if (option !== undefined) {
    if (!Number.isInteger(option) || option < 1 || option > MAX_THREADS) {
      throw new CarlError('INVALID_ARGUMENT', `threads must be an integer in [1, ${MAX_THREADS}], got ${option}`, { field: 'threads' });
    }
    return option;
  }
  const raw = env['CARL_NATIVE_THREADS'];
  if (raw === undefined || raw.trim() === '') return defaultThreads();
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new CarlError('INVALID_CONFIG', `CARL_NATIVE_THREADS must be an integer in [1, ${MAX_THREADS}], got "${raw}"`, { field: 'CARL_NATIVE_THREADS' });
  }
  return n;
}

function stripThreads(report: NativeKernelsReport): NonNullable<BackendInfo['nativeKernels']> {
  return { available: report.available, registered: report.registered, ...(report.reason === undefined ? {} : { reason: report.reason }) };
}

// @carl/native-kernels depends on this package, so it is loaded lazily (an optional peer), never imported.
function loadNativeKernels(
  requireModule: (name: string) => unknown,
  env: Readonly<Record<string, string | undefined>>,
  threads: number,
): NativeKernelsReport {
  try {
    const module = requireModule('@carl/native-kernels') as NativeKernelsModule;
    const report = module.registerNativeKernels({ env, threads });
    return {
      available: report.available,
      registered: report.registered,
      ...(report.reason === undefined ? {} : { reason: report.reason }),
      ...(report.threads === undefined ? {} : { threads: report.threads }),
    };
  } catch (error) {
    return { available: false, registered: [], reason: describeLoadFailure('@carl/native-kernels', error) };
  }
}

function unloadNativeKernels(requireModule: (name: string) => unknown): void {
  try {
    (requireModule('@carl/native-kernels') as NativeKernelsModule).unregisterNativeKernels();
  } catch {
    // not installed: nothing registered
  }
}

/** The backend chosen by the last {@link initBackend}, if any. */
export function currentBackend(): BackendInfo | undefined {
  return current;
}

/**
 * Parses a backend name (as given to `CARL_BACKEND` or `--backend`); `undefined` for an empty value.
 *
 * @example
 * ```ts
 * parseBackendName('wasm'); // 'wasm'
 * ```
 */
export function parseBackendName(value: string | undefined): BackendName | 'auto' | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const name = value.trim();
  if (name === 'auto' || (BACKEND_PREFERENCE as readonly string[]).includes(name)) return name as BackendName | 'auto';
  throw new CarlError('INVALID_CONFIG', `unknown backend "${name}"; expected one of auto, ${BACKEND_PREFERENCE.join(', ')}`, {
    field: 'CARL_BACKEND',
  });
}

async function tryBackend(
  backend: BackendName,
  requireModule: (name: string) => unknown,
  gpuVisible: () => boolean,
): Promise<Attempt> {
  return match(backend)
    .with('tensorflow-gpu', async (): Promise<Attempt> => {
      if (!gpuVisible()) return { ok: false, reason: 'no NVIDIA GPU visible (no driver under /proc/driver/nvidia)' };
      return loadBackend('@tensorflow/tfjs-node-gpu', 'tensorflow', requireModule);
    })
    .with('tensorflow', () => loadBackend('@tensorflow/tfjs-node', 'tensorflow', requireModule))
    .with('wasm', () => loadBackend('@tensorflow/tfjs-backend-wasm', 'wasm', requireModule))
    .with('cpu', () => loadBackend('@tensorflow/tfjs-backend-cpu', 'cpu', requireModule))
    .exhaustive();
}

/** Requires the package that registers `tfjsBackend` (both tfjs-node packages register `tensorflow`), then activates it. */
async function loadBackend(moduleName: string, tfjsBackend: string, requireModule: (name: string) => unknown): Promise<Attempt> {
  const loaded = loadModule(moduleName, requireModule);
  if (!loaded.ok) return loaded;
  return activate(tfjsBackend);
}

function loadModule(moduleName: string, requireModule: (name: string) => unknown): Attempt {
  try {
    requireModule(moduleName);
    return { ok: true, tfjsBackend: '' };
  } catch (error) {
    return { ok: false, reason: describeLoadFailure(moduleName, error) };
  }
}

async function activate(tfjsBackend: string): Promise<Attempt> {
  try {
    if (!(await tf.setBackend(tfjsBackend))) return { ok: false, reason: `tfjs could not initialise the "${tfjsBackend}" backend` };
    await tf.ready();
    return { ok: true, tfjsBackend };
  } catch (error) {
    return { ok: false, reason: `initialisation failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Turns a require() failure into the short reason users see. */
export function describeLoadFailure(moduleName: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'MODULE_NOT_FOUND' && message.includes(moduleName)) return `not installed (npm install ${moduleName})`;
  if (/tfjs_binding\.node|native addon/i.test(message)) return 'installed, but its native addon is missing (the install script could not download libtensorflow)';
  if (/libcud|cudnn|libtensorflow/i.test(message)) return `native library failed to load: ${firstLine(message)}`;
  return `failed to load: ${firstLine(message)}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

function defaultGpuVisible(): boolean {
  return fs.existsSync('/proc/driver/nvidia/version') || fs.existsSync('/dev/nvidia0');
}
