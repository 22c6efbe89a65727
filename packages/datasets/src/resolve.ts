import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { CarlError } from '@carl/core';
import { DATASETS, fileUrl, type DatasetFile, type DatasetName, type DatasetSpec } from './registry';

/** What a {@link Fetcher} returns: the HTTP status, the size if known, and the body as byte chunks. */
export interface FetchResult {
  readonly status: number;
  readonly size?: number;
  readonly body: AsyncIterable<Uint8Array>;
}

/**
 * Fetches a URL. The default uses Node's global `fetch`; inject your own for a proxy, a mirror, or a
 * test double. Honour `signal` so stalled downloads can be aborted.
 */
export type Fetcher = (url: string, init: { readonly signal: AbortSignal }) => Promise<FetchResult>;

/** Download progress, reported per chunk. */
export interface DownloadProgress {
  readonly url: string;
  /** Local file name (relative to the dataset folder). */
  readonly file: string;
  readonly received: number;
  readonly total?: number;
}

/** Where to look for a corpus, and whether and how to download it. */
export interface ResolveOptions {
  /** An explicit folder holding the corpus (its files at the root, or in the upstream repository's layout). Nothing else is tried. */
  readonly path?: string;
  /** Folder of corpora; default `$CARL_DATA_DIR`. The corpus is looked for in `<dataDir>/<folder>`. */
  readonly dataDir?: string;
  /** Download cache; default `$XDG_CACHE_HOME/carl-ts`, else `~/.cache/carl-ts`. */
  readonly cacheDir?: string;
  /** Download missing files into the cache; default true unless `CARL_OFFLINE=1`. */
  readonly download?: boolean;
  readonly fetcher?: Fetcher;
  /** Called on every downloaded chunk (replaces the stderr progress bar). */
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Draw a progress bar on stderr when it is a terminal; default true. */
  readonly progress?: boolean;
  /** Also check the SHA-256 of files found locally (downloads are always checked); default false. */
  readonly verify?: boolean;
  /** Give up on a download that sends nothing for this long; default 15 000 ms. */
  readonly timeoutMs?: number;
}

/** The resolved files of a corpus: local path (as in the registry) → absolute path. */
export interface ResolvedFiles {
  readonly root: string;
  readonly files: Readonly<Record<string, string>>;
}

/**
 * The default download cache: `$XDG_CACHE_HOME/carl-ts`, else `~/.cache/carl-ts`.
 *
 * @example
 * ```ts
 * defaultCacheDir(); // '/home/me/.cache/carl-ts'
 * ```
 */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg !== undefined && xdg !== '' ? xdg : path.join(os.homedir(), '.cache'), 'carl-ts');
}

/**
 * The spec of a built-in corpus (folder, pinned source, licence, files with checksums).
 *
 * @example
 * ```ts
 * datasetSpec('emobank').info.license; // 'CC-BY-SA 4.0'
 * ```
 */
export function datasetSpec(name: DatasetName): DatasetSpec {
  const spec = (DATASETS as Readonly<Record<string, DatasetSpec>>)[name];
  if (spec === undefined) {
    throw new CarlError('INVALID_ARGUMENT', `unknown dataset "${String(name)}" (known: ${Object.keys(DATASETS).join(', ')}); for your own corpus use loadTable`, { field: 'name' });
  }
  return spec;
}

/** Finds each file at its local path, or at its upstream path (a clone of the source repository). */
function locate(root: string, files: readonly DatasetFile[]): { found: Record<string, string>; missing: DatasetFile[] } {
  const found: Record<string, string> = {};
  const missing: DatasetFile[] = [];
  for (const file of files) {
    const local = path.join(root, file.path);
    const upstream = path.join(root, file.upstream);
    if (isFile(local)) found[file.path] = local;
    else if (isFile(upstream)) found[file.path] = upstream;
    else missing.push(file);
  }
  return { found, missing };
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await fsp.readFile(file)).digest('hex');
}

async function verifyFiles(found: Record<string, string>, files: readonly DatasetFile[]): Promise<void> {
  for (const file of files) {
    const where = found[file.path] as string;
    const actual = await sha256Of(where);
    if (actual !== file.sha256) {
      throw new CarlError('INVALID_DATA', `SHA-256 mismatch: expected ${file.sha256}, got ${actual} (the file differs from the pinned source)`, { file: where });
    }
  }
}

