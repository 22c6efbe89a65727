import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CheckpointStore, STATE_FILE, writeDirAtomic, writeFileAtomic } from './checkpoint';

describe('atomic writes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-ckpt-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('publishes a folder only when populate completes', async () => {
    const target = path.join(dir, 'a');
    await writeDirAtomic(target, (tmp) => fs.writeFileSync(path.join(tmp, 'x.txt'), 'one'));
    expect(fs.readFileSync(path.join(target, 'x.txt'), 'utf8')).toBe('one');
    // A writer that dies half-way leaves the previous version intact and no stray folder.
    await expect(
      writeDirAtomic(target, async (tmp) => {
        fs.writeFileSync(path.join(tmp, 'x.txt'), 'two');
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(fs.readFileSync(path.join(target, 'x.txt'), 'utf8')).toBe('one');
    expect(fs.readdirSync(dir)).toEqual(['a']);
  });

  it('replaces an existing folder as a whole', async () => {
    const target = path.join(dir, 'a');
    await writeDirAtomic(target, (tmp) => fs.writeFileSync(path.join(tmp, 'old.txt'), '1'));
    await writeDirAtomic(target, (tmp) => fs.mkdirSync(path.join(tmp, 'sub')));
    expect(fs.readdirSync(target)).toEqual(['sub']);
    expect(fs.readdirSync(dir)).toEqual(['a']);
  });

  it('writes a file atomically', () => {
    const file = path.join(dir, 'nested', 'f.json');
    writeFileAtomic(file, '{"a":1}');
    writeFileAtomic(file, new Uint8Array([123, 125]));
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['f.json']);
  });
});

describe('CheckpointStore', () => {
  let root: string;
  const write = (text: string) => (d: string) => fs.writeFileSync(path.join(d, STATE_FILE), text);
  beforeEach(() => {
    root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'carl-store-')), 'checkpoints');
  });
  afterEach(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));

  it('keeps the newest checkpoints and points LATEST at the last one', async () => {
    const store = new CheckpointStore(root, 2);
    expect(store.latest()).toBeUndefined();
    for (const step of [10, 20, 30]) await store.save(step, write(`{"step":${step}}`));
    expect(store.list().map((c) => c.step)).toEqual([20, 30]);
    expect(store.latest()).toEqual({ step: 30, dir: path.join(root, 'step-00000030') });
    expect(fs.readFileSync(path.join(root, 'LATEST'), 'utf8')).toBe('step-00000030\n');
  });

  it('refuses a checkpoint without its state file (it would look complete otherwise)', async () => {
    const store = new CheckpointStore(root, 2);
    await expect(store.save(5, () => undefined)).rejects.toThrow(/must contain trainer_state.json/);
    expect(store.list()).toEqual([]);
  });

  it('ignores half-written folders and a stale or broken LATEST', async () => {
    const store = new CheckpointStore(root, 3);
    await store.save(10, write('{}'));
    await store.save(20, write('{}'));
    // Killed between publishing step 30 and updating LATEST:
    fs.mkdirSync(path.join(root, 'step-00000030'));
    fs.writeFileSync(path.join(root, 'step-00000030', STATE_FILE), '{}');
    fs.writeFileSync(path.join(root, 'LATEST'), 'step-00000020\n');
    expect(store.latest()?.step).toBe(30);
    // Killed while writing step 40: its temporary folder is never taken for a checkpoint.
    fs.mkdirSync(path.join(root, '.step-00000040.tmp-1-x'));
    fs.mkdirSync(path.join(root, 'step-00000050'));
    expect(store.latest()?.step).toBe(30);
    fs.writeFileSync(path.join(root, 'LATEST'), 'garbage');
    expect(store.latest()?.step).toBe(30);
    store.cleanTemporary();
    expect(fs.readdirSync(root).sort()).toEqual(['LATEST', 'step-00000010', 'step-00000020', 'step-00000030', 'step-00000050']);
  });
});
