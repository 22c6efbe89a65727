import * as path from 'node:path';
import { isCarlError, type LabeledText } from '@carl/core';
import { SCHEME_LABELS, categoryCentroids, centroidsFor, centroidsFromCorpus, labelsToVA, withCentroidVA } from './centroids';
import { loadWarrinerNorms, wordNorms } from './norms';
import { describeWithData, withEnv } from '@carl/core/testing';

// Hand-made norms in unit space for the Ekman words (values are arbitrary but distinct).
const ekmanNorms = wordNorms(
  {
    anger: { valence: -0.6, arousal: 0.6, dominance: 0.1 },
    disgust: { valence: -0.5, arousal: 0.2, dominance: 0 },
    fear: { valence: -0.5, arousal: 0.3, dominance: -0.4 },
    joy: { valence: 0.8, arousal: 0.1, dominance: 0.5 },
    happiness: { valence: 0.9, arousal: 0.4, dominance: 0.5 },
    neutral: { valence: 0.1, arousal: -0.4, dominance: 0.2 },
    sadness: { valence: -0.7, arousal: -0.5, dominance: -0.3 },
    surprise: { valence: 0.6, arousal: 0.4, dominance: 0 },
  },
  { name: 'fixture-norms' },
);

describe('categoryCentroids', () => {
  it('reads each category word from the norms, in scheme order, with provenance', () => {
    const c = categoryCentroids('ekman', { norms: ekmanNorms });
    expect(c.labels).toEqual(SCHEME_LABELS.ekman);
    expect(c.centroids.fear).toEqual({ valence: -0.5, arousal: 0.3, dominance: -0.4 });
    expect(c.provenance.fear).toEqual({ method: 'word-norms', detail: 'fixture-norms (fixture-norms): mean of "fear"', words: ['fear'] });
  });

  it('averages several words and applies overrides', () => {
    const c = categoryCentroids('ekman', {
      norms: ekmanNorms,
      words: { joy: ['joy', 'happiness'] },
      overrides: { surprise: { valence: 0, arousal: 0.6 } },
    });
    expect(c.centroids.joy?.valence).toBeCloseTo(0.85, 12);
    expect(c.centroids.joy?.arousal).toBeCloseTo(0.25, 12);
    expect(c.centroids.surprise).toEqual({ valence: 0, arousal: 0.6 });
    expect(c.provenance.surprise?.method).toBe('override');
  });

  it('names the label and word it cannot find, and rejects bad overrides', () => {
    expect(() => categoryCentroids('isear', { norms: ekmanNorms })).toThrow(/no valence and arousal for "shame" \(label "shame"\)/);
    expect(() => categoryCentroids('ekman', { norms: ekmanNorms, overrides: { glee: { valence: 0, arousal: 0 } } })).toThrow(/unknown label "glee"/);
    expect(() => categoryCentroids('ekman', { norms: ekmanNorms, overrides: { joy: { valence: 2, arousal: 0 } } })).toThrow(/overrides\.joy\.valence/);
    expect(() => categoryCentroids('plutchik' as 'ekman')).toThrow(/unknown scheme/);
  });

  it('needs no norms when every label is overridden, and says where to get them otherwise', () => {
    withEnv({ CARL_DATA_DIR: undefined }, () => {
      const c = centroidsFor(['up', 'down'], { overrides: { up: { valence: 0.5, arousal: 0.5 }, down: { valence: -0.5, arousal: -0.5 } } });
      expect(c.scheme).toBe('custom');
      try {
        categoryCentroids('dair-ai');
        throw new Error('expected a throw');
      } catch (e) {
        expect(isCarlError(e, 'DATASET_NOT_FOUND')).toBe(true);
        expect((e as Error).message).toMatch(/CC BY-NC-ND/);
      }
    });
  });
});

