import * as tf from '@tensorflow/tfjs-core';
import { CarlError, type VA } from '@carl/core';
import { decodeFloat32, encodeFloat32 } from './base64';

/** Options of {@link LabeledQueue}. */
export interface LabeledQueueOptions {
  /** Most keys held; older ones are evicted first. MoCo uses 65,536 for ImageNet; 1k–16k suits 10–30k sentences. */
  readonly capacity: number;
  /** Embedding dimension of the keys. */
  readonly dim: number;
}

/** The queue's filled entries, oldest first. */
export interface QueueSnapshot {
  /** `[size, dim]` float32; the caller disposes it. */
  readonly keys: tf.Tensor2D;
  readonly labels: readonly VA[];
  readonly ids: readonly string[];
}

/** Options of {@link LabeledQueue.snapshot}. */
export interface SnapshotOptions {
  /**
   * Leave out entries with these sentence ids, typically the current batch's: their fresh keys are
   * already in-batch candidates, so stale queue copies would make a sentence its own negative.
   */
  readonly excludeIds?: Iterable<string>;
}

/**
 * A queue as plain JSON, for checkpoints: keys are the float32 values, oldest entry first, as base64 of
 * their little-endian bytes (exact, and about a third the size of a number array).
 */
export interface LabeledQueueState {
  readonly format: 'carl.labeled-queue';
  readonly version: 1;
  readonly capacity: number;
  readonly dim: number;
  readonly size: number;
  readonly keys: string;
  readonly labels: readonly VA[];
  readonly ids: readonly string[];
}

function checkSize(value: number, field: string, code: 'INVALID_ARGUMENT' | 'INVALID_CHECKPOINT'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new CarlError(code, `must be a positive integer, got ${String(value)}`, { field });
  }
  return value;
}

function checkLabel(label: unknown, field: string, code: 'INVALID_ARGUMENT' | 'INVALID_CHECKPOINT'): VA {
  if (typeof label !== 'object' || label === null) throw new CarlError(code, 'a label must be a VA object', { field });
  const { valence, arousal, dominance } = label as Partial<Record<keyof VA, unknown>>;
  const axes: Array<[string, unknown]> = [['valence', valence], ['arousal', arousal]];
  if (dominance !== undefined) axes.push(['dominance', dominance]);
  for (const [axis, value] of axes) {
    // VA lives in [−1, 1]; a value outside usually means a raw 1–5 or 1–9 rating that was never mapped.
    if (typeof value !== 'number' || !Number.isFinite(value) || value < -1 - 1e-9 || value > 1 + 1e-9) {
      throw new CarlError(code, `${axis} must be a finite number in [-1, 1], got ${String(value)}`, { field: `${field}.${axis}` });
    }
  }
  return dominance === undefined
    ? { valence: valence as number, arousal: arousal as number }
    : { valence: valence as number, arousal: arousal as number, dominance: dominance as number };
}

/**
 * A FIFO ring queue of key embeddings with their VA labels and sentence ids, the memory bank of
 * momentum contrastive learning. It holds exactly `capacity × dim` float32 values (plus the labels
 * and ids) in one preallocated JS buffer and no tensors, so it cannot leak; `snapshot()` hands out a
 * fresh tensor of the filled entries. Any batch size works: ragged last batches, and batches larger
 * than the queue (only the newest `capacity` rows are kept). While it warms up only filled slots count.
 *
 * @example
 * ```ts
 * const queue = new LabeledQueue({ capacity: 4096, dim: 128 });
 * const { keys, labels, ids } = queue.snapshot({ excludeIds: batchIds });
 * // … loss against [batch keys; keys] with labels …
 * keys.dispose();
 * queue.enqueue(batchKeys, batchLabels, batchIds);
 * ```
 */
export class LabeledQueue {
  readonly capacity: number;
  readonly dim: number;
  private buffer: Float32Array;
  private readonly labels: (VA | undefined)[];
  private readonly ids: (string | undefined)[];
  /** Slot the next key goes to. */
  private head = 0;
  private filled = 0;
  private disposed = false;

  /**
   * @param options capacity (keys held) and dim (key dimension).
   * @example
   * ```ts
   * const queue = new LabeledQueue({ capacity: 1024, dim: 256 });
   * ```
   */
  constructor(options: LabeledQueueOptions) {
    this.capacity = checkSize(options.capacity, 'capacity', 'INVALID_ARGUMENT');
    this.dim = checkSize(options.dim, 'dim', 'INVALID_ARGUMENT');
    this.buffer = new Float32Array(this.capacity * this.dim);
    this.labels = new Array<VA | undefined>(this.capacity).fill(undefined);
    this.ids = new Array<string | undefined>(this.capacity).fill(undefined);
  }

