import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CarlError, filesystemError, writeFileAtomic } from '@carl/core';
import type { CorpusShare } from './batching';
import type { TrainConfig } from './config';

/** The file holding a run's resolved configuration and data description, written when it starts. */
export const RUN_FILE = 'run.json';
/** The lock file of a run folder while a trainer works in it. */
export const LOCK_FILE = 'run.lock';

/** Filesystems that hold no files (kernel views); Node's recursive mkdir can hang on some of them. */
const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'cgroup',
  'cgroup2',
  'debugfs',
  'tracefs',
  'securityfs',
  'pstore',
  'bpf',
  'configfs',
  'fusectl',
  'mqueue',
  'binfmt_misc',
  'autofs',
  'efivarfs',
]);

/**
 * The filesystem type under `target` from a mount table (`/proc/self/mounts` format), by the longest
 * mount point that contains it; undefined when the table says nothing.
 *
 * @example
 * ```ts
 * filesystemTypeOf('/proc/x', 'proc /proc proc rw 0 0\n/dev/sda1 / ext4 rw 0 0'); // 'proc'
 * ```
 */
export function filesystemTypeOf(target: string, mounts: string): string | undefined {
  let best: { point: string; type: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [, rawPoint, type] = line.split(' ');
    if (rawPoint === undefined || type === undefined) continue;
    // The mount table escapes spaces and the like as octal (\040).
    const point = rawPoint.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
    const inside = point === '/' || target === point || target.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (best === undefined || point.length >= best.point.length)) best = { point, type };
  }
  return best?.type;
}

/** The nearest existing ancestor of `p` (itself included), with symbolic links resolved. */
function realAncestor(p: string): string {
  let current = p;
  for (;;) {
    try {
      const real = fs.realpathSync(current);
      return path.join(real, path.relative(current, p));
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      current = parent;
    }
  }
}

/**
 * Checks an output folder before anything is created in it and creates it: refuses folders on
 * pseudo-filesystems (`/proc`, `/sys`, `/dev`; Node's recursive mkdir can hang there), a path that
 * is a file, and turns filesystem refusals (a file in the way, read-only, no space) into
 * `FILESYSTEM` errors naming the path. Returns the absolute path.
 *
 * @example
 * ```ts
 * const out = prepareRunDir('runs/carl'); // '/home/me/runs/carl', created
 * prepareRunDir('/proc/x'); // throws CarlError FILESYSTEM: "/proc/x: … is on the proc pseudo-filesystem …"
 * ```
 */
export function prepareRunDir(out: string, options: { readonly mountTable?: string } = {}): string {
  const dir = path.resolve(out);
  const real = realAncestor(dir);
  let mounts = options.mountTable;
  if (mounts === undefined) {
    try {
      mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
    } catch {
      mounts = undefined; // not Linux: fall back to the well-known paths
    }
  }
  const type = mounts === undefined ? undefined : filesystemTypeOf(real, mounts);
  const knownPseudo = /^\/(proc|sys)(\/|$)/.test(real) || (/^\/dev(\/|$)/.test(real) && !/^\/dev\/shm(\/|$)/.test(real));
  if ((type !== undefined && PSEUDO_FILESYSTEMS.has(type)) || (type === undefined && knownPseudo)) {
    throw new CarlError('FILESYSTEM', `cannot write a run here: the path is on the ${type ?? 'kernel'} pseudo-filesystem, which holds no files; choose a folder on a disk for --out`, {
      file: dir,
    });
  }
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new CarlError('FILE_EXISTS', 'the output path exists and is not a folder; choose another --out', { file: dir });
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw filesystemError(error, dir, 'create the output folder');
  }
  return dir;
}

/** What `run.lock` holds. */
interface LockInfo {
  readonly pid: number;
  readonly hostname: string;
  readonly startedAt: string;
}

