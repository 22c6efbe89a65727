import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, isCarlError, type Encoder } from '@carl/core';
import { fitRidge } from '@carl/eval-benchmarks';
import { createToyEncoder } from '@carl/core/testing';
import { AFFECT_SAMPLE, SAMPLE_WORDS } from './__fixtures__/affect-sample';
import type { TrainConfig } from './config';
import { variablesStore } from './encoder-store';
import { MODEL_INFO_FILE, loadCarlModel } from './model';
import { refitVAHead } from './refit';
import { LOCK_FILE, RUN_FILE } from './run-dir';
import { trainCarl, type TrainOptions, type TrainResult } from './train';

// Spies go on the module object itself (`import * as` gives each file its own namespace copy).
const nodeFs = require('node:fs') as typeof fs;

const toy = (seed = 3): Encoder => createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 16, seed, dropout: 0.1 });
const base: Partial<TrainConfig> = {
  backend: 'cpu',
  method: 'carl',
  batchSize: 8,
  steps: 6,
  queueSize: 16,
  projectionDim: 8,
  learningRate: 1e-2,
  logEvery: 1,
  checkpointEvery: 2,
  maxLength: 16,
  seed: 5,
};

describe('run folder: resume, corrupt checkpoints, lock, filesystem errors, head refit', () => {
  const dirs: string[] = [];
  const out = (): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-run-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  afterEach(() => jest.restoreAllMocks());

  async function run(config: Partial<TrainConfig>, options: Partial<TrainOptions> & { out: string }, seed = 3): Promise<TrainResult> {
    const encoder = toy(seed);
    try {
      return await trainCarl(config, { data: AFFECT_SAMPLE, encoder, encoderStore: variablesStore(encoder), saveModel: false, ...options });
    } finally {
      encoder.dispose();
    }
  }
  const killAt = (step: number) => (r: { step: number }) => {
    if (r.step === step) throw new Error('killed');
  };

  let reference: TrainResult;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' });
    reference = await run(base, { out: out() });
  });

  it('resumes a run killed before its first checkpoint with the configuration in run.json', async () => {
    const dir = out();
    await expect(run({ ...base, checkpointEvery: 0 }, { out: dir, onStep: killAt(2) })).rejects.toThrow('killed');
    expect(fs.readdirSync(dir).sort()).toEqual([RUN_FILE]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, RUN_FILE), 'utf8'))).toMatchObject({ format: 'carl-run', config: { steps: 6, seed: 5 }, data: { source: 'rows', corpora: [{}, {}] } });
    // Nothing but the backend given: steps, seed, method … come from run.json, not the defaults. (A
    // caller-built encoder is constructed as before: with no checkpoint its start is not on disk.)
    const resumed = await run({ backend: 'cpu' }, { out: dir, resume: true });
    expect(resumed.config.steps).toBe(6);
    expect(resumed.history.map((h) => h.loss)).toEqual(reference.history.map((h) => h.loss));
    // A plain start into it is refused, naming the run file.
    await expect(run(base, { out: out() })).resolves.toBeDefined();
    const fresh = out();
    await expect(run({ ...base, checkpointEvery: 0 }, { out: fresh, onStep: killAt(1) })).rejects.toThrow('killed');
    await expect(run(base, { out: fresh })).rejects.toThrow(/already holds a training run \(run\.json\); use --resume/);
  }, 60_000);

  it('refuses --resume where there is no run instead of starting a fresh one', async () => {
    const empty = out();
    const noRun = await run(base, { out: empty, resume: true }).catch((e: unknown) => e);
    expect(isCarlError(noRun, 'NOT_FOUND')).toBe(true);
    expect((noRun as Error).message).toBe(`${empty}: nothing to resume: the folder holds no run (no run.json or checkpoint); start the run without --resume (add --force to replace what is there)`);
    expect(fs.readdirSync(empty)).toEqual([]);
    const missing = path.join(empty, 'nowhere');
    expect(isCarlError(await run(base, { out: missing, resume: true }).catch((e: unknown) => e), 'NOT_FOUND')).toBe(true);
    expect(fs.existsSync(missing)).toBe(false);
  }, 60_000);

  it.each([
    ['a truncated optimizer.safetensors', 'optimizer.safetensors', (file: string) => fs.truncateSync(file, fs.statSync(file).size - 7), /optimizer\.safetensors.*(truncated|past the end|bytes)/],
    ['an unreadable queue.json', 'queue.json', (file: string) => fs.writeFileSync(file, '{"keys": [1, 2'), /queue\.json: cannot read queue\.json/],
  ])('falls back from a newest checkpoint with %s to the newest intact one and says so', async (_what, name, damage, reason) => {
    const dir = out();
    await expect(run(base, { out: dir, onStep: killAt(5) })).rejects.toThrow('killed');
    const newest = path.join(dir, 'checkpoints', 'step-00000004');
    damage(path.join(newest, name));
    const events: Array<[string, Readonly<Record<string, unknown>>]> = [];
    const progress = () => ({ update: () => undefined, event: (e: string, f: Readonly<Record<string, unknown>> = {}) => void events.push([e, f]), finish: () => undefined });
    const resumed = await run(base, { out: dir, resume: true, progress }, 999);
    expect(resumed.skippedCheckpoints.map((s) => s.step)).toEqual([4]);
    expect(resumed.skippedCheckpoints[0]?.reason).toMatch(reason);
    expect(events[0]).toEqual(['checkpoint-skipped', { dir: `${newest}.corrupt`, step: 4, reason: resumed.skippedCheckpoints[0]?.reason }]);
    expect(events[1]).toEqual(['resumed', { dir: path.join(dir, 'checkpoints', 'step-00000002'), step: 2 }]);
    // Steps 3–6 are redone from step 2: the same result as a run never interrupted.
    expect(resumed.history.map((h) => h.loss)).toEqual(reference.history.map((h) => h.loss));
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(['LATEST', 'step-00000004', 'step-00000004.corrupt', 'step-00000006']);
  }, 60_000);

  it('refuses a second trainer in the same folder, and takes over a stale lock', async () => {
    const dir = out();
    const live = { pid: process.ppid, hostname: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z' };
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(live));
    const refused = await run(base, { out: dir }).catch((e: unknown) => e);
    expect(isCarlError(refused, 'RUN_LOCKED')).toBe(true);
    expect((refused as Error).message).toContain(`another trainer is using this run folder: process ${process.ppid} on ${os.hostname()}`);
    expect(fs.readdirSync(dir)).toEqual([LOCK_FILE]);
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify({ ...live, pid: 2 ** 22 + 4321 }));
    const result = await run({ ...base, steps: 2 }, { out: dir });
    expect(result.status).toBe('completed');
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  }, 60_000);

  it('reports a full disk while checkpointing as a typed error and keeps the previous checkpoint', async () => {
    const dir = out();
    let full = false;
    const realFsync = nodeFs.fsyncSync;
    jest.spyOn(nodeFs, 'fsyncSync').mockImplementation((fd) => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, fsync'), { code: 'ENOSPC' });
      realFsync(fd);
    });
    const error = await run(base, { out: dir, onStep: (r) => (full = r.step >= 3) }).catch((e: unknown) => e);
    expect(isCarlError(error, 'FILESYSTEM')).toBe(true);
    expect((error as Error).message).toBe(
      `${path.join(dir, 'checkpoints', 'step-00000004')}: cannot write (ENOSPC): the disk is full; free space on the filesystem of ${path.join(dir, 'checkpoints', 'step-00000004')} (or choose another --out), then run again`,
    );
    jest.restoreAllMocks();
    expect(fs.readdirSync(path.join(dir, 'checkpoints')).sort()).toEqual(['LATEST', 'step-00000002']);
    const resumed = await run(base, { out: dir, resume: true });
    expect(resumed.history.map((h) => h.loss)).toEqual(reference.history.map((h) => h.loss));
  }, 60_000);

  it('records the queue fill per step and the peak tensor bytes of the run', () => {
    // Empty, one batch, full (later steps leave out stale copies of their own sentences).
    expect(reference.history.slice(0, 3).map((h) => h.queueSize)).toEqual([0, 8, 16]);
    expect(reference.history.every((h) => Number.isInteger(h.queueSize))).toBe(true);
    // The queue-independent figure: MCCL minus the entropy of its targets, between 0 and the raw MCCL.
    for (const h of reference.history) {
      expect(h.mcclKL).toBeGreaterThanOrEqual(0);
      expect(h.mcclKL).toBeLessThanOrEqual((h.parts['mccl'] as number) + 1e-6);
    }
    // At least the toy encoder's variables (held throughout) and more during steps.
    expect(reference.memory.peakTensorBytes).toBeGreaterThan(SAMPLE_WORDS.length * 16 * 4);
    expect(reference.memory.wasmHeapBytes).toBeUndefined(); // cpu backend
  });

  it('fits a head after a run with learning rate 1 and no clipping, where a plain ridge fit fails', async () => {
    const dir = out();
    // The tiny transformer with a fresh vocabulary, as `carl train --learning-rate 1 --clip-norm 0` trains it.
    const wild = await trainCarl(
      { method: 'carl', preset: 'tiny', vocabSize: 200, steps: 30, batchSize: 8, learningRate: 1, clipNorm: 0, backend: 'wasm', maxLength: 16, queueSize: 16, seed: 42 },
      { out: dir, data: AFFECT_SAMPLE },
    );
    expect(wild.modelDir).toBe(path.join(dir, 'model'));
    expect(wild.vaHead?.weights.flat().every(Number.isFinite)).toBe(true);
    const model = await loadCarlModel(wild.modelDir as string);
    try {
      // The fault this reproduces: ridge on these embeddings straight away finds no positive definite system.
      const x = model.embed(AFFECT_SAMPLE.map((r) => r.text));
      expect(() => fitRidge(x, AFFECT_SAMPLE.map((r) => [r.va?.valence ?? 0, r.va?.arousal ?? 0]), { seed: 42 })).toThrow(/not positive definite/);
      expect(model.predictVA(['what a wonderful surprise party'])[0]?.valence).toBeGreaterThanOrEqual(-1);
    } finally {
      model.dispose();
      await initBackend({ backend: 'cpu' });
    }
  }, 120_000);

  it('refits the head of a finished run with another penalty', async () => {
    const dir = out();
    const encoder = toy();
    try {
      await trainCarl({ ...base, steps: 4 }, { out: dir, data: AFFECT_SAMPLE, encoder, encoderStore: variablesStore(encoder) });
      const refit = await refitVAHead(dir, { data: AFFECT_SAMPLE, encoder, ridgeAlpha: 10 });
      expect(refit.encoderFrom).toBe('model');
      expect(refit.vaHead.alpha).toEqual([10, 10]);
      const info = JSON.parse(fs.readFileSync(path.join(dir, 'model', MODEL_INFO_FILE), 'utf8')) as { vaHead: { alpha: number[] }; training: { ridgeAlpha: number; steps: number } };
      expect(info.vaHead.alpha).toEqual([10, 10]);
      expect(info.training).toMatchObject({ ridgeAlpha: 10, steps: 4 });
    } finally {
      encoder.dispose();
    }
  }, 60_000);

  it('refits the head of a run that has checkpoints but no model, from its newest checkpoint', async () => {
    const dir = out();
    await expect(run(base, { out: dir, onStep: killAt(5) })).rejects.toThrow('killed');
    const encoder = toy(999);
    try {
      const stages: string[] = [];
      const refit = await refitVAHead(dir, { data: AFFECT_SAMPLE, encoder, onProgress: (e) => stages.push(e.stage) });
      expect(refit.encoderFrom).toEqual({ step: 4, dir: path.join(dir, 'checkpoints', 'step-00000004') });
      expect(stages).toEqual(['encoder', 'embed', 'fit', 'model']);
      expect(refit.vaHead.trainedOn).toBe(AFFECT_SAMPLE.length);
      const info = JSON.parse(fs.readFileSync(path.join(dir, 'model', MODEL_INFO_FILE), 'utf8')) as { training: { steps: number; totalSteps: number } };
      expect(info.training).toMatchObject({ steps: 4, totalSteps: 6 });
      // The rows must be the training rows.
      const other = await refitVAHead(dir, { data: AFFECT_SAMPLE.slice(1), encoder }).catch((e: unknown) => e);
      expect(isCarlError(other, 'INVALID_DATA')).toBe(true);
      const none = await refitVAHead(dir, { encoder }).catch((e: unknown) => e);
      expect((none as Error).message).toMatch(/trained on rows passed in .*; pass the same rows/);
    } finally {
      encoder.dispose();
    }
  }, 60_000);
});
