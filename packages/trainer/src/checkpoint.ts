import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError } from '@carl/core';

/**
 * Writes a whole folder so that it either appears complete or not at all: `populate` fills a
 * temporary sibling folder, every file and the folder are fsync'ed, then one `rename` publishes it
 * (and the parent is fsync'ed so the rename itself survives a power cut). An existing `dir` is
 * replaced only after the new one is complete.
 *
 * @example
 * ```ts
 * await writeDirAtomic('runs/a/checkpoints/step-00000100', (tmp) => fs.writeFileSync(path.join(tmp, 'state.json'), '{}'));
 * ```
 */
export async function writeDirAtomic(dir: string, populate: (tmpDir: string) => void | Promise<void>): Promise<void> {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  fs.mkdirSync(tmp);
  try {
    await populate(tmp);
    fsyncTree(tmp);
    if (fs.existsSync(dir)) {
      // Keep the old copy until the new one is in place, then delete it.
      const old = path.join(parent, `.${path.basename(dir)}.old-${process.pid}-${Date.now().toString(36)}`);
      fs.renameSync(dir, old);
      fs.renameSync(tmp, dir);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, dir);
    }
    fsyncPath(parent);
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Writes one file atomically (temporary sibling, fsync, rename, fsync of the folder).
 *
 * @example
 * ```ts
 * writeFileAtomic('runs/a/LATEST', 'step-00000100\n');
 * ```
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncPath(dir);
}

function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(full);
    else if (entry.isFile()) fsyncPath(full);
  }
  fsyncPath(dir);
}

function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    // Some file systems refuse fsync on a directory (EISDIR/EINVAL/EPERM); the rename is still atomic there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** The file whose presence marks a checkpoint folder as complete. */
export const STATE_FILE = 'trainer_state.json';
const LATEST_FILE = 'LATEST';
const CHECKPOINT_PATTERN = /^step-(\d+)$/;

/** A complete checkpoint found on disk. */
export interface CheckpointRef {
  readonly step: number;
  readonly dir: string;
}

/**
 * The checkpoints of one run under `<out>/checkpoints/`: `step-00000100/` folders written with
 * {@link writeDirAtomic}, a `LATEST` pointer updated after each, and pruning that keeps the newest
 * `keep` complete ones. Half-written folders from a killed run are never read, only cleaned up.
 *
 * @example
 * ```ts
 * const checkpoints = new CheckpointStore('runs/a/checkpoints', 2);
 * await checkpoints.save(100, (dir) => writeState(dir));
 * checkpoints.latest(); // { step: 100, dir: 'runs/a/checkpoints/step-00000100' }
 * ```
 */
export class CheckpointStore {
  constructor(
    readonly root: string,
    private readonly keep: number,
  ) {
    if (!Number.isInteger(keep) || keep < 1) throw new CarlError('INVALID_ARGUMENT', `keep must be a positive integer, got ${keep}`, { field: 'keepCheckpoints' });
  }

  /** Writes the checkpoint of `step` atomically; `populate` must write {@link STATE_FILE} last or at all. */
  async save(step: number, populate: (dir: string) => void | Promise<void>): Promise<CheckpointRef> {
    const name = `step-${String(step).padStart(8, '0')}`;
    const dir = path.join(this.root, name);
    await writeDirAtomic(dir, async (tmp) => {
      await populate(tmp);
      if (!fs.existsSync(path.join(tmp, STATE_FILE))) {
        throw new CarlError('INTERNAL', `a checkpoint must contain ${STATE_FILE}`, { file: dir });
      }
    });
    writeFileAtomic(path.join(this.root, LATEST_FILE), `${name}\n`);
    this.prune();
    return { step, dir };
  }

  /** Every complete checkpoint, oldest first. */
  list(): CheckpointRef[] {
    if (!fs.existsSync(this.root)) return [];
    return fs
      .readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && CHECKPOINT_PATTERN.test(e.name) && fs.existsSync(path.join(this.root, e.name, STATE_FILE)))
      .map((e) => ({ step: Number((CHECKPOINT_PATTERN.exec(e.name) as RegExpExecArray)[1]), dir: path.join(this.root, e.name) }))
      .sort((a, b) => a.step - b.step);
  }

  /** The newest complete checkpoint (by `LATEST`, else by scanning), or undefined when there is none. */
  latest(): CheckpointRef | undefined {
    const pointer = path.join(this.root, LATEST_FILE);
    if (fs.existsSync(pointer)) {
      const name = fs.readFileSync(pointer, 'utf8').trim();
      const match = CHECKPOINT_PATTERN.exec(name);
      const dir = path.join(this.root, name);
      if (match !== null && fs.existsSync(path.join(dir, STATE_FILE))) {
        // LATEST may lag a newer complete folder if the run died between the two renames.
        const newest = this.list().at(-1);
        return newest !== undefined && newest.step > Number(match[1]) ? newest : { step: Number(match[1]), dir };
      }
    }
    return this.list().at(-1);
  }

  /** Removes temporary folders left by a killed writer. */
  cleanTemporary(): void {
    if (!fs.existsSync(this.root)) return;
    for (const entry of fs.readdirSync(this.root)) {
      if (/^\..*\.(tmp|old)-/.test(entry)) fs.rmSync(path.join(this.root, entry), { recursive: true, force: true });
    }
  }

  private prune(): void {
    const all = this.list();
    for (const old of all.slice(0, Math.max(0, all.length - this.keep))) fs.rmSync(old.dir, { recursive: true, force: true });
  }
}
