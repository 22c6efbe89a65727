import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError, writeFileAtomic } from '@carl/core';
import { writeSafetensorsFile } from '@carl/encoder';
import { CheckpointStore, STATE_FILE, checkpointProblem, newestIntactCheckpoint, writeDirAtomic } from './checkpoint';

// Spies go on the module object itself (`import * as` gives each file its own namespace copy).
const nodeFs = require('node:fs') as typeof fs;

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

  it('turns a filesystem failure into a FILESYSTEM error naming the folder', async () => {
    const fsync = jest.spyOn(nodeFs, 'fsyncSync').mockImplementation(() => {
      throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    });
    const target = path.join(dir, 'ro');
    const error = await writeDirAtomic(target, (tmp) => fs.writeFileSync(path.join(tmp, 'x'), '1')).catch((e: unknown) => e);
    fsync.mockRestore();
    expect(isCarlError(error, 'FILESYSTEM')).toBe(true);
    expect((error as Error).message).toBe(`${target}: cannot write (EROFS): the filesystem is read-only; choose a writable --out`);
    expect(fs.readdirSync(dir)).toEqual([]);
    const file = path.join(dir, 'plain');
    fs.writeFileSync(file, '');
    await expect(writeDirAtomic(path.join(file, 'sub', 'x'), () => undefined)).rejects.toThrow(/cannot create the folder \(ENOTDIR\)/);
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

  it('finds the newest intact checkpoint, skipping damaged ones with the reason, and sets them aside', async () => {
    const store = new CheckpointStore(root, 5);
    const state = (step: number) => JSON.stringify({ format: 'carl-trainer-state', version: 1, step });
    const tensors = new Map([['w', { shape: [4], values: Float32Array.of(1, 2, 3, 4) }]]);
    for (const step of [10, 20, 30]) {
      await store.save(step, (d) => {
        writeSafetensorsFile(path.join(d, 'optimizer.safetensors'), tensors);
        fs.mkdirSync(path.join(d, 'encoder'));
        writeSafetensorsFile(path.join(d, 'encoder', 'model.safetensors'), tensors);
        fs.writeFileSync(path.join(d, 'queue.json'), '{"keys":[]}');
        fs.writeFileSync(path.join(d, STATE_FILE), state(step));
      });
    }
    expect(checkpointProblem(path.join(root, 'step-00000030'))).toBeUndefined();
    // Step 30: a truncated optimizer file; step 20: a truncated encoder; step 10 intact.
    const optimizer = path.join(root, 'step-00000030', 'optimizer.safetensors');
    fs.truncateSync(optimizer, fs.statSync(optimizer).size - 3);
    const encoder = path.join(root, 'step-00000020', 'encoder', 'model.safetensors');
    fs.truncateSync(encoder, 5);
    const { checkpoint, skipped } = newestIntactCheckpoint(store);
    expect(checkpoint).toEqual({ step: 10, dir: path.join(root, 'step-00000010') });
    expect(skipped.map((s) => [s.step, s.reason])).toEqual([
      [30, expect.stringContaining(optimizer)],
      [20, expect.stringContaining(`${encoder}: file has 5 bytes, too short for a safetensors header`)],
    ]);
    // A state file that is not JSON, a queue that is not JSON:
    fs.writeFileSync(path.join(root, 'step-00000010', 'queue.json'), '{"keys":');
    expect(checkpointProblem(path.join(root, 'step-00000010'))).toMatch(/queue\.json: cannot read queue\.json/);
    fs.writeFileSync(path.join(root, 'step-00000010', STATE_FILE), 'nope');
    expect(checkpointProblem(path.join(root, 'step-00000010'))).toMatch(/cannot read the trainer state/);
    for (const ref of skipped) store.setAside(ref);
    expect(fs.readdirSync(root).sort()).toEqual(['step-00000010', 'step-00000020.corrupt', 'step-00000030.corrupt']);
    expect(store.latest()?.step).toBe(10);
  });
});
