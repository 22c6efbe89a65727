import { Random, isCarlError } from '@carl/core';
import { selectTokens, selectionSize } from './selection';

function carlField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isCarlError(error, 'INVALID_ARGUMENT') || isCarlError(error, 'SHAPE_MISMATCH')) return error.location.field;
    throw error;
  }
  return undefined;
}

describe('selectionSize', () => {
  it('takes round(ρ·n) half up, at least minTokens, at most maxTokens and n', () => {
    expect([0, 1, 3, 4, 6, 10, 13, 20, 30, 100].map((n) => selectionSize(n))).toEqual([0, 1, 1, 1, 1, 2, 2, 3, 5, 15]);
    expect(selectionSize(40, { maxTokens: 3 })).toBe(3);
    expect(selectionSize(4, { minTokens: 2 })).toBe(2);
    expect(selectionSize(1, { minTokens: 2 })).toBe(1); // never more than exist
    expect(selectionSize(10, { ratio: 0, minTokens: 0 })).toBe(0);
    expect(selectionSize(10, { ratio: 1 })).toBe(10);
    expect(selectionSize(10, { ratio: 0.25 })).toBe(3); // 2.5 → 3
  });

  it('rejects budgets that make no sense, naming the field', () => {
    expect(carlField(() => selectionSize(10, { ratio: 1.5 }))).toBe('ratio');
    expect(carlField(() => selectionSize(10, { ratio: Number.NaN }))).toBe('ratio');
    expect(carlField(() => selectionSize(10, { minTokens: -1 }))).toBe('minTokens');
    expect(carlField(() => selectionSize(10, { minTokens: 3, maxTokens: 2 }))).toBe('maxTokens');
    expect(carlField(() => selectionSize(-1))).toBe('candidateCount');
  });
});