  /** Entries currently held (grows to `capacity` while the queue warms up). */
  get size(): number {
    return this.filled;
  }

  /** Whether every slot holds a key. */
  get isFull(): boolean {
    return this.filled === this.capacity;
  }

  /**
   * Appends a batch of keys (copied out of the tensor, which stays the caller's), evicting the oldest
   * entries once full. Keys with NaN or infinite values are refused so one bad step cannot poison
   * every later loss.
   *
   * @param keys `[batch, dim]` float32, e.g. the target encoder's embeddings.
   * @param labels one VA label per key (values in [−1, 1]).
   * @param ids one sentence id per key.
   * @example
   * ```ts
   * queue.enqueue(targetKeys, [va(0.6, 0.2), va(-0.4, 0.7)], ['eb-17', 'eb-942']);
   * ```
   */
  enqueue(keys: tf.Tensor2D, labels: readonly VA[], ids: readonly string[]): void {
    this.checkAlive();
    if (!(keys instanceof tf.Tensor) || keys.rank !== 2 || keys.shape[1] !== this.dim) {
      const shape = keys instanceof tf.Tensor ? `[${keys.shape.join(', ')}]` : typeof keys;
      throw new CarlError('SHAPE_MISMATCH', `keys must be [batch, ${this.dim}], got ${shape}`, { field: 'keys' });
    }
    if (keys.dtype !== 'float32') throw new CarlError('INVALID_ARGUMENT', `keys must be float32, got ${keys.dtype}`, { field: 'keys' });
    const rows = keys.shape[0];
    if (!Array.isArray(labels) || labels.length !== rows) {
      throw new CarlError('SHAPE_MISMATCH', `${Array.isArray(labels) ? labels.length : 'no'} labels for ${rows} keys`, { field: 'labels' });
    }
    if (!Array.isArray(ids) || ids.length !== rows) {
      throw new CarlError('SHAPE_MISMATCH', `${Array.isArray(ids) ? ids.length : 'no'} ids for ${rows} keys`, { field: 'ids' });
    }
    const checkedLabels = labels.map((label, i) => checkLabel(label, `labels[${i}]`, 'INVALID_ARGUMENT'));
    ids.forEach((id, i) => {
      if (typeof id !== 'string') throw new CarlError('INVALID_ARGUMENT', `id must be a string, got ${typeof id}`, { field: `ids[${i}]` });
    });
    const values = keys.dataSync() as Float32Array;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new CarlError('NUMERIC_INSTABILITY', `key value ${values[i]} is not finite; nothing was enqueued`, { field: `keys[${Math.floor(i / this.dim)}]` });
      }
    }
    // Rows that would be overwritten within this same call are skipped: keep the newest `capacity`.
    for (let row = Math.max(0, rows - this.capacity); row < rows; row++) {
      this.write(values.subarray(row * this.dim, (row + 1) * this.dim), checkedLabels[row] as VA, ids[row] as string);
    }
  }

  /**
   * The filled entries, oldest first, as a new `[size, dim]` tensor (yours to dispose) with labels and
   * ids in the same order. An empty queue gives a `[0, dim]` tensor.
   *
   * @example
   * ```ts
   * const snap = queue.snapshot();
   * try { use(snap.keys, snap.labels); } finally { snap.keys.dispose(); }
   * ```
   */
  snapshot(options: SnapshotOptions = {}): QueueSnapshot {
    this.checkAlive();
    const exclude = options.excludeIds === undefined ? undefined : new Set(options.excludeIds);
    const slots: number[] = [];
    const oldest = (this.head - this.filled + this.capacity) % this.capacity;
    for (let i = 0; i < this.filled; i++) {
      const slot = (oldest + i) % this.capacity;
      if (exclude === undefined || !exclude.has(this.ids[slot] as string)) slots.push(slot);
    }
    const data = new Float32Array(slots.length * this.dim);
    slots.forEach((slot, i) => data.set(this.buffer.subarray(slot * this.dim, (slot + 1) * this.dim), i * this.dim));
    return {
      keys: tf.tensor2d(data, [slots.length, this.dim], 'float32'),
      labels: slots.map((slot) => this.labels[slot] as VA),
      ids: slots.map((slot) => this.ids[slot] as string),
    };
  }

  /**
   * Empties the queue (capacity and memory stay).
   * @example
   * ```ts
   * queue.clear(); // e.g. after changing the encoder's projection head
   * ```
   */
  clear(): void {
    this.checkAlive();
    this.head = 0;
    this.filled = 0;
    this.labels.fill(undefined);
    this.ids.fill(undefined);
  }

  /**
   * The queue as JSON-ready data for a checkpoint (see {@link LabeledQueueState}).
   * @example
   * ```ts
   * fs.writeFileSync('queue.json', JSON.stringify(queue));
   * ```
   */
  toJSON(): LabeledQueueState {
    this.checkAlive();
    const oldest = (this.head - this.filled + this.capacity) % this.capacity;
    const ordered = new Float32Array(this.filled * this.dim);
    const labels: VA[] = [];
    const ids: string[] = [];
    for (let i = 0; i < this.filled; i++) {
      const slot = (oldest + i) % this.capacity;
      ordered.set(this.buffer.subarray(slot * this.dim, (slot + 1) * this.dim), i * this.dim);
      labels.push(this.labels[slot] as VA);
      ids.push(this.ids[slot] as string);
    }
    return { format: 'carl.labeled-queue', version: 1, capacity: this.capacity, dim: this.dim, size: this.filled, keys: encodeFloat32(ordered), labels, ids };
  }

  /**
   * Restores a queue saved by {@link toJSON}, bit for bit. With a different `capacity` (e.g. a resumed
   * run with a larger or smaller queue) the newest entries that fit are kept.
   * Throws `INVALID_CHECKPOINT` naming the bad field.
   *
   * @example
   * ```ts
   * const queue = LabeledQueue.fromJSON(JSON.parse(fs.readFileSync('queue.json', 'utf8')));
   * ```
   */
  static fromJSON(state: unknown, options: { readonly capacity?: number } = {}): LabeledQueue {
    if (typeof state !== 'object' || state === null) throw new CarlError('INVALID_CHECKPOINT', 'queue state must be an object', { field: 'queue' });
    const s = state as Partial<Record<keyof LabeledQueueState, unknown>>;
    if (s.format !== 'carl.labeled-queue') throw new CarlError('INVALID_CHECKPOINT', `unknown format ${String(s.format)}`, { field: 'format' });
    if (s.version !== 1) throw new CarlError('INVALID_CHECKPOINT', `unsupported version ${String(s.version)}`, { field: 'version' });
    const savedCapacity = checkSize(s.capacity as number, 'capacity', 'INVALID_CHECKPOINT');
    const dim = checkSize(s.dim as number, 'dim', 'INVALID_CHECKPOINT');
    const size = s.size as number;
    if (!Number.isInteger(size) || size < 0 || size > savedCapacity) {
      throw new CarlError('INVALID_CHECKPOINT', `size ${String(size)} is not in [0, ${savedCapacity}]`, { field: 'size' });
    }
    const keys = decodeFloat32(s.keys as string, 'keys');
    if (keys.length !== size * dim) throw new CarlError('INVALID_CHECKPOINT', `${keys.length} key values for ${size} × ${dim}`, { field: 'keys' });
    if (!keys.every(Number.isFinite)) throw new CarlError('INVALID_CHECKPOINT', 'keys contain NaN or infinite values', { field: 'keys' });
    if (!Array.isArray(s.labels) || s.labels.length !== size) throw new CarlError('INVALID_CHECKPOINT', `expected ${size} labels`, { field: 'labels' });
    if (!Array.isArray(s.ids) || s.ids.length !== size) throw new CarlError('INVALID_CHECKPOINT', `expected ${size} ids`, { field: 'ids' });
    const labels = (s.labels as unknown[]).map((label, i) => checkLabel(label, `labels[${i}]`, 'INVALID_CHECKPOINT'));
    (s.ids as unknown[]).forEach((id, i) => {
      if (typeof id !== 'string') throw new CarlError('INVALID_CHECKPOINT', 'id must be a string', { field: `ids[${i}]` });
    });
    const queue = new LabeledQueue({ capacity: options.capacity ?? savedCapacity, dim });
    for (let row = Math.max(0, size - queue.capacity); row < size; row++) {
      queue.write(keys.subarray(row * dim, (row + 1) * dim), labels[row] as VA, s.ids[row] as string);
    }
    return queue;
  }

  /**
   * Releases the key buffer; any later call throws.
   * @example
   * ```ts
   * queue.dispose();
   * ```
   */
  dispose(): void {
    this.disposed = true;
    this.buffer = new Float32Array(0);
    this.labels.length = 0;
    this.ids.length = 0;
  }

  private write(key: Float32Array, label: VA, id: string): void {
    this.buffer.set(key, this.head * this.dim);
    this.labels[this.head] = label;
    this.ids[this.head] = id;
    this.head = (this.head + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
  }

  private checkAlive(): void {
    if (this.disposed) throw new CarlError('INVALID_ARGUMENT', 'this LabeledQueue was disposed', { field: 'LabeledQueue' });
  }
}
