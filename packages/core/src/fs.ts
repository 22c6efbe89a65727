// A plain require, not `import * as`: tests inject errno failures with jest.spyOn on the module object.
import fs = require('node:fs');
import * as path from 'node:path';
import { CarlError, isCarlError } from './errors';

/**
 * Writes one file so that it holds either the old or the new content, even across a crash or a power
 * cut: the data goes to a temporary sibling that is fsync'ed, renamed over `file`, and the folder is
 * fsync'ed so the rename itself is durable. Missing parent folders are created. Filesystem failures
 * (disk full, read-only, a file where a folder should be …) become a `FILESYSTEM` {@link CarlError}
 * naming the path; the temporary file is removed.
 *
 * @example
 * ```ts
 * writeFileAtomic('runs/a/LATEST', 'step-00000100\n');
 * ```
 */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncPath(dir);
  } catch (error) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // The folder itself is unusable (ENOTDIR, EACCES …): there is no temporary file to remove.
    }
    throw filesystemError(error, file, 'write');
  }
}

/**
 * fsyncs a file or folder. Some filesystems refuse fsync on a folder (EISDIR/EINVAL/EPERM/EBADF);
 * a rename there is still atomic, so that refusal is ignored.
 *
 * @example
 * ```ts
 * fsyncPath('runs/a/checkpoints');
 * ```
 */
export function fsyncPath(p: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** What the user can do about each errno, by code; `{path}` is replaced by the path. */
const ADVICE: Readonly<Record<string, (p: string) => string>> = {
  ENOSPC: (p) => `the disk is full; free space on the filesystem of ${p} (or choose another --out), then run again`,
  EDQUOT: (p) => `the disk quota is exhausted; free space in your quota for ${p} (or choose another --out), then run again`,
  EROFS: () => 'the filesystem is read-only; choose a writable --out',
  EACCES: () => 'permission denied; choose a writable --out or fix the folder permissions',
  EPERM: () => 'operation not permitted; choose a writable --out or fix the folder permissions',
  ENOTDIR: () => 'a part of the path is a file, not a folder; choose another --out',
  EISDIR: () => 'the path is a folder where a file was expected; choose another file name',
  ENOENT: () => 'a folder on the path does not exist (or was removed while writing); check the path',
  EMFILE: () => 'too many open files in this process; raise the limit (ulimit -n) and run again',
  ENFILE: () => 'too many open files on this system; close other programs or raise the limit, then run again',
  EEXIST: () => 'the path already exists',
  ENAMETOOLONG: () => 'the path is too long; choose a shorter --out',
};

/**
 * Turns a Node filesystem error into a `FILESYSTEM` {@link CarlError} that names the path, what was
 * being done and what the user can do (ENOSPC → free space, EROFS/EACCES/EPERM → a writable
 * folder, ENOTDIR → a file in the way …). A `CarlError` passes through unchanged; an error without
 * a known errno comes back as a `FILESYSTEM` error with the original message (the cause is kept).
 *
 * @param action what was being done, as a verb phrase: `'write'`, `'create the folder'`, `'read'`
 * @example
 * ```ts
 * try { fs.writeFileSync(file, data); } catch (e) { throw filesystemError(e, file, 'write'); }
 * // CarlError FILESYSTEM: "runs/a/x.json: cannot write (ENOSPC): the disk is full; free space on …"
 * ```
 */
export function filesystemError(err: unknown, path: string, action: string): CarlError {
  if (isCarlError(err)) return err;
  const code = typeof err === 'object' && err !== null ? (err as NodeJS.ErrnoException).code : undefined;
  const advice = code === undefined ? undefined : ADVICE[code];
  const detail = advice !== undefined ? advice(path) : err instanceof Error ? err.message : String(err);
  return new CarlError('FILESYSTEM', `cannot ${action}${code === undefined ? '' : ` (${code})`}: ${detail}`, { file: path }, { cause: err });
}
