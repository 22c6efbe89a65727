import * as tf from '@tensorflow/tfjs-core';
import { Random, isCarlError, va, type VA } from '@carl/core';
import { describeWithBackends } from '@carl/core/testing';
import { LabeledQueue } from './index';

function carlError(fn: () => unknown): { code: string; field: string | undefined } {
  try {
    fn();
  } catch (e) {
    if (isCarlError(e)) return { code: e.code, field: e.location.field };
    throw e;
  }
  throw new Error('expected a CarlError');
}

interface Entry {
  key: number[];
  label: VA;
  id: string;
}

/** A batch of `rows` distinct entries numbered from `start`. */
function batch(start: number, rows: number, dim: number): Entry[] {
  return Array.from({ length: rows }, (_, r) => ({
    key: Array.from({ length: dim }, (_, d) => start + r + d / 10),
    label: va(((start + r) % 20) / 10 - 1, -(((start + r) % 7) / 7)),
    id: `s${start + r}`,
  }));
}

function push(queue: LabeledQueue, entries: Entry[], dim: number): void {
  const keys = tf.tensor2d(entries.flatMap((e) => e.key), [entries.length, dim]);
  queue.enqueue(keys, entries.map((e) => e.label), entries.map((e) => e.id));
  keys.dispose();
}

function expectSnapshot(queue: LabeledQueue, expected: Entry[]): void {
  const snap = queue.snapshot();
  expect(snap.keys.shape).toEqual([expected.length, queue.dim]);
  expect(Array.from(snap.keys.dataSync())).toEqual(Array.from(Float32Array.from(expected.flatMap((e) => e.key))));
  expect(snap.labels).toEqual(expected.map((e) => e.label));
  expect(snap.ids).toEqual(expected.map((e) => e.id));
  snap.keys.dispose();
}

