import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError } from '@carl/core';
import { LOCK_FILE, acquireRunLock, filesystemTypeOf, prepareRunDir, readRunSpec } from './run-dir';

const MOUNTS = [
  'overlay / overlay rw,relatime 0 0',
  'proc /proc proc rw,nosuid 0 0',
  'sysfs /sys sysfs ro 0 0',
  'tmpfs /dev tmpfs rw 0 0',
  'devpts /dev/pts devpts rw 0 0',
  'shm /dev/shm tmpfs rw 0 0',
  '/dev/sda1 /mnt/my\\040disk ext4 rw 0 0',
].join('\n');

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('filesystemTypeOf', () => {
  it('takes the longest mount point containing the path', () => {
    expect(filesystemTypeOf('/proc/x/y', MOUNTS)).toBe('proc');
    expect(filesystemTypeOf('/procedures/x', MOUNTS)).toBe('overlay');
    expect(filesystemTypeOf('/dev/pts/3', MOUNTS)).toBe('devpts');
    expect(filesystemTypeOf('/dev/shm/run', MOUNTS)).toBe('tmpfs');
    expect(filesystemTypeOf('/mnt/my disk/runs', MOUNTS)).toBe('ext4');
    expect(filesystemTypeOf('/home/me', '')).toBeUndefined();
  });
});

describe('prepareRunDir', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-rundir-'));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('creates the folder and returns its absolute path', () => {
    const dir = path.join(root, 'a', 'b');
    expect(prepareRunDir(dir)).toBe(dir);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  it('refuses /proc before creating anything (Node’s recursive mkdir can hang there)', () => {
    const error = caught(() => prepareRunDir('/proc/carl-run-x/y'));
    expect(isCarlError(error, 'FILESYSTEM')).toBe(true);
    expect((error as Error).message).toBe('/proc/carl-run-x/y: cannot write a run here: the path is on the proc pseudo-filesystem, which holds no files; choose a folder on a disk for --out');
  });

  it('judges by the mount table: /sys and /dev/pts refused, /dev/shm (tmpfs) allowed', () => {
    expect(isCarlError(caught(() => prepareRunDir('/sys/x', { mountTable: MOUNTS })), 'FILESYSTEM')).toBe(true);
    expect((caught(() => prepareRunDir('/dev/pts/x', { mountTable: MOUNTS })) as Error).message).toMatch(/devpts pseudo-filesystem/);
    // A table that says nothing (not Linux): the well-known paths are refused.
    expect(isCarlError(caught(() => prepareRunDir('/sys/x', { mountTable: '' })), 'FILESYSTEM')).toBe(true);
    if (fs.existsSync('/dev/shm')) {
      const shm = path.join('/dev/shm', `carl-rundir-${process.pid}`);
      expect(prepareRunDir(shm, { mountTable: MOUNTS })).toBe(shm);
      fs.rmSync(shm, { recursive: true, force: true });
    }
  });

  it('names a file in the way (ENOTDIR) and a path that is a file', () => {
    const file = path.join(root, 'plain');
    fs.writeFileSync(file, 'x');
    const under = caught(() => prepareRunDir(path.join(file, 'run')));
    expect(isCarlError(under, 'FILESYSTEM')).toBe(true);
    expect((under as Error).message).toBe(`${path.join(file, 'run')}: cannot create the output folder (ENOTDIR): a part of the path is a file, not a folder; choose another --out`);
    expect(isCarlError(caught(() => prepareRunDir(file)), 'FILE_EXISTS')).toBe(true);
  });
});

describe('acquireRunLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const lockFile = (): string => path.join(dir, LOCK_FILE);

  it('writes pid and host, refuses a second holder, and releases', () => {
    const lock = acquireRunLock(dir);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid, hostname: os.hostname() });
    const second = caught(() => acquireRunLock(dir));
    expect(isCarlError(second, 'RUN_LOCKED')).toBe(true);
    expect((second as Error).message).toContain(`another trainer is using this run folder: process ${process.pid} on ${os.hostname()}`);
    lock.release();
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(false);
    acquireRunLock(dir).release();
  });

  it('takes over a stale lock (dead pid, same host) but not one of a live process or another host', () => {
    // A pid far above any pid_max in use is not running.
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: 2 ** 22 + 12345, hostname: os.hostname(), startedAt: 'then' }));
    const lock = acquireRunLock(dir);
    expect(JSON.parse(fs.readFileSync(lockFile(), 'utf8')).pid).toBe(process.pid);
    lock.release();

    fs.writeFileSync(lockFile(), JSON.stringify({ pid: process.ppid, hostname: os.hostname(), startedAt: 'now' }));
    expect(isCarlError(caught(() => acquireRunLock(dir)), 'RUN_LOCKED')).toBe(true);
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: 2 ** 22 + 12345, hostname: 'elsewhere', startedAt: 'now' }));
    expect((caught(() => acquireRunLock(dir)) as Error).message).toContain('on elsewhere');
    fs.writeFileSync(lockFile(), 'garbage');
    expect((caught(() => acquireRunLock(dir)) as Error).message).toMatch(/an unreadable lock.*delete run\.lock/);
  });

  it('does not remove a lock that another process took over', () => {
    const lock = acquireRunLock(dir);
    fs.writeFileSync(lockFile(), JSON.stringify({ pid: process.ppid, hostname: os.hostname(), startedAt: 'later' }));
    lock.release();
    expect(fs.existsSync(lockFile())).toBe(true);
  });
});

describe('readRunSpec', () => {
  it('is undefined without run.json and a typed error for a broken one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-spec-'));
    expect(readRunSpec(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'run.json'), '{"format":"other"}');
    expect(isCarlError(caught(() => readRunSpec(dir)), 'INVALID_CHECKPOINT')).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
