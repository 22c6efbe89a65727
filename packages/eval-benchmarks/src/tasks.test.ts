import { Random, type LabeledText } from '@carl/core';
import { expectCarlError } from '@carl/core/testing';
import { alignment, pearson, uniformity, accuracy, macroF1 } from './metrics';
import { fitRidge } from './ridge';
import { fitLogistic } from './logistic';
import { runTask, tfidfFeaturizer, type Featurizer, type TaskRows, type TaskSpec } from './tasks';
import { evaluate } from './evaluate';
import { cachedEmbedder } from './embed';

/** Rows whose embedding is a noisy linear image of their VA label, so the probe has something to find. */
function vaRows(n: number, prefix: string, seed: number): LabeledText[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const valence = Math.max(-1, Math.min(1, 0.5 * rng.normal()));
    const arousal = Math.max(-1, Math.min(1, 0.4 * rng.normal()));
    return { id: `${prefix}${i}`, text: `${prefix} ${i} ${valence.toFixed(6)} ${arousal.toFixed(6)}`, va: { valence, arousal } };
  });
}

/** Embeds "<prefix> <i> <v> <a>" as [v + noise, a + noise, noise, noise], deterministic per text. */
function vaEmbedder(calls: string[][] = []): (texts: readonly string[]) => Float32Array[] {
  return (texts) => {
    calls.push([...texts]);
    return texts.map((t) => {
      const [, i, v, a] = t.split(' ');
      const rng = new Random(Number(i) * 7919 + t.length);
      return Float32Array.from([Number(v) + 0.1 * rng.normal(), 2 * Number(a) + 0.1 * rng.normal(), rng.normal(), rng.normal()]);
    });
  };
}

function classRows(n: number, seed: number): LabeledText[] {
  const rng = new Random(seed);
  const names = ['anger', 'joy', 'fear'];
  return Array.from({ length: n }, (_, i) => ({ id: `c${i}`, text: `c ${i} ${rng.int(3)}`, labels: [names[i % 3] as string] }));
}

/** Class c sits around the c-th corner; some noise keeps it from being separable. */
function classEmbedder(rows: readonly LabeledText[]): (texts: readonly string[]) => number[][] {
  const label = new Map(rows.map((r) => [r.text, ['anger', 'joy', 'fear'].indexOf((r.labels as string[])[0] as string)]));
  return (texts) =>
    texts.map((t) => {
      const c = label.get(t) as number;
      const rng = new Random(t.length * 31 + Number(t.split(' ')[1]));
      return [c === 0 ? 1 : 0, c === 1 ? 1 : 0, c === 2 ? 1 : 0].map((v) => v + 0.6 * rng.normal());
    });
}

const spec = (over: Partial<TaskSpec> & Pick<TaskSpec, 'kind' | 'split'>, rows: TaskRows): TaskSpec => ({ name: 'toy', load: async () => rows, ...over });

