import { BatchSchedule, lengthBucketedBatches, mixEpoch, mixingCounts } from './batching';

const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

describe('lengthBucketedBatches', () => {
  const lengths = Array.from({ length: 103 }, (_, i) => (i * 37) % 50);

  it('uses every item exactly once, with one ragged batch at most', () => {
    const batches = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 4, dropLast: false, seed: 3 });
    expect(sorted(batches.flat())).toEqual(lengths.map((_, i) => i));
    const sizes = batches.map((b) => b.length);
    expect(sizes.filter((s) => s !== 8)).toEqual([103 % 8]);
  });

  it('drops the ragged batch with dropLast', () => {
    const batches = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 4, dropLast: true, seed: 3 });
    expect(batches).toHaveLength(Math.floor(103 / 8));
    expect(batches.every((b) => b.length === 8)).toBe(true);
  });

  it('merges a ragged batch of one into its neighbour (a contrastive batch needs two rows)', () => {
    const batches = lengthBucketedBatches(Array.from({ length: 9 }, () => 5), { batchSize: 4, bucketPool: 8, dropLast: false, seed: 1 });
    expect(batches.map((b) => b.length).sort()).toEqual([4, 5]);
    expect(sorted(batches.flat())).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('reduces padding against random batches', () => {
    const padding = (batches: number[][]): number =>
      batches.reduce((sum, b) => sum + b.reduce((s, i) => s + Math.max(...b.map((j) => lengths[j] as number)) - (lengths[i] as number), 0), 0);
    const random = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 1, dropLast: false, seed: 3 });
    const bucketed = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 13, dropLast: false, seed: 3 });
    // With one pool covering everything, each batch spans a narrow length range: under a fifth of the padding.
    expect(padding(bucketed)).toBeLessThan(padding(random) / 5);
  });

  it('sorts inside a pool so a batch holds neighbours in length', () => {
    const ls = [1, 100, 2, 101, 3, 102];
    const batches = lengthBucketedBatches(ls, { batchSize: 3, bucketPool: 2, dropLast: false, seed: 9 });
    const sets = batches.map((b) => sorted(b.map((i) => ls[i] as number)));
    expect(sets).toContainEqual([1, 2, 3]);
    expect(sets).toContainEqual([100, 101, 102]);
  });

  it('is a pure function of the seed', () => {
    const a = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 4, dropLast: false, seed: 11 });
    const b = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 4, dropLast: false, seed: 11 });
    const c = lengthBucketedBatches(lengths, { batchSize: 8, bucketPool: 4, dropLast: false, seed: 12 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('rejects a non-positive batch size', () => {
    expect(() => lengthBucketedBatches([1, 2], { batchSize: 0, bucketPool: 1, dropLast: false, seed: 0 })).toThrow(/batchSize/);
  });
});

describe('mixingCounts', () => {
  it('is proportional at temperature 1 and tends to equal shares as it grows', () => {
    const corpora = [
      { name: 'big', size: 8000 },
      { name: 'small', size: 2000 },
    ];
    expect(mixingCounts(corpora, 1)).toEqual([8000, 2000]);
    // T = 2: weights √8000 : √2000 = 2 : 1 → 10000·2/3, 10000/3.
    expect(mixingCounts(corpora, 2)).toEqual([6667, 3333]);
    expect(mixingCounts(corpora, 1e9)).toEqual([5000, 5000]);
  });

  it('always adds up to the total', () => {
    const corpora = [3, 7, 11, 13].map((size, i) => ({ name: `c${i}`, size }));
    for (const t of [1, 1.5, 3, 50]) expect(mixingCounts(corpora, t).reduce((a, b) => a + b, 0)).toBe(34);
  });

  it('rejects a temperature below 1', () => {
    expect(() => mixingCounts([{ name: 'a', size: 1 }], 0.5)).toThrow(/mixing temperature/);
  });
});

describe('mixEpoch', () => {
  it('takes every example once at temperature 1', () => {
    expect(sorted(mixEpoch([{ name: 'a', size: 5 }, { name: 'b', size: 3 }], 1, 4))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('oversamples a small corpus by whole passes, then a sample', () => {
    const out = mixEpoch([{ name: 'a', size: 10 }, { name: 'b', size: 2 }], 1e9, 4);
    const fromB = out.filter((i) => i >= 10);
    expect(fromB).toHaveLength(6);
    expect(fromB.filter((i) => i === 10)).toHaveLength(3);
    const fromA = out.filter((i) => i < 10);
    expect(new Set(fromA).size).toBe(6);
  });
});

describe('BatchSchedule', () => {
  const corpora = [
    { name: 'a', size: 20 },
    { name: 'b', size: 7 },
  ];
  const lengths = Array.from({ length: 27 }, (_, i) => 3 + (i % 9));
  const options = { batchSize: 4, bucketPool: 2, dropLast: false, mixingTemperature: 1, seed: 5 };

  it('covers each epoch completely and reshuffles between epochs', () => {
    const schedule = new BatchSchedule(corpora, lengths, options);
    expect(schedule.batchesPerEpoch).toBe(7);
    const epoch = (e: number): number[][] => Array.from({ length: 7 }, (_, k) => [...schedule.batchAt(e * 7 + k)]);
    expect(sorted(epoch(0).flat())).toEqual(lengths.map((_, i) => i));
    expect(sorted(epoch(1).flat())).toEqual(lengths.map((_, i) => i));
    expect(epoch(1)).not.toEqual(epoch(0));
    expect(schedule.epochOf(13)).toBe(1);
  });

  it('gives the same batch for a step however it is reached (resume needs only the step)', () => {
    const a = new BatchSchedule(corpora, lengths, options);
    const b = new BatchSchedule(corpora, lengths, options);
    for (let s = 0; s < 20; s++) a.batchAt(s);
    expect(a.batchAt(15)).toEqual(b.batchAt(15));
  });

  it('explains impossible inputs', () => {
    expect(() => new BatchSchedule([{ name: 'a', size: 1 }], [3], options)).toThrow(/at least 2 examples/);
    expect(() => new BatchSchedule(corpora, [1, 2], options)).toThrow(/27 but 2 lengths/);
    expect(() => new BatchSchedule([{ name: 'a', size: 3 }], [1, 2, 3], { ...options, dropLast: true })).toThrow(/no full batch/);
  });
});