describeWithBackends('LabeledQueue', () => {
  it('counts only filled slots while warming up and keeps FIFO order (oldest first)', () => {
    const queue = new LabeledQueue({ capacity: 5, dim: 3 });
    expect([queue.size, queue.isFull]).toEqual([0, false]);
    expectSnapshot(queue, []);
    const a = batch(0, 2, 3);
    push(queue, a, 3);
    expect(queue.size).toBe(2);
    expectSnapshot(queue, a);
    const b = batch(10, 3, 3);
    push(queue, b, 3);
    expect([queue.size, queue.isFull]).toEqual([5, true]);
    expectSnapshot(queue, [...a, ...b]);
    const c = batch(20, 2, 3); // wraps: evicts the two oldest
    push(queue, c, 3);
    expectSnapshot(queue, [...b, ...c]);
  });

  it('keeps the newest `capacity` rows of a batch larger than the queue, and ignores an empty batch', () => {
    const queue = new LabeledQueue({ capacity: 4, dim: 2 });
    push(queue, batch(0, 1, 2), 2);
    const big = batch(100, 7, 2);
    push(queue, big, 2);
    expectSnapshot(queue, big.slice(-4));
    queue.enqueue(tf.zeros([0, 2]) as tf.Tensor2D, [], []);
    expectSnapshot(queue, big.slice(-4));
  });

  it('matches a plain array model over 200 ragged batches', () => {
    const rng = new Random(99);
    const queue = new LabeledQueue({ capacity: 7, dim: 2 });
    let model: Entry[] = [];
    let next = 0;
    for (let step = 0; step < 200; step++) {
      const entries = batch(next, rng.int(10), 2);
      next += entries.length;
      push(queue, entries, 2);
      model = [...model, ...entries].slice(-7);
      expect(queue.size).toBe(model.length);
      if (step % 17 === 0) expectSnapshot(queue, model);
    }
    expectSnapshot(queue, model);
  });

  it('leaves out the current batch ids on request (no sentence as its own negative)', () => {
    const queue = new LabeledQueue({ capacity: 6, dim: 2 });
    const entries = batch(0, 5, 2);
    push(queue, entries, 2);
    push(queue, batch(2, 1, 2), 2); // a second copy of s2
    const snap = queue.snapshot({ excludeIds: ['s2', 's4', 'absent'] });
    expect(snap.ids).toEqual(['s0', 's1', 's3']);
    expect(Array.from(snap.keys.dataSync())).toEqual(Array.from(Float32Array.from([0, 0.1, 1, 1.1, 3, 3.1])));
    snap.keys.dispose();
    const none = queue.snapshot({ excludeIds: ['s0', 's1', 's2', 's3', 's4'] });
    expect(none.keys.shape).toEqual([0, 2]);
    none.keys.dispose();
  });

  it('keeps tf.memory() flat and its own memory at capacity × dim over many steps; the input tensor stays the caller\'s', () => {
    const queue = new LabeledQueue({ capacity: 64, dim: 8 });
    const keys = tf.randomNormal([10, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
    const labels = Array.from({ length: 10 }, () => va(0.1, 0.2));
    const start = tf.memory().numTensors;
    for (let step = 0; step < 300; step++) {
      queue.enqueue(keys, labels, labels.map((_, i) => `b${step}-${i}`));
      const snap = queue.snapshot();
      snap.keys.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
    expect(keys.isDisposed).toBe(false);
    expect((queue as unknown as { buffer: Float32Array }).buffer.length).toBe(64 * 8);
    expect(queue.size).toBe(64);
    keys.dispose();
  });

  it('refuses bad batches without changing the queue', () => {
    const queue = new LabeledQueue({ capacity: 4, dim: 2 });
    const good = tf.tensor2d([[1, 2], [3, 4]]);
    expect(carlError(() => queue.enqueue(tf.zeros([2, 3]) as tf.Tensor2D, [va(0, 0), va(0, 0)], ['a', 'b']))).toEqual({ code: 'SHAPE_MISMATCH', field: 'keys' });
    expect(carlError(() => queue.enqueue(good, [va(0, 0)], ['a', 'b']))).toEqual({ code: 'SHAPE_MISMATCH', field: 'labels' });
    expect(carlError(() => queue.enqueue(good, [va(0, 0), va(0, 0)], ['a']))).toEqual({ code: 'SHAPE_MISMATCH', field: 'ids' });
    expect(carlError(() => queue.enqueue(good, [va(0, 0), { valence: 4, arousal: 0 }], ['a', 'b']))).toEqual({ code: 'INVALID_ARGUMENT', field: 'labels[1].valence' });
    expect(carlError(() => queue.enqueue(good, [va(0, 0), va(0, 0)], ['a', 7 as unknown as string]))).toEqual({ code: 'INVALID_ARGUMENT', field: 'ids[1]' });
    expect(carlError(() => queue.enqueue(tf.tensor2d([[1, 2], [Number.NaN, 0]]), [va(0, 0), va(0, 0)], ['a', 'b']))).toEqual({
      code: 'NUMERIC_INSTABILITY',
      field: 'keys[1]',
    });
    expect(carlError(() => queue.enqueue(tf.tensor2d([[1, 2]], [1, 2], 'int32'), [va(0, 0)], ['a']))).toEqual({ code: 'INVALID_ARGUMENT', field: 'keys' });
    expect(queue.size).toBe(0);
    expect(carlError(() => new LabeledQueue({ capacity: 0, dim: 2 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'capacity' });
    expect(carlError(() => new LabeledQueue({ capacity: 2, dim: 1.5 }))).toEqual({ code: 'INVALID_ARGUMENT', field: 'dim' });
    good.dispose();
  });

  it('round-trips through JSON bit for bit, after wrapping, and resizes on restore', () => {
    const queue = new LabeledQueue({ capacity: 5, dim: 3 });
    const special = [
      { key: [-0, 1e-40, 3.4e38], label: va(1, -1, 0.5), id: 'special' },
      { key: [Math.PI, -Math.E, 1 / 3], label: va(0.25, 0.75), id: 'π' },
    ];
    push(queue, batch(0, 4, 3), 3);
    push(queue, special, 3);
    const expected = [...batch(0, 4, 3), ...special].slice(-5);
    const restored = LabeledQueue.fromJSON(JSON.parse(JSON.stringify(queue)));
    expect([restored.capacity, restored.dim, restored.size]).toEqual([5, 3, 5]);
    const a = queue.snapshot();
    const b = restored.snapshot();
    expect(new Uint8Array(b.keys.dataSync().buffer.slice(0))).toEqual(new Uint8Array(a.keys.dataSync().buffer.slice(0)));
    expect(Object.is(b.keys.dataSync()[9], -0)).toBe(true);
    expect(b.labels).toEqual(expected.map((e) => e.label));
    expect(b.ids).toEqual(expected.map((e) => e.id));
    tf.dispose([a.keys, b.keys]);
    // Further enqueues continue FIFO from the restored order.
    push(restored, batch(50, 1, 3), 3);
    expect(restored.snapshot().ids).toEqual([...expected.slice(1).map((e) => e.id), 's50']);

    const smaller = LabeledQueue.fromJSON(queue.toJSON(), { capacity: 2 });
    expect(smaller.snapshot().ids).toEqual(['special', 'π']);
    const larger = LabeledQueue.fromJSON(queue.toJSON(), { capacity: 9 });
    expect([larger.size, larger.capacity, larger.isFull]).toEqual([5, 9, false]);
  });

  it('stores keys as base64 of little-endian float32, readable without this library', () => {
    const queue = new LabeledQueue({ capacity: 2, dim: 2 });
    push(queue, [{ key: [1.5, -2], label: va(0, 0), id: 'x' }], 2);
    const state = queue.toJSON();
    const bytes = Buffer.from(state.keys, 'base64');
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([1.5, -2]);
    expect(state).toMatchObject({ format: 'carl.labeled-queue', version: 1, capacity: 2, dim: 2, size: 1, ids: ['x'] });
    // And text written by another tool (Node's Buffer) reads back.
    const foreign = Buffer.alloc(12);
    [0.5, 7, -1e-3].forEach((v, i) => foreign.writeFloatLE(v, i * 4));
    const restored = LabeledQueue.fromJSON({ ...state, dim: 3, size: 1, keys: foreign.toString('base64') });
    expect(Array.from(restored.snapshot().keys.dataSync())).toEqual(Array.from(Float32Array.from([0.5, 7, -1e-3])));
  });

  it('names the bad field of a broken checkpoint', () => {
    const queue = new LabeledQueue({ capacity: 3, dim: 2 });
    push(queue, batch(0, 2, 2), 2);
    const state = queue.toJSON();
    const broken = (patch: Record<string, unknown>): { code: string; field: string | undefined } => carlError(() => LabeledQueue.fromJSON({ ...state, ...patch }));
    expect(carlError(() => LabeledQueue.fromJSON(null))).toEqual({ code: 'INVALID_CHECKPOINT', field: 'queue' });
    expect(broken({ format: 'other' })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'format' });
    expect(broken({ version: 2 })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'version' });
    expect(broken({ size: 4 })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'size' });
    expect(broken({ size: 1 })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'keys' });
    expect(broken({ keys: 'abc' })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'keys' });
    expect(broken({ keys: `${state.keys.slice(0, -4)}!!!!` })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'keys' });
    expect(broken({ labels: [va(0, 0)] })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'labels' });
    expect(broken({ labels: [va(0, 0), { valence: 0, arousal: 'high' }] })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'labels[1].arousal' });
    expect(broken({ ids: ['a', null] })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'ids[1]' });
    expect(broken({ capacity: -1 })).toEqual({ code: 'INVALID_CHECKPOINT', field: 'capacity' });
  });

  it('can be cleared and refuses use after dispose', () => {
    const queue = new LabeledQueue({ capacity: 3, dim: 1 });
    push(queue, batch(0, 3, 1), 1);
    queue.clear();
    expect(queue.size).toBe(0);
    expectSnapshot(queue, []);
    push(queue, batch(7, 1, 1), 1);
    expectSnapshot(queue, batch(7, 1, 1));
    queue.dispose();
    expect(carlError(() => queue.snapshot())).toEqual({ code: 'INVALID_ARGUMENT', field: 'LabeledQueue' });
  });
});