describe('runTask: VA on an official split', () => {
  const train = vaRows(120, 'tr', 1);
  const test = vaRows(50, 'te', 2);
  const task = spec({ kind: 'va', split: { type: 'official' } }, { train, test });

  it('scores exactly what a hand-wired ridge probe scores', async () => {
    const embed = vaEmbedder();
    const result = await runTask(task, embed, { seed: 3 });
    expect(result.kind).toBe('va');
    if (result.kind !== 'va') return;
    const probe = fitRidge(embed(train.map((r) => r.text)), train.map((r) => [r.va?.valence as number, r.va?.arousal as number]), { seed: 3 });
    const pred = probe.predict(embed(test.map((r) => r.text)));
    expect(result.metrics.valence.pearson).toBeCloseTo(pearson(test.map((r) => r.va?.valence as number), pred.map((p) => p[0] as number)), 5);
    expect(result.metrics.arousal.pearson).toBeCloseTo(pearson(test.map((r) => r.va?.arousal as number), pred.map((p) => p[1] as number)), 5);
    expect(result.metrics.valence.pearson).toBeGreaterThan(0.9);
    expect(result.protocol).toEqual({ split: 'official', train: 120, test: 50, available: 170 });
    expect(result.probe.alpha).toHaveLength(1);
    expect(result.foldMetrics).toBeUndefined();
  });

  it('embeds every distinct text once, in batches', async () => {
    const calls: string[][] = [];
    await runTask(task, vaEmbedder(calls), { batchSize: 64 });
    expect(calls.map((c) => c.length)).toEqual([64, 64, 42]);
    expect(new Set(calls.flat()).size).toBe(170);
  });

  it('caps train and test rows with a seeded subset, the same for every model', async () => {
    const a = await runTask(task, vaEmbedder(), { seed: 5, maxTrain: 40, maxTest: 20, keepPredictions: true });
    const b = await runTask(task, vaEmbedder(), { seed: 5, maxTrain: 40, maxTest: 20, keepPredictions: true });
    expect(a.protocol).toEqual({ split: 'official', train: 40, test: 20, available: 170 });
    if (a.kind !== 'va' || b.kind !== 'va') throw new Error('kind');
    expect(a.predictions?.ids).toEqual(b.predictions?.ids);
    expect(a.predictions?.ids.every((id) => id.startsWith('te'))).toBe(true);
    const c = await runTask(task, vaEmbedder(), { seed: 6, maxTrain: 40, maxTest: 20, keepPredictions: true });
    if (c.kind !== 'va') throw new Error('kind');
    expect(c.predictions?.ids).not.toEqual(a.predictions?.ids);
  });

  it('fails loudly on rows without VA labels, or no test rows', async () => {
    const bad = spec({ kind: 'va', split: { type: 'official' } }, { train: [...train, { id: 'x', text: 'tr 1 0 0' }], test });
    await expectCarlError(runTask(bad, vaEmbedder()), 'INVALID_DATA', { field: 'va' });
    await expectCarlError(runTask(spec({ kind: 'va', split: { type: 'official' } }, { train }), vaEmbedder()), 'INVALID_DATA', { field: 'split' });
    await expectCarlError(runTask(spec({ kind: 'va', split: { type: 'official' } }, { train: [] }), vaEmbedder()), 'INVALID_DATA');
  });
});

