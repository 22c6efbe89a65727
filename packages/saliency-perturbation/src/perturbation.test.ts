import * as tf from '@tensorflow/tfjs-core';
import { Random, isCarlError } from '@carl/core';
import { describeWithBackends, expectClose, expectNoTensorLeak } from '@carl/core/testing';
import { perturbTokens, type TokenGenerator } from './perturbation';

// Toy vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, words 5…
const SPECIAL = [0, 1, 2, 3, 4];
const inputIds = [
  [2, 5, 6, 7, 8, 3],
  [2, 9, 3, 0, 0, 0],
];
const candidates = [
  [0, 1, 1, 1, 1, 0],
  [0, 1, 0, 0, 0, 0],
];

/** Labels recomputed independently: 1 exactly where the id differs. */
function diff(a: number[][], b: number[][]): number[][] {
  return a.map((row, i) => row.map((id, j) => (id === (b[i] as number[])[j] ? 0 : 1)));
}

function carlField(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isCarlError(error)) return error.location.field;
    throw error;
  }
  return undefined;
}

describe('perturbTokens (ids)', () => {
  it('mask: replaces exactly the selected tokens and labels them, leaving the input untouched', () => {
    const copy = inputIds.map((r) => r.slice());
    const out = perturbTokens({ strategy: 'mask', inputIds: copy, selected: [[1, 3], [1]], candidates, maskTokenId: 4 });
    expect(out.kind).toBe('ids');
    expect(out.inputIds).toEqual([
      [2, 4, 6, 4, 8, 3],
      [2, 4, 3, 0, 0, 0],
    ]);
    expect(out.labels).toEqual([
      [0, 1, 0, 1, 0, 0],
      [0, 1, 0, 0, 0, 0],
    ]);
    expect(copy).toEqual(inputIds);
  });

  it('mask: a token already equal to the mask id counts as unchanged', () => {
    const out = perturbTokens({ strategy: 'mask', inputIds: [[2, 9, 7, 3]], selected: [[1, 2]], maskTokenId: 9 });
    expect(out.labels).toEqual([[0, 0, 1, 0]]);
  });

  it('random: never draws a special token or the original, labels match the changes, reproducible per seed', () => {
    const run = (seed: number): ReturnType<typeof perturbTokens> & { kind: 'ids' } =>
      perturbTokens({ strategy: 'random', inputIds, selected: [[1, 2, 3, 4], [1]], candidates, vocabSize: 12, specialTokenIds: SPECIAL, rng: new Random(seed) });
    const seen = new Set<number>();
    for (let seed = 0; seed < 200; seed++) {
      const out = run(seed);
      expect(out.labels).toEqual(diff(out.inputIds, inputIds));
      expect(out.labels).toEqual([
        [0, 1, 1, 1, 1, 0],
        [0, 1, 0, 0, 0, 0],
      ]);
      out.inputIds.forEach((row, i) =>
        row.forEach((id, j) => {
          if ((candidates[i] as number[])[j] === 0) expect(id).toBe((inputIds[i] as number[])[j]);
          else {
            expect(SPECIAL).not.toContain(id);
            seen.add(id);
          }
        }),
      );
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9, 10, 11]); // every word is reachable
    expect(run(42)).toEqual(run(42));
    expect(run(42)).not.toEqual(run(43));
  });

  it('random: with avoidOriginal off, a draw equal to the original is labelled 0', () => {
    // Only one non-special id exists (5), and the selected tokens already are 5.
    const out = perturbTokens({ strategy: 'random', inputIds: [[2, 5, 5, 3]], selected: [[1, 2]], vocabSize: 6, specialTokenIds: SPECIAL, rng: new Random(1), avoidOriginal: false });
    expect(out.inputIds).toEqual([[2, 5, 5, 3]]);
    expect(out.labels).toEqual([[0, 0, 0, 0]]);
    // With avoidOriginal on there is no allowed id at all, so the token stays and is labelled 0.
    const none = perturbTokens({ strategy: 'random', inputIds: [[2, 5, 3]], selected: [[1]], vocabSize: 6, specialTokenIds: SPECIAL, rng: new Random(1) });
    expect(none.labels).toEqual([[0, 0, 0]]);
  });

  it('generator: sees the masked input, its samples replace the selection; equal or special samples count as unchanged', () => {
    const calls: Array<{ ids: number[][]; positions: readonly (readonly number[])[] }> = [];
    const rng = new Random(3);
    const generator: TokenGenerator = (ids, positions, stream) => {
      expect(stream).toBe(rng);
      calls.push({ ids: ids.map((r) => r.slice()), positions });
      // sentence 0: a new word, the original word back, a special token; sentence 1: a new word
      return [[10, 7, 3], [11]];
    };
    const out = perturbTokens({ strategy: 'generator', inputIds, selected: [[1, 3, 4], [1]], candidates, generator, rng, maskTokenId: 4, specialTokenIds: SPECIAL, vocabSize: 12 });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.ids).toEqual([
      [2, 4, 6, 4, 4, 3],
      [2, 4, 3, 0, 0, 0],
    ]);
    expect(calls[0]?.positions).toEqual([[1, 3, 4], [1]]);
    expect(out.inputIds).toEqual([
      [2, 10, 6, 7, 8, 3],
      [2, 11, 3, 0, 0, 0],
    ]);
    expect(out.labels).toEqual([
      [0, 1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0, 0],
    ]);
    // Without a mask id the generator sees the original tokens.
    let seen: readonly (readonly number[])[] = [];
    perturbTokens({ strategy: 'generator', inputIds, selected: [[1], []], rng, generator: (ids, p) => ((seen = ids), p.map((r) => r.map(() => 5))) });
    expect(seen).toEqual(inputIds);
  });

  it('generator: rejects a wrong number of samples, an out-of-vocabulary id or a missing rng', () => {
    const rng = new Random(1);
    expect(carlField(() => perturbTokens({ strategy: 'generator', inputIds, selected: [[1], [1]], rng, generator: () => [[5]] }))).toBe('generator');
    expect(carlField(() => perturbTokens({ strategy: 'generator', inputIds, selected: [[1, 2], [1]], rng, generator: () => [[5], [6]] }))).toBe('generator[0]');
    expect(carlField(() => perturbTokens({ strategy: 'generator', inputIds, selected: [[1], [1]], rng, generator: () => [[5], [12]], vocabSize: 12 }))).toBe('generator[1][0]');
    expect(carlField(() => perturbTokens({ strategy: 'generator', inputIds, selected: [[1], [1]], generator: () => [[5], [6]] } as unknown as Parameters<typeof perturbTokens>[0]))).toBe('rng');
  });

  it('generator: accepts a sampler typed like @carl/encoder’s MLM sampler and passes the stream on', () => {
    // A sampler that accepts more than core's TokenGenerator needs (rows or a tensor) still fits it.
    const sampler = (_ids: readonly (readonly number[])[] | tf.Tensor2D, positions: readonly (readonly number[])[], rng: Random): number[][] =>
      positions.map((row) => row.map(() => 10 + rng.int(2)));
    const a = perturbTokens({ strategy: 'generator', inputIds, selected: [[2, 4], [1]], rng: new Random(8), generator: sampler, maskTokenId: 4 });
    const b = perturbTokens({ strategy: 'generator', inputIds, selected: [[2, 4], [1]], rng: new Random(8), generator: sampler, maskTokenId: 4 });
    expect(a).toEqual(b);
    expect(a.labels).toEqual([
      [0, 0, 1, 0, 1, 0],
      [0, 1, 0, 0, 0, 0],
    ]);
  });

  it('refuses to perturb special or padding tokens, repeated, fractional or out-of-range positions', () => {
    const base = { strategy: 'mask' as const, inputIds, candidates, maskTokenId: 4 };
    expect(carlField(() => perturbTokens({ ...base, selected: [[0], []] }))).toBe('selected[0][0]'); // [CLS]
    expect(carlField(() => perturbTokens({ ...base, selected: [[], [4]] }))).toBe('selected[1][0]'); // padding
    expect(carlField(() => perturbTokens({ ...base, selected: [[1, 1], []] }))).toBe('selected[0][1]');
    expect(carlField(() => perturbTokens({ ...base, selected: [[1.5], []] }))).toBe('selected[0][0]');
    expect(carlField(() => perturbTokens({ ...base, selected: [[6], []] }))).toBe('selected[0][0]');
    expect(carlField(() => perturbTokens({ ...base, selected: [[1]] }))).toBe('selected');
    expect(carlField(() => perturbTokens({ ...base, selected: [[1], []], maskTokenId: -1 }))).toBe('maskTokenId');
    expect(carlField(() => perturbTokens({ ...base, inputIds: [[2, 5], [2]], selected: [[1], []] }))).toBe('inputIds[1]');
    expect(carlField(() => perturbTokens({ strategy: 'random', inputIds, selected: [[1], []], vocabSize: 0, specialTokenIds: [], rng: new Random(1) }))).toBe('vocabSize');
    expect(carlField(() => perturbTokens({ strategy: 'unknown' } as unknown as Parameters<typeof perturbTokens>[0]))).toBe('strategy');
  });
});

