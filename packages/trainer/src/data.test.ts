import { isCarlError } from '@carl/core';
import { describeWithData } from './__fixtures__/data-dir';
import { resolveConfig } from './config';
import { checkDataNames, dataDirFor, loadTrainingRows, runRows } from './data';

describe('data names and folder', () => {
  it('rejects an unknown corpus before loading anything', () => {
    expect(() => checkDataNames(resolveConfig({ data: ['emobank', 'imdb'] }))).toThrow(/\[data\]: unknown corpus "imdb" \(known: emobank, fb-valence-arousal/);
    expect(() => checkDataNames(resolveConfig({ data: ['emobank', 'goemotions'] }))).not.toThrow();
  });

  it('takes dataDir from the config, else $CARL_DATA_DIR', () => {
    expect(dataDirFor(resolveConfig({ dataDir: '/a' }), { CARL_DATA_DIR: '/b' })).toBe('/a');
    expect(dataDirFor(resolveConfig({}), { CARL_DATA_DIR: '/b' })).toBe('/b');
    expect(dataDirFor(resolveConfig({}), { CARL_DATA_DIR: '' })).toBeUndefined();
  });

  it('names a data folder that does not exist', async () => {
    const error = await loadTrainingRows(resolveConfig({ dataDir: '/nonexistent/carl-data' })).catch((e: unknown) => e);
    expect(isCarlError(error, 'DATASET_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toBe('/nonexistent/carl-data [dataDir]: the data folder does not exist');
  });
});

describe('rows passed in', () => {
  const rows = [
    { id: '1', text: 'good', va: { valence: 0.5, arousal: 0 }, source: 'b' },
    { id: '2', text: 'plain' },
    { id: '1', text: 'bad', va: { valence: -0.5, arousal: 0.1 }, source: 'a' },
    { id: '3', text: 'great', va: { valence: 0.9, arousal: 0.4 }, source: 'b' },
  ];

  it('keeps labelled rows grouped by source, with corpus sizes and a fingerprint of ids, texts and labels', async () => {
    const { rows: kept, spec } = await runRows(resolveConfig({ method: 'carl' }), rows);
    expect(kept.map((r) => r.id)).toEqual(['b/1', 'b/3', 'a/1']);
    expect(spec).toEqual({ source: 'rows', corpora: [{ name: 'b', size: 2 }, { name: 'a', size: 1 }], fingerprint: expect.stringMatching(/^3-[0-9a-f]{8}$/) });
    const relabelled = await runRows(resolveConfig({ method: 'carl' }), rows.map((r) => (r.id === '3' ? { ...r, va: { valence: 0.9, arousal: 0.5 } } : r)));
    expect(relabelled.spec.fingerprint).not.toBe(spec.fingerprint);
    // SimCSE needs no labels: the unlabelled row stays, in the default corpus.
    const simcse = await runRows(resolveConfig({ method: 'simcse' }), rows);
    expect(simcse.spec.corpora).toEqual([{ name: 'b', size: 2 }, { name: 'custom', size: 1 }, { name: 'a', size: 1 }]);
  });
});

describeWithData('loadTrainingRows (real corpora)', (dataDir) => {
  it('loads the training split of each corpus, ids prefixed by corpus, VA in [−1, 1]', async () => {
    const rows = await loadTrainingRows(resolveConfig({ dataDir, data: ['emobank', 'fb-valence-arousal'] }));
    const eb = rows.filter((r) => r.source === 'emobank');
    const fb = rows.filter((r) => r.source === 'fb-valence-arousal');
    expect(eb).toHaveLength(8062); // EmoBank's official train split, never dev/test
    expect(fb.length).toBeGreaterThan(2890); // every post (no official split) but the empty one
    expect(rows.every((r) => r.id.startsWith(`${r.source}/`))).toBe(true);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.every((r) => Math.abs(r.va.valence) <= 1 && Math.abs(r.va.arousal) <= 1)).toBe(true);
    // Corpora are contiguous, in the order given.
    expect(rows.findIndex((r) => r.source === 'fb-valence-arousal')).toBe(eb.length);
  }, 60_000);

  it('caps each corpus with a seeded sample that does not depend on the other corpora', async () => {
    const a = await loadTrainingRows(resolveConfig({ dataDir, data: ['emobank'], maxExamples: 50, seed: 1 }));
    const b = await loadTrainingRows(resolveConfig({ dataDir, data: ['fb-valence-arousal', 'emobank'], maxExamples: 50, seed: 1 }));
    const c = await loadTrainingRows(resolveConfig({ dataDir, data: ['emobank'], maxExamples: 50, seed: 2 }));
    expect(a).toHaveLength(50);
    expect(b.filter((r) => r.source === 'emobank').map((r) => r.id)).toEqual(a.map((r) => r.id));
    expect(c.map((r) => r.id)).not.toEqual(a.map((r) => r.id));
  }, 60_000);

  it('refuses a categorical corpus unless asked to map it through VA centroids', async () => {
    const skip = await loadTrainingRows(resolveConfig({ dataDir, data: ['dair-ai-emotion'] })).catch((e: unknown) => e);
    expect((skip as Error).message).toMatch(/\[data\]: "dair-ai-emotion" is a categorical corpus .*set categorical to "centroids"/);
    const rows = await loadTrainingRows(resolveConfig({ dataDir, data: ['dair-ai-emotion'], categorical: 'centroids', maxExamples: 200 }));
    expect(rows).toHaveLength(200);
    // One VA point per category: at most six distinct points (the six dair-ai emotions).
    const points = new Set(rows.map((r) => `${r.va.valence},${r.va.arousal}`));
    expect(points.size).toBeLessThanOrEqual(6);
  }, 60_000);
});