describe('selectTokens', () => {
  // [CLS] w w w w w w w w w w [SEP] [PAD]: ten candidates, specials carry the largest scores.
  const candidates = [[0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]];
  const scores = [[99, 0.1, 0.5, 0.3, 0.9, 0.2, 0.8, 0.05, 0.4, 0.6, 0.7, 98, 97]];

  it('top: the ρ·n highest-scoring candidates, in position order, never a special or padding token', () => {
    expect(selectTokens({ scores, candidates })).toEqual([[4, 6]]); // 0.9 and 0.8
    expect(selectTokens({ scores, candidates, ratio: 0.5 })).toEqual([[2, 4, 6, 9, 10]]);
    expect(selectTokens({ scores, candidates, ratio: 1 })).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
  });

  it('handles ragged rows: short sentences get at least one token, empty ones none', () => {
    const selected = selectTokens({
      scores: [
        [5, 1, 2, 5],
        [5, 3, 5, 5],
        [5, 5, 0, 0],
      ],
      candidates: [
        [0, 1, 1, 0],
        [0, 1, 0, 0],
        [0, 0, 0, 0],
      ],
    });
    expect(selected).toEqual([[2], [1], []]);
  });

  it('breaks ties by position, and honours maxTokens', () => {
    expect(selectTokens({ scores: [[1, 1, 1, 1]], candidates: [[1, 1, 1, 1]], ratio: 0.5 })).toEqual([[0, 1]]);
    expect(selectTokens({ scores, candidates, ratio: 1, maxTokens: 3 })).toEqual([[4, 6, 10]]);
  });

  it('sample: reproducible per seed, different across seeds, never special', () => {
    const draw = (seed: number): number[][] => {
      const rng = new Random(seed);
      return Array.from({ length: 20 }, () => selectTokens({ scores, candidates, method: 'sample', ratio: 0.3, rng })[0] as number[]);
    };
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    for (const row of a) {
      expect(row).toHaveLength(3);
      expect(new Set(row).size).toBe(3);
      for (const j of row) expect(candidates[0]?.[j]).toBe(1);
    }
  });

  it('sample: draws one token with probability ∝ score^(1/T)', () => {
    const rng = new Random(7);
    const draws = 6000;
    const freq = (temperature: number): number[] => {
      const counts = [0, 0, 0];
      for (let i = 0; i < draws; i++) {
        const [[j]] = selectTokens({ scores: [[1, 2, 5]], candidates: [[1, 1, 1]], method: 'sample', temperature, minTokens: 1, ratio: 0, rng }) as [[number]];
        counts[j] = (counts[j] as number) + 1;
      }
      return counts.map((c) => c / draws);
    };
    // T = 1: 1/8, 2/8, 5/8. T = 2: √1, √2, √5 normalised. Binomial s.d. ≤ 0.0065, so 0.025 is ~4σ.
    freq(1).forEach((p, i) => expect(Math.abs(p - ([1, 2, 5][i] as number) / 8)).toBeLessThan(0.025));
    const root = [1, Math.SQRT2, Math.sqrt(5)];
    const total = root.reduce((a, b) => a + b, 0);
    freq(2).forEach((p, i) => expect(Math.abs(p - (root[i] as number) / total)).toBeLessThan(0.025));
  });

  it('sample: a tiny temperature reproduces top, and zero scores only fill the budget', () => {
    const rng = new Random(3);
    expect(selectTokens({ scores, candidates, method: 'sample', temperature: 1e-3, rng })).toEqual([[4, 6]]);
    const padded = selectTokens({ scores: [[0, 2, 0, 0]], candidates: [[1, 1, 1, 1]], method: 'sample', ratio: 0.5, rng });
    expect(padded[0]).toContain(1);
    expect(padded[0]).toHaveLength(2);
  });

  it('random: the same budget as top, uniform over candidates, ignores scores', () => {
    const rng = new Random(11);
    const counts = new Array<number>(13).fill(0);
    for (let i = 0; i < 2000; i++) {
      const [row] = selectTokens({ candidates, method: 'random', rng }) as [number[]];
      expect(row).toHaveLength(selectTokens({ scores, candidates })[0]?.length as number);
      for (const j of row) counts[j] = (counts[j] as number) + 1;
    }
    expect(counts[0]).toBe(0);
    expect(counts[11]).toBe(0);
    expect(counts[12]).toBe(0);
    // Each candidate is chosen with probability 2/10: 400 of 2000 expected, s.d. ≈ 18.
    for (let j = 1; j <= 10; j++) expect(Math.abs((counts[j] as number) - 400)).toBeLessThan(80);
  });

  it('does not modify its inputs', () => {
    const s = scores.map((r) => r.slice());
    const c = candidates.map((r) => r.slice());
    selectTokens({ scores: s, candidates: c, method: 'random', rng: new Random(1) });
    selectTokens({ scores: s, candidates: c, method: 'sample', rng: new Random(1) });
    expect(s).toEqual(scores);
    expect(c).toEqual(candidates);
  });

  it('rejects missing rng/scores, bad shapes, non-binary masks and bad scores', () => {
    expect(carlField(() => selectTokens({ scores, candidates, method: 'sample' }))).toBe('rng');
    expect(carlField(() => selectTokens({ candidates, method: 'random' }))).toBe('rng');
    expect(carlField(() => selectTokens({ candidates }))).toBe('scores');
    expect(carlField(() => selectTokens({ scores: [[1, 2]], candidates }))).toBe('scores[0]');
    expect(carlField(() => selectTokens({ scores: [[1, 2], [3, 4]], candidates: [[1, 1]] }))).toBe('scores');
    expect(carlField(() => selectTokens({ scores: [[1, 2]], candidates: [[1, 2]] }))).toBe('candidates[0][1]');
    expect(carlField(() => selectTokens({ scores: [[1, Number.NaN]], candidates: [[1, 1]] }))).toBe('scores[0][1]');
    expect(carlField(() => selectTokens({ scores: [[1, -2]], candidates: [[1, 1]], method: 'sample', rng: new Random(1) }))).toBe('scores[0][1]');
    expect(carlField(() => selectTokens({ scores, candidates, method: 'sample', rng: new Random(1), temperature: 0 }))).toBe('temperature');
    expect(carlField(() => selectTokens({ scores, candidates, method: 'best' as 'top' }))).toBe('method');
    expect(selectTokens({ scores: [], candidates: [] })).toEqual([]);
  });
});
