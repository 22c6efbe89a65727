import { Random } from './random';

describe('Random', () => {
  it('is reproducible per seed and differs between seeds', () => {
    const a = new Random(7);
    const b = new Random(7);
    const c = new Random(8);
    const seqA = Array.from({ length: 5 }, () => a.uint32());
    expect(Array.from({ length: 5 }, () => b.uint32())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.uint32())).not.toEqual(seqA);
  });

  it('resumes exactly from a saved state', () => {
    const a = new Random(123);
    a.float();
    const saved = JSON.parse(JSON.stringify(a.getState()));
    const next = [a.float(), a.int(10), a.normal()];
    const b = new Random(saved);
    expect([b.float(), b.int(10), b.normal()]).toEqual(next);
  });

  it('produces roughly uniform floats and unit-variance normals', () => {
    const rng = new Random(1);
    const n = 20000;
    let sum = 0;
    let sq = 0;
    let normSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      sum += u;
      sq += u * u;
      normSq += rng.normal() ** 2;
    }
    expect(sum / n).toBeCloseTo(0.5, 1);
    expect(sq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(normSq / n).toBeCloseTo(1, 1);
  });

  it('shuffles into a permutation and rejects bad int bounds', () => {
    const rng = new Random(3);
    const items = rng.shuffle([1, 2, 3, 4, 5, 6]);
    expect([...items].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rng.int(0)).toThrow(RangeError);
  });
});
