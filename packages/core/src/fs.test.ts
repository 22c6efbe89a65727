import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError } from './errors';
import { filesystemError, writeFileAtomic } from './fs';

// Spies go on the module object itself: `import * as` gives each file its own namespace copy.
const nodeFs = require('node:fs') as typeof fs;
const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: simulated`), { code });

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-fs-'));
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the content whole, creates missing folders and leaves no temporary file', () => {
    const file = path.join(dir, 'a', 'b', 'f.json');
    writeFileAtomic(file, '{"a":1}');
    writeFileAtomic(file, new Uint8Array([123, 125]));
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['f.json']);
  });

  it('fsyncs the file and its folder before and after the rename', () => {
    const order: string[] = [];
    const fsync = jest.spyOn(nodeFs, 'fsyncSync').mockImplementation(() => void order.push('fsync'));
    const rename = jest.spyOn(nodeFs, 'renameSync');
    rename.mockImplementation((a, b) => {
      order.push('rename');
      rename.mockRestore();
      fs.renameSync(a, b);
    });
    writeFileAtomic(path.join(dir, 'x.txt'), 'x');
    expect(order).toEqual(['fsync', 'rename', 'fsync']);
    expect(fsync).toHaveBeenCalledTimes(2);
  });

  it('gives a FILESYSTEM error naming the path when a file is in the way (ENOTDIR)', () => {
    const blocker = path.join(dir, 'plain-file');
    fs.writeFileSync(blocker, 'x');
    const file = path.join(blocker, 'sub', 'f.json');
    const error = (() => {
      try {
        writeFileAtomic(file, 'x');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isCarlError(error, 'FILESYSTEM')).toBe(true);
    expect((error as Error).message).toBe(`${file}: cannot write (ENOTDIR): a part of the path is a file, not a folder; choose another --out`);
  });

  it.each([
    ['ENOSPC', /cannot write \(ENOSPC\): the disk is full; free space on the filesystem of .*f\.bin/],
    ['EROFS', /cannot write \(EROFS\): the filesystem is read-only; choose a writable --out$/],
    ['EPERM', /cannot write \(EPERM\): operation not permitted; choose a writable --out/],
  ])('turns %s while writing into a typed error and removes the temporary file', (code, message) => {
    jest.spyOn(nodeFs, 'writeFileSync').mockImplementation(() => {
      throw errno(code);
    });
    const file = path.join(dir, 'f.bin');
    expect(() => writeFileAtomic(file, 'x')).toThrow(message);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('filesystemError', () => {
  it('maps each errno to advice and keeps the cause', () => {
    const cause = errno('EACCES');
    const error = filesystemError(cause, '/runs/a', 'create the output folder');
    expect(error.code).toBe('FILESYSTEM');
    expect(error.message).toBe('/runs/a: cannot create the output folder (EACCES): permission denied; choose a writable --out or fix the folder permissions');
    expect(error.cause).toBe(cause);
    expect(filesystemError(errno('EMFILE'), 'f', 'read').message).toMatch(/too many open files in this process; raise the limit \(ulimit -n\)/);
    expect(filesystemError(errno('EISDIR'), 'f', 'write').message).toMatch(/is a folder where a file was expected/);
    expect(filesystemError(errno('ENOENT'), 'f', 'read').message).toMatch(/does not exist/);
  });

  it('passes a CarlError through and keeps the message of an unknown error', () => {
    const typed = filesystemError(errno('ENOSPC'), 'a', 'write');
    expect(filesystemError(typed, 'b', 'read')).toBe(typed);
    expect(filesystemError(new Error('odd'), 'f', 'read').message).toBe('f: cannot read: odd');
    expect(filesystemError(errno('EWHATEVER'), 'f', 'read').message).toBe('f: cannot read (EWHATEVER): EWHATEVER: simulated');
  });
});