describeWithBackends('perturbTokens (embedding)', () => {
  // Two sentences of three tokens, hidden 2.
  const e = [
    [[1, 2], [3, 4], [5, 6]],
    [[0, 1], [1, 0], [2, 2]],
  ];
  const g = [
    [[3, 4], [0, 0], [1, -1]],
    [[0, -2], [6, 8], [1, 1]],
  ];

  it('moves the selected tokens by ε·g/‖g‖ and labels exactly the moved ones', () => {
    const embeddings = tf.tensor3d(e);
    const gradient = tf.tensor3d(g);
    const out = perturbTokens({ strategy: 'embedding', embeddings, gradient, selected: [[0, 1], [1]], epsilon: 0.5 });
    expect(out.kind).toBe('embeddings');
    // Token (0,0): g/‖g‖ = (0.6, 0.8) → +(0.3, 0.4). Token (0,1): zero gradient → unchanged, label 0.
    // Token (1,1): (0.6, 0.8) → +(0.3, 0.4). Token (0,2) has a gradient but is not selected.
    expectClose(out.embeddings, [1.3, 2.4, 3, 4, 5, 6, 0, 1, 1.3, 0.4, 2, 2]);
    expectClose(out.delta, [0.3, 0.4, 0, 0, 0, 0, 0, 0, 0.3, 0.4, 0, 0]);
    expect(out.labels).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    tf.dispose([embeddings, gradient, out.embeddings, out.delta]);
  });

  it('sign direction and relative ε', () => {
    const embeddings = tf.tensor3d(e);
    const gradient = tf.tensor3d(g);
    const sign = perturbTokens({ strategy: 'embedding', embeddings, gradient, selected: [[2], [0]], epsilon: 0.1, direction: 'sign' });
    // (0,2): sign(1, −1)·0.1; (1,0): sign(0, −2)·0.1 = (0, −0.1).
    expectClose(sign.delta, [0, 0, 0, 0, 0.1, -0.1, 0, -0.1, 0, 0, 0, 0]);
    expect(sign.labels).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    // relative: step ε·‖e_t‖ along g/‖g‖; token (0,0): ‖e‖ = √5, so δ = 0.1·√5·(0.6, 0.8).
    const rel = perturbTokens({ strategy: 'embedding', embeddings, gradient, selected: [[0], []], epsilon: 0.1, epsilonMode: 'relative' });
    const r = 0.1 * Math.sqrt(5);
    expectClose(rel.delta, [0.6 * r, 0.8 * r, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    tf.dispose([embeddings, gradient, sign.embeddings, sign.delta, rel.embeddings, rel.delta]);
  });

  it('ε = 0 changes nothing and labels nothing; no tensor is leaked', () => {
    const embeddings = tf.tensor3d(e);
    const gradient = tf.tensor3d(g);
    expectNoTensorLeak(() => {
      const out = perturbTokens({ strategy: 'embedding', embeddings, gradient, selected: [[0, 1, 2], [0, 1, 2]], epsilon: 0 });
      expect(out.labels.flat().every((l) => l === 0)).toBe(true);
      expectClose(out.embeddings, embeddings);
      tf.dispose([out.embeddings, out.delta]);
    });
    tf.dispose([embeddings, gradient]);
  });

  it('rejects mismatched shapes, negative ε and special positions', () => {
    const embeddings = tf.tensor3d(e);
    const gradient = tf.tensor3d(g);
    const wrong = tf.zeros([2, 3, 3]) as tf.Tensor3D;
    expect(carlField(() => perturbTokens({ strategy: 'embedding', embeddings, gradient: wrong, selected: [[0], []], epsilon: 1 }))).toBe('gradient');
    expect(carlField(() => perturbTokens({ strategy: 'embedding', embeddings, gradient, selected: [[0], []], epsilon: -1 }))).toBe('epsilon');
    expect(carlField(() => perturbTokens({ strategy: 'embedding', embeddings, gradient, selected: [[0], []], epsilon: 1, candidates: [[0, 1, 1], [1, 1, 1]] }))).toBe('selected[0][0]');
    tf.dispose([embeddings, gradient, wrong]);
  });
});
