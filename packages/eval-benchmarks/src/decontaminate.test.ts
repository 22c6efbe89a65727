import { contaminationSet, decontaminate, normalizeSentence, splitSentences } from './decontaminate';

describe('normalizeSentence', () => {
  it('lowercases and folds punctuation, symbols and whitespace', () => {
    expect(normalizeSentence("  It's a GREAT -- film!! ")).toBe('it s a great film');
    // SST's tokenised form and MR's raw form of the same review sentence meet
    expect(normalizeSentence("it 's a charming , funny movie .")).toBe(normalizeSentence("It's a charming, funny movie."));
    expect(normalizeSentence('Ｆｕｌｌ\u00a0width\tand\nbreaks')).toBe('full width and breaks');
    expect(normalizeSentence('?!...')).toBe('');
  });
});

describe('splitSentences', () => {
  it('cuts at sentence ends followed by space and at line breaks', () => {
    expect(splitSentences('Loved it. Would watch again!\nTen stars')).toEqual(['Loved it.', 'Would watch again!', 'Ten stars']);
    expect(splitSentences('He said "go." Then left?! Yes')).toEqual(['He said "go."', 'Then left?!', 'Yes']);
    expect(splitSentences('3.5 stars, no split')).toEqual(['3.5 stars, no split']);
  });
});

describe('decontaminate', () => {
  const forbidden = contaminationSet(["a gorgeous , witty film .", 'Boring. Too long.']);

  it('removes exactly the sentences that appear in the evaluation texts and counts them', () => {
    const report = decontaminate(['A gorgeous, witty film! I cried.', 'Too long', 'Fine movie.', 'Boring. Too long.'], forbidden);
    expect(report.texts).toEqual(['I cried.', 'Fine movie.']);
    expect(report.sentencesBefore).toBe(6);
    expect(report.sentencesRemoved).toBe(4); // gorgeous…, too long, boring, too long
    expect(report.textsAffected).toBe(3);
    expect(report.textsDropped).toBe(2);
  });

  it('keeps everything when nothing matches, and near-misses are not matches', () => {
    const report = decontaminate(['A gorgeous, witty film indeed.', 'boringly long'], forbidden);
    expect(report.texts).toEqual(['A gorgeous, witty film indeed.', 'boringly long']);
    expect(report.sentencesRemoved).toBe(0);
  });

  it('builds the forbidden set from whole texts and their sentences', () => {
    expect([...contaminationSet(['Great film. Ten stars!', '...'])].sort()).toEqual(['great film', 'great film ten stars', 'ten stars']);
  });
});
