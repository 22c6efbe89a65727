import { CarlError, Random } from '@carl/core';

/** Options of {@link lengthBucketedBatches}. */
export interface BucketOptions {
  readonly batchSize: number;
  /** Batches per sorted pool; 1 = plain random batches. */
  readonly bucketPool: number;
  /** Drop the ragged last batch instead of keeping it. */
  readonly dropLast: boolean;
  readonly seed: number;
}

/**
 * Splits items into batches of similar length, randomly: shuffle, cut into pools of
 * `batchSize·bucketPool` items, sort each pool by length, cut it into batches, shuffle the batches.
 * Padding shrinks (a batch is as long as its longest text) while each batch stays a random draw.
 *
 * At most one batch is ragged (the last of the last pool). It is kept unless `dropLast`; a ragged
 * batch of a single item is merged into its neighbour, since in-batch contrast needs two rows.
 * Returns indices into `lengths`.
 *
 * @example
 * ```ts
 * lengthBucketedBatches([5, 9, 6, 30, 31, 8], { batchSize: 2, bucketPool: 3, dropLast: false, seed: 1 });
 * // e.g. [[3, 4], [0, 2], [5, 1]]: the two long texts share a batch
 * ```
 */
export function lengthBucketedBatches(lengths: readonly number[], options: BucketOptions): number[][] {
  const { batchSize, bucketPool, dropLast, seed } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new CarlError('INVALID_ARGUMENT', `batchSize must be a positive integer, got ${batchSize}`, { field: 'batchSize' });
  if (!Number.isInteger(bucketPool) || bucketPool < 1) throw new CarlError('INVALID_ARGUMENT', `bucketPool must be a positive integer, got ${bucketPool}`, { field: 'bucketPool' });
  const rng = new Random(seed);
  const order = rng.shuffle(lengths.map((_, i) => i));
  const poolSize = batchSize * bucketPool;
  const batches: number[][] = [];
  let ragged: { batch: number[]; neighbour: number[] | undefined } | undefined;
  for (let start = 0; start < order.length; start += poolSize) {
    // Stable sort: equal lengths keep their shuffled order, so ties are still random.
    const pool = order.slice(start, start + poolSize).sort((a, b) => (lengths[a] as number) - (lengths[b] as number));
    let previous: number[] | undefined;
    for (let b = 0; b < pool.length; b += batchSize) {
      const batch = pool.slice(b, b + batchSize);
      if (batch.length < batchSize) ragged = { batch, neighbour: previous };
      else batches.push(batch);
      previous = batch;
    }
  }
  if (ragged !== undefined && !dropLast) {
    if (ragged.batch.length === 1 && ragged.neighbour !== undefined) ragged.neighbour.push(...ragged.batch);
    else batches.push(ragged.batch);
  }
  return rng.shuffle(batches);
}

/** One corpus's share of the training data. */
export interface CorpusShare {
  readonly name: string;
  /** Number of examples the corpus has. */
  readonly size: number;
}

/**
 * How many examples each corpus contributes to an epoch of `Σ sizes` examples when corpus i is drawn
 * with probability ∝ sizeᵢ^(1/temperature) (temperature 1 = proportional = every example once).
 * Counts are rounded by largest remainder so they add up exactly.
 *
 * @example
 * ```ts
 * mixingCounts([{ name: 'a', size: 300 }, { name: 'b', size: 100 }], 1e9); // [200, 200]
 * ```
 */
export function mixingCounts(corpora: readonly CorpusShare[], temperature: number): number[] {
  if (!(temperature >= 1)) throw new CarlError('INVALID_ARGUMENT', `mixing temperature must be ≥ 1, got ${temperature}`, { field: 'mixingTemperature' });
  const total = corpora.reduce((sum, c) => sum + c.size, 0);
  const weights = corpora.map((c) => (c.size === 0 ? 0 : Math.pow(c.size, 1 / temperature)));
  const weightSum = weights.reduce((a, b) => a + b, 0);
  if (total === 0 || weightSum === 0) return corpora.map(() => 0);
  const exact = weights.map((w) => (total * w) / weightSum);
  const counts = exact.map(Math.floor);
  let missing = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (missing === 0) break;
    counts[i] = (counts[i] as number) + 1;
    missing--;
  }
  return counts;
}