describe('centroidsFromCorpus', () => {
  const rows: LabeledText[] = [
    { id: '1', text: 'a', labels: ['joy'], va: { valence: 0.8, arousal: 0.2 } },
    { id: '2', text: 'b', labels: ['joy'], va: { valence: 0.6, arousal: 0.4 } },
    { id: '3', text: 'c', labels: ['fear'], va: { valence: -0.5, arousal: 0.5 } },
    { id: '4', text: 'd', labels: ['joy', 'fear'], va: { valence: 0.1, arousal: 0.8 } },
    { id: '5', text: 'e', labels: ['fear'] }, // no va: ignored
  ];

  it('averages single-label rows by default', () => {
    const c = centroidsFromCorpus(rows);
    expect(c.labels).toEqual(['joy', 'fear']);
    expect(c.centroids.joy?.valence).toBeCloseTo(0.7, 12);
    expect(c.centroids.joy?.arousal).toBeCloseTo(0.3, 12);
    expect(c.centroids.fear).toEqual({ valence: -0.5, arousal: 0.5 });
    expect(c.provenance.joy).toEqual({ method: 'corpus', detail: 'mean of 2 single-label rows', count: 2 });
  });

  it("lets multi-label rows count for each label with multiLabel: 'all'", () => {
    const c = centroidsFromCorpus(rows, { multiLabel: 'all', labels: ['fear', 'joy'] });
    expect(c.labels).toEqual(['fear', 'joy']);
    expect(c.centroids.joy?.valence).toBeCloseTo(1.5 / 3, 12);
    expect(c.centroids.fear?.arousal).toBeCloseTo(0.65, 12);
  });

  it('fails clearly when a requested label has no rated rows, or nothing is rated', () => {
    expect(() => centroidsFromCorpus(rows, { labels: ['joy', 'anger'] })).toThrow(/label "anger"/);
    expect(() => centroidsFromCorpus([{ id: '1', text: 'x', labels: ['joy'] }])).toThrow(/no row has both/);
  });
});

describe('labelsToVA and withCentroidVA', () => {
  const c = categoryCentroids('ekman', { norms: ekmanNorms });

  it('uses the centroid, or the mean of centroids for multi-label rows', () => {
    expect(labelsToVA(['joy'], c)).toEqual({ valence: 0.8, arousal: 0.1, dominance: 0.5 });
    const both = labelsToVA(['joy', 'sadness'], c);
    expect(both.valence).toBeCloseTo(0.05, 12);
    expect(both.arousal).toBeCloseTo(-0.2, 12);
    expect(() => labelsToVA(['glee'], c)).toThrow(/no centroid for label "glee"/);
    expect(() => labelsToVA([], c)).toThrow(/without labels/);
  });

  it('fills va only where missing, unless asked to overwrite', () => {
    const rows: LabeledText[] = [
      { id: '1', text: 'x', labels: ['fear'] },
      { id: '2', text: 'y', labels: ['joy'], va: { valence: 0, arousal: 0 } },
    ];
    const out = withCentroidVA(rows, c);
    expect(out[0]?.va).toEqual(c.centroids.fear);
    expect(out[1]?.va).toEqual({ valence: 0, arousal: 0 });
    expect(withCentroidVA(rows, c, { overwrite: true })[1]?.va).toEqual(c.centroids.joy);
    expect(() => withCentroidVA([{ id: '3', text: 'z' }], c)).toThrow(/neither va nor labels/);
  });
});

describeWithData('category centroids from the real Warriner norms', (dataDir) => {
  it('resolves every label of all four schemes; fear = (2.93, 6.14, 3.32) on 1–9', async () => {
    const norms = await loadWarrinerNorms(path.join(dataDir, 'warriner-vad-norms', 'Ratings_Warriner_et_al.csv'));
    for (const scheme of ['ekman', 'goemotions', 'dair-ai', 'isear'] as const) {
      const c = categoryCentroids(scheme, { norms });
      expect(Object.keys(c.centroids)).toHaveLength(SCHEME_LABELS[scheme].length);
    }
    const g = categoryCentroids('goemotions', { norms });
    expect(g.provenance.caring?.words).toEqual(['care']);
    const fear = g.centroids.fear;
    expect(fear?.valence).toBeCloseTo((2.93 - 1) / 4 - 1, 12);
    expect(fear?.arousal).toBeCloseTo((6.14 - 1) / 4 - 1, 12);
    expect(fear?.dominance).toBeCloseTo((3.32 - 1) / 4 - 1, 12);
  });

  it('finds the norms via CARL_DATA_DIR without being told', () => {
    withEnv({ CARL_DATA_DIR: dataDir }, () => {
      const c = categoryCentroids('isear');
      expect(c.provenance.guilt?.detail).toMatch(/warriner-2013/);
      expect(c.centroids.guilt?.valence).toBeCloseTo((2.29 - 1) / 4 - 1, 12);
    });
  });
});
