import { fitTfidf, tokenizeWords } from './tfidf';
import type { SparseMatrix } from './sparse';

function dense(x: SparseMatrix, row: number): Map<number, number> {
  const out = new Map<number, number>();
  for (let p = x.indptr[row] as number; p < (x.indptr[row + 1] as number); p++) out.set(x.indices[p] as number, x.values[p] as number);
  return out;
}

describe('tokenizeWords', () => {
  it('lowercases and keeps runs of two or more letters, digits or underscores (scikit-learn’s default pattern)', () => {
    expect(tokenizeWords("It's a GREAT film, 10/10 — I_am ü-ber!")).toEqual(['it', 'great', 'film', '10', '10', 'i_am', 'ber']);
    expect(tokenizeWords('')).toEqual([]);
  });
});

describe('fitTfidf', () => {
  // Hand-worked: n = 4 documents. "I" and "a" are single characters, so "I saw a film" gives saw, film, "saw film".
  const corpus = ['good film', 'bad film', 'good good plot', 'I saw a film'];
  const idf = (df: number): number => Math.log((1 + 4) / (1 + df)) + 1;

  it('builds the sorted 1–2-gram vocabulary with smoothed idf', () => {
    const v = fitTfidf(corpus, { minDf: 1 });
    expect([...v.vocabulary.keys()]).toEqual(['bad', 'bad film', 'film', 'good', 'good film', 'good good', 'good plot', 'plot', 'saw', 'saw film']);
    expect(v.idf[v.vocabulary.get('film') as number]).toBeCloseTo(idf(3), 12); // ln(5/4) + 1
    expect(v.idf[v.vocabulary.get('good') as number]).toBeCloseTo(idf(2), 12);
    expect(v.idf[v.vocabulary.get('plot') as number]).toBeCloseTo(idf(1), 12);
  });

  it('weights with sublinear tf and l2-normalises each row (values checked against the formula and scikit-learn 1.2)', () => {
    const v = fitTfidf(corpus, { minDf: 1 });
    const x = v.transform(corpus);
    const col = (term: string): number => v.vocabulary.get(term) as number;
    // "good good plot": good occurs twice → tf = 1 + ln 2
    const raw = { good: (1 + Math.log(2)) * idf(2), plot: idf(1), gg: idf(1), gp: idf(1) };
    const norm = Math.hypot(raw.good, raw.plot, raw.gg, raw.gp);
    const row2 = dense(x, 2);
    expect(row2.size).toBe(4);
    expect(row2.get(col('good'))).toBeCloseTo(raw.good / norm, 12);
    expect(row2.get(col('good good'))).toBeCloseTo(raw.gg / norm, 12);
    expect(row2.get(col('good'))).toBeCloseTo(0.610443, 6); // TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    const row0 = dense(x, 0);
    expect(row0.get(col('film'))).toBeCloseTo(0.4481, 4);
    expect(row0.get(col('good film'))).toBeCloseTo(0.702035, 6);
    expect([...dense(x, 3).keys()].sort((a, b) => a - b)).toEqual([col('film'), col('saw'), col('saw film')]);
  });

  it('drops terms below minDf, ignores unknown words and gives an all-zero row to a text with none', () => {
    const v = fitTfidf(corpus); // minDf 2: film (3 docs) and good (2) only
    expect([...v.vocabulary.keys()]).toEqual(['film', 'good']);
    const x = v.transform(['great plot', 'film film']);
    expect(x.indptr[1]).toBe(0);
    expect(dense(x, 1).get(v.vocabulary.get('film') as number)).toBeCloseTo(1, 12);
    expect(() => fitTfidf([])).toThrow(/at least one/);
    expect(() => fitTfidf(corpus, { ngramRange: [2, 1] })).toThrow(/ngramRange/);
  });
});
