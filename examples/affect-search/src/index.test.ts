import { initBackend } from '@carl/core';
import { loadCarlModel } from '@carl/trainer';
import { AffectIndex, searchByAffect } from './index';
import { trainTinyModel } from '@carl/trainer/testing';

const CORPUS = ['so happy and excited', 'calm and peaceful', 'furious and loud', 'sad and tired', 'a lovely quiet day', 'a terrible angry scene'];

describe('affect search (smoke, tiny model)', () => {
  it('ranks by cosine for a sentence and by VA distance for a point', async () => {
    const model = await trainTinyModel();
    // A query that is itself in the corpus is its own nearest neighbour (cosine 1).
    const hits = await searchByAffect({ model: model.dir, corpus: CORPUS, query: 'calm and peaceful', k: 3 });
    expect(hits).toHaveLength(3);
    expect(hits[0]?.text).toBe('calm and peaceful');
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));

    await initBackend();
    const loaded = await loadCarlModel(model.dir);
    const index = AffectIndex.build(loaded, CORPUS);
    const point = index.va[2] as { valence: number; arousal: number };
    const near = index.searchVA(point, CORPUS.length);
    expect(near[0]?.text).toBe('furious and loud');
    expect(near[0]?.score).toBeCloseTo(0, 6);
    expect(near.map((h) => h.score)).toEqual([...near.map((h) => h.score)].sort((a, b) => a - b));
    loaded.dispose();
    model.cleanup();
   }, 120_000);
});