/**
 * The examples of one epoch as indices into the corpora laid end to end: each corpus contributes
 * {@link mixingCounts} examples: whole passes over it, then a seeded sample without replacement.
 *
 * @example
 * ```ts
 * mixEpoch([{ name: 'a', size: 3 }, { name: 'b', size: 1 }], 1, 7); // [0, 1, 2, 3] in some order
 * ```
 */
export function mixEpoch(corpora: readonly CorpusShare[], temperature: number, seed: number): number[] {
  const counts = mixingCounts(corpora, temperature);
  const rng = new Random(seed);
  const out: number[] = [];
  let offset = 0;
  corpora.forEach((corpus, c) => {
    let want = counts[c] as number;
    const all = Array.from({ length: corpus.size }, (_, i) => offset + i);
    while (want >= corpus.size && corpus.size > 0) {
      out.push(...all);
      want -= corpus.size;
    }
    if (want > 0) out.push(...rng.shuffle([...all]).slice(0, want));
    offset += corpus.size;
  });
  return out;
}

/** Options of {@link BatchSchedule}. */
export interface BatchScheduleOptions extends Omit<BucketOptions, 'seed'> {
  readonly mixingTemperature: number;
  /** Base seed; each epoch derives its own, so any step's batch can be recomputed (resume needs only the step). */
  readonly seed: number;
}

/**
 * The whole run's batches as a pure function of the step number: epoch e is mixed and bucketed with
 * a seed derived from (seed, e), so resuming at step k needs no saved iterator state.
 *
 * @example
 * ```ts
 * const schedule = new BatchSchedule([{ name: 'emobank', size: 8062 }], lengths, { batchSize: 32, bucketPool: 32, dropLast: false, mixingTemperature: 1, seed: 42 });
 * schedule.batchAt(0); // indices of the first batch
 * ```
 */
export class BatchSchedule {
  /** Batches in every epoch (each epoch has the same number of examples). */
  readonly batchesPerEpoch: number;
  private cached: { epoch: number; batches: number[][] } | undefined;

  constructor(
    private readonly corpora: readonly CorpusShare[],
    private readonly lengths: readonly number[],
    private readonly options: BatchScheduleOptions,
  ) {
    const total = corpora.reduce((sum, c) => sum + c.size, 0);
    if (total !== lengths.length) {
      throw new CarlError('SHAPE_MISMATCH', `corpus sizes add up to ${total} but ${lengths.length} lengths were given`, { field: 'lengths' });
    }
    if (total < 2) throw new CarlError('INVALID_DATA', `training needs at least 2 examples, got ${total}`, { field: 'data' });
    this.batchesPerEpoch = this.epoch(0).length;
    if (this.batchesPerEpoch === 0) {
      throw new CarlError('INVALID_DATA', `no full batch of ${options.batchSize} in ${total} examples with dropLast`, { field: 'batchSize' });
    }
  }

  /** Indices (into the concatenated corpora) of the batch of `step` (0-based). */
  batchAt(step: number): readonly number[] {
    const epoch = Math.floor(step / this.batchesPerEpoch);
    return this.epoch(epoch)[step % this.batchesPerEpoch] as number[];
  }

  /** Which epoch `step` falls in. */
  epochOf(step: number): number {
    return Math.floor(step / this.batchesPerEpoch);
  }

  private epoch(epoch: number): number[][] {
    if (this.cached?.epoch === epoch) return this.cached.batches;
    const seed = epochSeed(this.options.seed, epoch);
    const members = mixEpoch(this.corpora, this.options.mixingTemperature, seed);
    const batches = lengthBucketedBatches(
      members.map((i) => this.lengths[i] as number),
      { batchSize: this.options.batchSize, bucketPool: this.options.bucketPool, dropLast: this.options.dropLast, seed: seed ^ 0x5bd1e995 },
    ).map((batch) => batch.map((j) => members[j] as number));
    this.cached = { epoch, batches };
    return batches;
  }
}

function epochSeed(seed: number, epoch: number): number {
  // Decorrelate epochs: a multiplicative hash of the epoch number mixed into the base seed.
  return (seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0;
}