/** A held run-folder lock. */
export interface RunLock {
  readonly file: string;
  /** Removes the lock (idempotent). */
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock of a run folder: `run.lock`, created exclusively (O_EXCL), holding pid, host name
 * and start time. A lock whose process is gone (same host, pid not running) is stale and taken over;
 * a live one, or one from another host, is refused with `RUN_LOCKED` naming the holder. The lock is
 * also removed if the process exits without releasing it.
 *
 * @example
 * ```ts
 * const lock = acquireRunLock('runs/carl');
 * try { … } finally { lock.release(); }
 * ```
 */
export function acquireRunLock(dir: string): RunLock {
  const file = path.join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(info)}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw filesystemError(error, file, 'create the run lock');
    }
    const holder = readLock(file);
    if (holder === 'gone') continue; // released between our two calls
    const stale = holder !== undefined && holder.hostname === info.hostname && !processAlive(holder.pid);
    if (!stale || attempt > 0) {
      const who = holder === undefined ? 'an unreadable lock' : `process ${holder.pid} on ${holder.hostname} (since ${holder.startedAt})`;
      throw new CarlError(
        'RUN_LOCKED',
        `another trainer is using this run folder: ${who}. Wait for it to finish, or use another --out; if no trainer is running there, delete ${LOCK_FILE}`,
        { file },
      );
    }
    fs.rmSync(file, { force: true });
  }
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    // Only our own lock: a stale-lock takeover by another process must not be undone.
    const holder = readLock(file);
    if (holder !== 'gone' && holder?.pid === info.pid && holder.startedAt === info.startedAt) fs.rmSync(file, { force: true });
  };
  process.on('exit', release);
  return { file, release };
}

function readLock(file: string): LockInfo | 'gone' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return 'gone';
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string') return { pid: parsed.pid, hostname: parsed.hostname, startedAt: String(parsed.startedAt) };
  } catch {
    // fall through
  }
  return undefined;
}

/** Where a run's training rows came from, so a resume or head refit can check it has the same ones. */
export interface RunDataSpec {
  /** `corpora`: `config.data` loaded by the trainer; `rows`: rows the caller passed (`TrainOptions.data`). */
  readonly source: 'corpora' | 'rows';
  readonly corpora: readonly CorpusShare[];
  /** Fingerprint of ids, texts and labels. */
  readonly fingerprint: string;
}

/** What `run.json` holds. */
export interface RunSpec {
  readonly format: 'carl-run';
  readonly version: 1;
  readonly config: TrainConfig;
  readonly data: RunDataSpec;
  readonly createdAt: string;
}

/**
 * Writes `run.json` atomically.
 *
 * @example
 * ```ts
 * writeRunSpec('runs/carl', config, { source: 'corpora', corpora, fingerprint });
 * ```
 */
export function writeRunSpec(dir: string, config: TrainConfig, data: RunDataSpec): RunSpec {
  const spec: RunSpec = { format: 'carl-run', version: 1, config, data, createdAt: new Date().toISOString() };
  writeFileAtomic(path.join(dir, RUN_FILE), `${JSON.stringify(spec, null, 1)}\n`);
  return spec;
}

/**
 * Reads `run.json` of a run folder; undefined when there is none, `INVALID_CHECKPOINT` when it is unreadable.
 *
 * @example
 * ```ts
 * readRunSpec('runs/carl')?.config.steps; // 343
 * ```
 */
export function readRunSpec(dir: string): RunSpec | undefined {
  const file = path.join(dir, RUN_FILE);
  if (!fs.existsSync(file)) return undefined;
  let parsed: Partial<RunSpec>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RunSpec>;
  } catch (error) {
    throw new CarlError('INVALID_CHECKPOINT', `cannot read the run description: ${error instanceof Error ? error.message : String(error)}`, { file });
  }
  if (parsed.format !== 'carl-run' || parsed.version !== 1 || typeof parsed.config !== 'object' || typeof parsed.data !== 'object') {
    throw new CarlError('INVALID_CHECKPOINT', 'not a CARL run description (format carl-run, version 1)', { file });
  }
  return parsed as RunSpec;
}