const defaultFetcher: Fetcher = async (url, init) => {
  const response = await fetch(url, { signal: init.signal, redirect: 'follow' });
  const length = response.headers.get('content-length');
  const body = (response.body ?? (async function* empty() {})()) as unknown as AsyncIterable<Uint8Array>;
  return { status: response.status, ...(length === null ? {} : { size: Number(length) }), body };
};

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${(cause as Error & { code?: string }).code ?? cause.message}` : '';
  return `${error.message}${detail}`;
}

function progressBar(enabled: boolean): ((p: DownloadProgress) => void) | undefined {
  if (!enabled || process.stderr.isTTY !== true) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    const done = p.total !== undefined && p.received >= p.total;
    if (!done && now - last < 100) return;
    last = now;
    const mb = (n: number): string => (n / 1e6).toFixed(2);
    const width = 24;
    const share = p.total === undefined || p.total === 0 ? undefined : Math.min(1, p.received / p.total);
    const bar = share === undefined ? '' : `[${'#'.repeat(Math.round(share * width)).padEnd(width, '-')}] ${Math.round(share * 100)}% `;
    process.stderr.write(`\r  ${p.file} ${bar}${mb(p.received)}${p.total === undefined ? '' : `/${mb(p.total)}`} MB${done ? '\n' : ''}`);
  };
}

async function downloadFile(url: string, dest: string, file: DatasetFile, options: ResolveOptions): Promise<void> {
  const fetcher = options.fetcher ?? defaultFetcher;
  const report = options.onProgress ?? progressBar(options.progress ?? true);
  const timeoutMs = options.timeoutMs ?? 15000;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), timeoutMs);
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), timeoutMs);
  };
  const chunks: Uint8Array[] = [];
  const hash = createHash('sha256');
  let received = 0;
  try {
    const result = await fetcher(url, { signal: controller.signal });
    if (result.status !== 200) throw new Error(`HTTP ${result.status}`);
    const total = result.size ?? file.bytes;
    for await (const chunk of result.body) {
      touch();
      chunks.push(chunk);
      hash.update(chunk);
      received += chunk.byteLength;
      if (received > file.bytes) throw new Error(`received more than the expected ${file.bytes} bytes`);
      report?.({ url, file: file.path, received, total });
    }
  } catch (error) {
    throw new Error(controller.signal.aborted ? `no data for ${timeoutMs} ms (timed out)` : describeError(error), { cause: error });
  } finally {
    clearTimeout(timer);
  }
  const digest = hash.digest('hex');
  if (digest !== file.sha256 || received !== file.bytes) {
    throw new CarlError(
      'DOWNLOAD_FAILED',
      `checksum mismatch for ${url}: expected SHA-256 ${file.sha256} (${file.bytes} bytes), got ${digest} (${received} bytes); nothing was written`,
      { file: dest },
    );
  }
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  // Write to a unique temporary name, then rename: a crash or a concurrent download never leaves a
  // truncated file under the real name.
  const tmp = `${dest}.${process.pid}.${randomBytes(4).toString('hex')}.part`;
  await fsp.writeFile(tmp, Buffer.concat(chunks));
  await fsp.rename(tmp, dest);
}

function offlineByEnv(): boolean {
  const v = process.env.CARL_OFFLINE;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/**
 * Resolves the files of `groups` of a corpus (see {@link DatasetSpec.fileGroups}); the engine behind
 * {@link resolveDataset} and the loaders. All files of a call come from the same place.
 *
 * @example
 * ```ts
 * const { files } = await resolveDatasetFiles('emobank', ['default', 'reader']);
 * files['reader.csv']; // '/data/emobank/reader.csv' (or …/corpus/reader.csv in a clone)
 * ```
 */
export async function resolveDatasetFiles(name: DatasetName, groups: readonly string[], options: ResolveOptions = {}): Promise<ResolvedFiles> {
  return resolveSpecFiles(datasetSpec(name), groups, options);
}

/** {@link resolveDatasetFiles} for any spec (internal; tests use it with a fake corpus). */
export async function resolveSpecFiles(spec: DatasetSpec, groups: readonly string[], options: ResolveOptions = {}): Promise<ResolvedFiles> {
  const name = spec.name;
  const files = groups.flatMap((group) => {
    const list = spec.fileGroups[group];
    if (list === undefined) throw new CarlError('INTERNAL', `dataset ${name} has no file group "${group}"`);
    return list;
  });
  const need = (missing: DatasetFile[]): string => missing.map((m) => m.path).join(', ');
  const howTo =
    // Read by command-line users and library users alike, so it names both ways (see issue 15).
    `To use a local copy, set CARL_DATA_DIR to a folder containing ${spec.folder}/ (on the carl command line: --data-dir DIR; ` +
    `in code: { dataDir: DIR }, or { path: '<folder>' } for a folder holding ${files.map((x) => x.path).join(', ')} or a clone of ` +
    `https://github.com/${spec.info.repository} at ${spec.info.commit.slice(0, 7)}).`;

  if (options.path !== undefined) {
    const root = path.resolve(options.path);
    const { found, missing } = locate(root, files);
    if (missing.length > 0) {
      throw new CarlError('DATASET_NOT_FOUND', `dataset "${name}" is not complete at the given path: missing ${need(missing)} (looked for <path>/<file> and the upstream layout, e.g. ${missing[0]?.upstream}). ${howTo}`, { file: root });
    }
    if (options.verify === true) await verifyFiles(found, files);
    return { root, files: found };
  }

  const tried: string[] = [];
  const dataDir = options.dataDir ?? process.env.CARL_DATA_DIR;
  if (dataDir === undefined || dataDir === '') tried.push('$CARL_DATA_DIR: not set');
  else {
    const root = path.resolve(dataDir, spec.folder);
    const { found, missing } = locate(root, files);
    if (missing.length === 0) {
      if (options.verify === true) await verifyFiles(found, files);
      return { root, files: found };
    }
    tried.push(`${options.dataDir === undefined ? '$CARL_DATA_DIR' : 'dataDir'} ${root}: missing ${need(missing)}`);
  }

  const cacheRoot = path.join(options.cacheDir ?? defaultCacheDir(), spec.folder);
  const cached = locate(cacheRoot, files);
  if (cached.missing.length === 0) {
    if (options.verify === true) await verifyFiles(cached.found, files);
    return { root: cacheRoot, files: cached.found };
  }
  tried.push(`cache ${cacheRoot}: missing ${need(cached.missing)}`);

  const download = options.download ?? !offlineByEnv();
  if (!download) {
    tried.push(`download: disabled (${options.download === false ? 'download: false' : 'CARL_OFFLINE is set'})`);
    throw new CarlError('DATASET_NOT_FOUND', `dataset "${name}" not found. Tried:\n  - ${tried.join('\n  - ')}\n${howTo}`, { field: name });
  }
  for (const file of cached.missing) {
    const url = fileUrl(spec, file);
    const dest = path.join(cacheRoot, file.path);
    try {
      await downloadFile(url, dest, file, options);
    } catch (error) {
      if (error instanceof CarlError) throw error;
      tried.push(`download ${url}: ${(error as Error).message}`);
      throw new CarlError('DOWNLOAD_FAILED', `dataset "${name}" not found and could not be downloaded. Tried:\n  - ${tried.join('\n  - ')}\n${howTo}`, { file: dest }, { cause: error });
    }
  }
  return { root: cacheRoot, files: locate(cacheRoot, files).found };
}

/**
 * Finds a built-in corpus and returns its folder: an explicit `path`, else `$CARL_DATA_DIR/<folder>`,
 * else the user cache, else a download from the source pinned to a commit, checked by SHA-256. When
 * every step fails, the error lists what was tried and how to point at a local copy.
 *
 * @example
 * ```ts
 * const dir = await resolveDataset('emobank');                 // e.g. $CARL_DATA_DIR/emobank
 * await resolveDataset('mr', { path: '/data/sent-conv-torch' }); // a clone of the source repo works
 * ```
 */
export async function resolveDataset(name: DatasetName, options: ResolveOptions = {}): Promise<string> {
  return (await resolveDatasetFiles(name, ['default'], options)).root;
}
