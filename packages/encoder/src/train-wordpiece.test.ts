import { Random } from '@carl/core';
import { trainWordPiece } from './train-wordpiece';
import { emobankTexts } from './__fixtures__/paths';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

describe('trainWordPiece', () => {
  // Words: "ab" ×3, "abc" ×2, "bc" ×1. Pair counts: (a,##b) 5, (##b,##c) 2, (b,##c) 1.
  // Merge 1: a+##b → "ab" (5). Then (ab,##c) 2 → "abc". Then (b,##c) 1 < minFrequency 2 → stop.
  const corpus = ['ab ab ab', 'abc abc', 'bc'];

  it('learns the hand-worked merges in order, after the specials and the alphabet', () => {
    const tok = trainWordPiece(corpus, { vocabSize: 100, minFrequency: 2 });
    expect(tok.vocab).toEqual([...SPECIALS, 'a', 'b', 'c', '##b', '##c', 'ab', 'abc']);
    expect(tok.tokenize('abc bc ab abd')).toEqual(['abc', 'b', '##c', 'ab', '[UNK]']);
  });

  it('stops at vocabSize and honours minFrequency', () => {
    expect(trainWordPiece(corpus, { vocabSize: 11, minFrequency: 2 }).vocab.slice(-1)).toEqual(['ab']);
    expect(trainWordPiece(corpus, { vocabSize: 100, minFrequency: 1 }).vocab.slice(10)).toEqual(['ab', 'abc', 'bc']);
    expect(trainWordPiece(corpus, { vocabSize: 100, minFrequency: 6 }).vocab.length).toBe(10); // no pair occurs 6 times
  });

  it('breaks ties by id order, independent of the order of the texts', () => {
    const a = trainWordPiece(['cd cd', 'ab ab'], { vocabSize: 100, minFrequency: 2 });
    const b = trainWordPiece(['ab ab', 'cd cd'], { vocabSize: 100, minFrequency: 2 });
    expect(a.vocab).toEqual(b.vocab);
    expect(a.vocab.slice(-2)).toEqual(['ab', 'cd']);
  });

  it('uses the given special tokens and normalisation options', () => {
    const tok = trainWordPiece(['Ünïcode ÜNÏCODE'], {
      vocabSize: 100,
      minFrequency: 1,
      specialTokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', '[EMO]'],
      lowercase: false,
      stripAccents: false,
    });
    expect(tok.vocab.slice(0, 6)).toEqual([...SPECIALS, '[EMO]']);
    expect(tok.vocab).toContain('Ü');
    expect(tok.tokenize('Ünïcode')).toEqual(['Ünïcode']);
    const lower = trainWordPiece(['Ünïcode ÜNÏCODE'], { vocabSize: 100, minFrequency: 1 });
    expect(lower.tokenize('ÜNÏCODE')).toEqual(['unicode']);
  });

  it('keeps the limitAlphabet most frequent characters', () => {
    const tok = trainWordPiece(['aaa bbb c'], { vocabSize: 100, minFrequency: 1, limitAlphabet: 2 });
    expect(tok.vocab.slice(5, 7)).toEqual(['a', 'b']);
    expect(tok.tokenize('c')).toEqual(['[UNK]']);
  });

  it('rejects bad options with typed errors', () => {
    expect(() => trainWordPiece(corpus, { vocabSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', location: { field: 'vocabSize' } }));
    expect(() => trainWordPiece(corpus, { vocabSize: 10, minFrequency: 0.5 })).toThrow(expect.objectContaining({ location: { field: 'minFrequency' } }));
    expect(() => trainWordPiece(corpus, { vocabSize: 10, specialTokens: ['[PAD]', '[PAD]'] })).toThrow(/distinct/);
    expect(() => trainWordPiece([3 as unknown as string], { vocabSize: 10 })).toThrow(expect.objectContaining({ location: { field: 'texts[0]' } }));
  });

  const train = emobankTexts('train');
  (train === undefined ? it.skip : it)(`is deterministic on a real corpus (EmoBank train${train === undefined ? ': skipped, no CARL_DATA_DIR' : ''})`, () => {
    const texts = (train as string[]).slice(0, 3000);
    const first = trainWordPiece(texts, { vocabSize: 1500 });
    const shuffled = new Random(5).shuffle([...texts]);
    const second = trainWordPiece(shuffled, { vocabSize: 1500 });
    expect(second.vocab).toEqual(first.vocab);
    expect(first.vocabSize).toBe(1500);
    // Every merged piece is a real sub-string of the corpus: it re-tokenises to itself.
    for (const piece of first.vocab.slice(-50)) {
      if (!piece.startsWith('##')) expect(first.tokenize(piece)).toEqual([piece]);
    }
  });
});