describe('runTask: k-fold and holdout', () => {
  it('VA k-fold averages per-fold metrics and keeps every row out-of-fold exactly once', async () => {
    const rows = vaRows(100, 'r', 4);
    const result = await runTask(spec({ kind: 'va', split: { type: 'kfold', k: 5 } }, { train: rows }), vaEmbedder(), { keepPredictions: true });
    if (result.kind !== 'va') throw new Error('kind');
    expect(result.foldMetrics).toHaveLength(5);
    const meanR = (result.foldMetrics ?? []).reduce((s, m) => s + m.valence.pearson, 0) / 5;
    expect(result.metrics.valence.pearson).toBeCloseTo(meanR, 12);
    expect(result.std?.valence.pearson).toBeGreaterThan(0);
    expect([...(result.predictions?.ids ?? [])].sort()).toEqual(rows.map((r) => r.id).sort());
    expect(result.protocol).toEqual({ split: 'kfold', folds: 5, train: 80, test: 20, available: 100 });
  });

  it('k-fold caps the pool so no fold trains on more than maxTrain or tests more than maxTest', async () => {
    const rows = vaRows(200, 'r', 5);
    const result = await runTask(spec({ kind: 'va', split: { type: 'kfold', k: 4 } }, { train: rows }), vaEmbedder(), { maxTrain: 60 });
    // pool = floor(60 · 4 / 3) = 80 → 60 train / 20 test per fold
    expect(result.protocol).toMatchObject({ train: 60, test: 20, available: 200 });
    const capped = await runTask(spec({ kind: 'va', split: { type: 'kfold', k: 4 } }, { train: rows }), vaEmbedder(), { maxTrain: 1000, maxTest: 10 });
    expect(capped.protocol).toMatchObject({ train: 30, test: 10 });
  });

  it('classification k-fold: fold means of equal folds equal the pooled out-of-fold accuracy', async () => {
    const rows = classRows(90, 7);
    const embed = classEmbedder(rows);
    const result = await runTask(spec({ kind: 'classification', split: { type: 'kfold', k: 3 } }, { train: rows, labelNames: ['anger', 'joy', 'fear'] }), embed, {
      seed: 2,
      keepPredictions: true,
      logistic: { l2: 0.01 },
    });
    if (result.kind !== 'classification') throw new Error('kind');
    expect(result.labels).toEqual(['anger', 'joy', 'fear']);
    expect(result.foldMetrics).toHaveLength(3);
    expect(result.metrics.accuracy).toBeGreaterThan(0.6);
    const pooled = accuracy(result.predictions?.truth ?? [], result.predictions?.predicted ?? []);
    expect(result.metrics.accuracy).toBeCloseTo(pooled, 12); // equal folds of 30 → mean of fold accuracies = pooled accuracy
    expect(result.probe.l2).toEqual([0.01, 0.01, 0.01]);
    // the confusion matrix adds up the folds: its diagonal is the number of hits
    expect(result.confusion.labels).toEqual(['anger', 'joy', 'fear']);
    expect(result.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(90);
    expect(result.confusion.matrix.reduce((s, row, i) => s + (row[i] as number), 0)).toBe(Math.round(pooled * 90));
    expect(result.confusion.matrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([30, 30, 30]);
  });

  it('holdout keeps the requested fraction per class', async () => {
    const rows = classRows(100, 8).map((r, i) => ({ ...r, labels: [i < 80 ? 'joy' : 'fear'] }));
    const result = await runTask(spec({ kind: 'classification', split: { type: 'holdout', testFraction: 0.25 } }, { train: rows }), classEmbedder(rows.map((r) => ({ ...r, labels: ['joy'] }))), {
      keepPredictions: true,
      logistic: { l2: 0.1 },
    });
    if (result.kind !== 'classification') throw new Error('kind');
    expect(result.protocol).toEqual({ split: 'holdout', train: 75, test: 25, available: 100 });
    expect(result.predictions?.truth.filter((t) => t === 'fear')).toHaveLength(5);
    expect(result.metrics.macroF1).toBeCloseTo(macroF1(result.predictions?.truth ?? [], result.predictions?.predicted ?? [], ['fear', 'joy']), 12);
  });

  it('rejects multi-label rows in a classification task', async () => {
    const rows = [...classRows(30, 1), { id: 'm', text: 'c 99 0', labels: ['joy', 'fear'] }];
    await expectCarlError(runTask(spec({ kind: 'classification', split: { type: 'kfold', k: 3 } }, { train: rows }), classEmbedder(rows)), 'INVALID_DATA', { field: 'labels' });
  });
});

describe('runTask: align-uniform', () => {
  it('matches alignment over VA-close pairs and uniformity over all rows', async () => {
    const rows: LabeledText[] = [
      { id: 'a', text: 'a', va: { valence: 0.5, arousal: 0.5 } },
      { id: 'b', text: 'b', va: { valence: 0.52, arousal: 0.49 } },
      { id: 'c', text: 'c', va: { valence: -0.5, arousal: 0.1 } },
      { id: 'd', text: 'd', va: { valence: -0.48, arousal: 0.12 } },
    ];
    const vec: Record<string, number[]> = { a: [1, 0, 0], b: [0.8, 0.6, 0], c: [0, 0, 1], d: [0, 1, 0] };
    const result = await runTask(spec({ kind: 'align-uniform', split: { type: 'official' }, threshold: 0.05 }, { train: [], test: rows }), (t) => t.map((x) => vec[x] as number[]));
    if (result.kind !== 'align-uniform') throw new Error('kind');
    expect(result.metrics.positivePairs).toBe(2); // (a, b) and (c, d)
    expect(result.metrics.alignment).toBeCloseTo(alignment([vec['a'] as number[], vec['c'] as number[]], [vec['b'] as number[], vec['d'] as number[]]), 6);
    expect(result.metrics.uniformity).toBeCloseTo(uniformity(rows.map((r) => vec[r.id] as number[])), 6);
    expect(result.metrics.zeroVectors).toBe(0);
    // a zero embedding has no direction: its row is left out and counted, not a crash at the end of a long run
    const withZero = [...rows, { id: 'e', text: 'e', va: { valence: 0.5, arousal: 0.51 } }];
    const zeroVec: Record<string, number[]> = { ...vec, e: [0, 0, 0] };
    const r2 = await runTask(spec({ kind: 'align-uniform', split: { type: 'official' }, threshold: 0.05 }, { train: [], test: withZero }), (t) => t.map((x) => zeroVec[x] as number[]));
    if (r2.kind !== 'align-uniform') throw new Error('kind');
    expect(r2.metrics).toMatchObject({ zeroVectors: 1, positivePairs: 2 });
    expect(r2.metrics.uniformity).toBeCloseTo(result.metrics.uniformity, 12);
    await expectCarlError(
      runTask(spec({ kind: 'align-uniform', split: { type: 'official' }, threshold: 0.001 }, { train: [], test: rows }), (t) => t.map((x) => vec[x] as number[])),
      'INVALID_DATA',
      { field: 'threshold' },
    );
  });
});

describe('runTask: bad specs and bad models', () => {
  it('names unknown built-in tasks and invalid specs', async () => {
    await expectCarlError(runTask('emobank', vaEmbedder()), 'INVALID_ARGUMENT', { field: 'tasks' });
    await expectCarlError(runTask(spec({ kind: 'va', split: { type: 'kfold', k: 1 } }, { train: [] }), vaEmbedder()), 'INVALID_CONFIG', { field: 'toy.split.k' });
    await expectCarlError(runTask(spec({ kind: 'regression' as 'va', split: { type: 'official' } }, { train: [] }), vaEmbedder()), 'INVALID_ARGUMENT', { field: 'toy.kind' });
  });

  it('reports an embedding function that returns the wrong count, width or NaN', async () => {
    const rows = vaRows(10, 'x', 1);
    const task = spec({ kind: 'va', split: { type: 'kfold', k: 2 } }, { train: rows });
    await expectCarlError(runTask(task, (t) => t.slice(1).map(() => [1, 2])), 'SHAPE_MISMATCH', { field: 'embed' });
    await expectCarlError(runTask(task, (t) => t.map((_, i) => (i === 3 ? [1] : [1, 2]))), 'SHAPE_MISMATCH');
    await expectCarlError(runTask(task, (t) => t.map((_, i) => (i === 2 ? [1, Number.NaN] : [1, 2]))), 'NUMERIC_INSTABILITY');
  });
});

describe('evaluate', () => {
  it('runs several tasks with one shared cache and returns the carl eval JSON shape', async () => {
    const rows = vaRows(60, 's', 9);
    const calls: string[][] = [];
    const tasks: TaskSpec[] = [
      { name: 'va-a', kind: 'va', split: { type: 'kfold', k: 3 }, load: async () => ({ train: rows }) },
      { name: 'va-b', kind: 'va', split: { type: 'holdout', testFraction: 0.3 }, load: async () => ({ train: rows }) },
      { name: 'geometry', kind: 'align-uniform', split: { type: 'official' }, threshold: 0.2, load: async () => ({ train: rows }) },
    ];
    const messages: string[] = [];
    const report = await evaluate({ embed: vaEmbedder(calls), tasks, seed: 4, model: 'toy', backend: 'cpu', onProgress: (m) => messages.push(m) });
    expect(new Set(calls.flat()).size).toBe(60);
    expect(calls.flat()).toHaveLength(60); // nothing embedded twice across the three tasks
    expect(report.embedding).toMatchObject({ dimension: 4, texts: 60 });
    const json = JSON.parse(JSON.stringify(report)) as { model: string; backend: string; tasks: { task: string; metrics: Record<string, unknown> }[] };
    expect(json.model).toBe('toy');
    expect(json.backend).toBe('cpu');
    expect(json.tasks.map((t) => t.task)).toEqual(['va-a', 'va-b', 'geometry']);
    expect(Object.keys(json.tasks[0]?.metrics.valence as object).sort()).toEqual(['mae', 'pearson', 'rmse', 'spearman']);
    expect(messages.some((m) => m.includes('va-a: fold 3/3'))).toBe(true);
  });

  it('gives identical reports for identical seeds', async () => {
    const rows = classRows(45, 3);
    const tasks: TaskSpec[] = [{ name: 'cls', kind: 'classification', split: { type: 'kfold', k: 3 }, load: async () => ({ train: rows }) }];
    const strip = (r: Awaited<ReturnType<typeof evaluate>>) => r.tasks.map((t) => t.metrics);
    const a = await evaluate({ embed: classEmbedder(rows), tasks, seed: 1 });
    const b = await evaluate({ embed: classEmbedder(rows), tasks, seed: 1 });
    expect(strip(a)).toEqual(strip(b));
  });

  it('rejects an empty task list and a missing embed function', async () => {
    await expectCarlError(evaluate({ embed: vaEmbedder(), tasks: [] }), 'INVALID_ARGUMENT', { field: 'tasks' });
    await expectCarlError(evaluate({ embed: undefined as unknown as () => number[][] }), 'INVALID_ARGUMENT', { field: 'embed' });
  });
});

describe('cachedEmbedder', () => {
  it('serves repeats and duplicates from the cache', async () => {
    const seen: string[] = [];
    const cache = cachedEmbedder(async (t) => {
      seen.push(...t);
      return t.map((x) => [x.length, 1]);
    });
    const first = await cache.embed(['aa', 'b', 'aa']);
    const second = await cache.embed(['b', 'ccc']);
    expect(seen).toEqual(['aa', 'b', 'ccc']);
    expect(Array.from(first[2] as Float32Array)).toEqual([2, 1]);
    expect(Array.from(second[1] as Float32Array)).toEqual([3, 1]);
    expect(cache.size).toBe(3);
    expect(cache.hits).toBe(2);
    expect(cache.dimension).toBe(2);
  });
});

describe('probes used by tasks', () => {
  it('fitLogistic is exported for direct use with explicit labels', () => {
    const probe = fitLogistic([[0], [1], [2], [3]], ['a', 'a', 'b', 'b'], { l2: 0.1 });
    expect(probe.predict([[3]])).toEqual(['b']);
  });
});

describe('featurizers (the TF-IDF row)', () => {
  const words = { pos: ['great', 'lovely', 'superb'], neg: ['awful', 'dull', 'boring'] };
  const rows = (n: number, prefix: string): LabeledText[] =>
    Array.from({ length: n }, (_, i) => {
      const label = i % 2 === 0 ? 'pos' : 'neg';
      const w = words[label][i % 3] as string;
      return { id: `${prefix}${i}`, text: `the ${w} film number ${prefix}${i}`, labels: [label] };
    });

  it('fits the featurizer on each fold’s training texts only and probes its sparse features', async () => {
    const fitted: string[][] = [];
    const tfidf = tfidfFeaturizer();
    const spy: Featurizer = { ...tfidf, fit: (texts) => (fitted.push([...texts]), tfidf.fit(texts)) };
    const train = rows(60, 'tr');
    const test = rows(20, 'te');
    const result = await runTask(spec({ kind: 'classification', split: { type: 'official' } }, { train, test }), undefined, { featurizer: spy, seed: 1 });
    expect(result.kind).toBe('classification');
    if (result.kind !== 'classification') return;
    expect(result.metrics.accuracy).toBe(1); // the sentiment word decides the label
    expect(fitted).toHaveLength(1);
    expect(new Set(fitted[0])).toEqual(new Set(train.map((r) => r.text))); // no test text in the vocabulary fit
    expect(result.probe.seconds).toBeGreaterThanOrEqual(0);
  });

  it('refits per fold in k-fold tasks, and reports alignment/uniformity as undefined', async () => {
    let fits = 0;
    const tfidf = tfidfFeaturizer();
    const counting: Featurizer = { ...tfidf, fit: (texts) => (fits++, tfidf.fit(texts)) };
    const result = await runTask(spec({ kind: 'classification', split: { type: 'kfold', k: 4 } }, { train: rows(40, 'k') }), undefined, { featurizer: counting, seed: 2 });
    expect(fits).toBe(4);
    expect(result.kind === 'classification' && result.metrics.accuracy).toBe(1);
    const au = await runTask(spec({ kind: 'align-uniform', split: { type: 'official' } }, { train: [], test: vaRows(10, 'a', 1) }), undefined, { featurizer: tfidf });
    expect(au.kind === 'align-uniform' && Number.isNaN(au.metrics.alignment)).toBe(true);
    await expectCarlError(runTask(spec({ kind: 'classification', split: { type: 'official' } }, { train: rows(4, 'x'), test: rows(2, 'y') }), undefined), 'INVALID_ARGUMENT', { field: 'embed' });
  });
});
