import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose } from '@carl/core/testing';
import { createEncoder } from './create';
import { MlmHead, mlmHeadNames } from './mlm';
import { maskTokens } from './pretrain';
import { WordPieceTokenizer } from './wordpiece';

const WORDS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
const tokenizer = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS]);
const config = { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16, initializerRange: 0.3 };

describeWithBackends('MlmHead', () => {
  it('logits = LayerNorm(GELU(dense(h))) · word_embeddingsᵀ + bias (plain-JS reference)', () => {
    const encoder = createEncoder({ tokenizer, config, seed: 4 });
    const head = new MlmHead(encoder, undefined, { seed: 5 });
    const names = mlmHeadNames('bert');
    (head.variables().get(names.bias) as tf.Variable).assign(tf.linspace(-1, 1, 13));
    const h = [0.3, -1.2, 0.5, 2.0, -0.7, 0.1, 0.9, -0.4];
    const got = tf.tidy(() => Array.from(head.logits(tf.tensor2d([h])).dataSync()));
    const val = (name: string): number[] | number[][] => (head.variables().get(name) ?? encoder.variables().get(name))!.arraySync() as number[] | number[][];
    const W = val(names.denseWeight) as number[][];
    const b = val(names.denseBias) as number[];
    const erf = (x: number): number => {
      // Abramowitz–Stegun 7.1.26 is too coarse; integrate the Maclaurin series instead (|x| is small here).
      let sum = 0;
      let term = x;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-x * x) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const t = W.map((row, o) => row.reduce((s, w, i) => s + w * h[i]!, b[o]!)).map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    const mean = t.reduce((s, x) => s + x, 0) / t.length;
    const variance = t.reduce((s, x) => s + (x - mean) ** 2, 0) / t.length;
    const gamma = val(names.normWeight) as number[];
    const beta = val(names.normBias) as number[];
    const n = t.map((x, i) => ((x - mean) / Math.sqrt(variance + 1e-12)) * gamma[i]! + beta[i]!);
    const table = val('embeddings.word_embeddings.weight') as number[][];
    const bias = val(names.bias) as number[];
    expectClose(got, table.map((row, v) => row.reduce((s, e, i) => s + e * n[i]!, bias[v]!)), 1e-5, 1e-4);
    head.dispose();
    encoder.dispose();
  });

  it('generator samples from the head, never a special token nor the original token', () => {
    const encoder = createEncoder({ tokenizer, config, seed: 4 });
    const head = new MlmHead(encoder, undefined, { seed: 5 });
    const bias = head.variables().get(mlmHeadNames('bert').bias) as tf.Variable;
    // Make [MASK] (4) and 'c' (7) overwhelmingly likely: [MASK] is banned, so 'c' wins unless it is the original.
    bias.assign(tf.tensor1d(Array.from({ length: 13 }, (_, i) => (i === 4 ? 80 : i === 7 ? 40 : 0))));
    const generate = head.generator();
    const ids = [
      [2, 5, 6, 7, 3],
      [2, 8, 3, 0, 0],
    ];
    const out = generate(ids, [[1, 3], [1]], new Random(1));
    expect(out[0]?.[0]).toBe(7);
    expect(out[1]).toEqual([7]);
    expect(out[0]?.[1]).not.toBe(7); // position 3 holds 'c' already
    expect([0, 1, 2, 3, 4]).not.toContain(out[0]?.[1]);
    // A flat distribution: many draws, none special, reproducible from the rng.
    bias.assign(tf.zeros([13]));
    const many = generate([Array(12).fill(5)], [Array.from({ length: 12 }, (_, i) => i)], new Random(7))[0] as number[];
    expect(many.every((id) => id >= 6 && id < 13)).toBe(true);
    expect(generate([Array(12).fill(5)], [Array.from({ length: 12 }, (_, i) => i)], new Random(7))[0]).toEqual(many);
    expect(generate(ids, [[], []], new Random(1))).toEqual([[], []]);
    expect(() => generate(ids, [[9], []], new Random(1))).toThrow(expect.objectContaining({ location: { field: 'positions[0]' } }));
    expect(() => generate(ids, [[1]], new Random(1))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH' }));
    head.dispose();
    encoder.dispose();
  });

  it('rejects head weights of the wrong shape or name', () => {
    const encoder = createEncoder({ tokenizer, config });
    const names = mlmHeadNames('bert');
    const good = new Map<string, tf.Tensor>([
      [names.denseWeight, tf.zeros([8, 8])],
      [names.denseBias, tf.zeros([8])],
      [names.normWeight, tf.ones([8])],
      [names.normBias, tf.zeros([8])],
      [names.bias, tf.zeros([13])],
    ]);
    expect(() => new MlmHead(encoder, new Map([...good, [names.bias, tf.zeros([12])]]))).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', location: { field: names.bias } }));
    expect(() => new MlmHead(encoder, new Map([...good, ['cls.predictions.extra', tf.zeros([1])]]))).toThrow(/not a parameter/);
    new MlmHead(encoder, good).dispose();
    encoder.dispose();
  });
}, ['wasm']);

describe('maskTokens', () => {
  const vocab = { mask: 4, vocabSize: 13, special: new Set([0, 1, 2, 3, 4]) };
  const batch = tokenizer.encodeBatch(Array.from({ length: 400 }, (_, i) => WORDS.slice(0, 3 + (i % 6)).join(' ')));

  it('selects ~15% of real tokens, at least one per text, never specials or padding; 80/10/10 replacement', () => {
    const masked = maskTokens(batch, vocab, 0.15, new Random(3));
    const seq = batch.inputIds[0]?.length as number;
    const real = batch.specialTokensMask.flat().filter((s) => s === 0).length;
    const rate = masked.positions.length / real;
    // Texts have n = 3…8 real tokens; a text gets 0.15·n picks on average plus one forced pick when
    // none was drawn (probability 0.85ⁿ): expected rate Σ(0.15n + 0.85ⁿ) / Σn ≈ 0.227.
    const lengths = [3, 4, 5, 6, 7, 8];
    const expectedRate = lengths.reduce((s, n) => s + 0.15 * n + 0.85 ** n, 0) / lengths.reduce((s, n) => s + n, 0);
    expect(Math.abs(rate - expectedRate)).toBeLessThan(0.02);
    let toMask = 0;
    let kept = 0;
    masked.positions.forEach((flat, k) => {
      const [i, j] = [Math.floor(flat / seq), flat % seq];
      expect(batch.specialTokensMask[i]?.[j]).toBe(0);
      expect(masked.labels[k]).toBe(batch.inputIds[i]?.[j]);
      const now = masked.inputIds[i]?.[j] as number;
      if (now === 4) toMask += 1;
      else if (now === masked.labels[k]) kept += 1;
      else expect(vocab.special.has(now)).toBe(false);
    });
    expect(toMask / masked.positions.length).toBeGreaterThan(0.74);
    expect(toMask / masked.positions.length).toBeLessThan(0.86);
    expect(kept / masked.positions.length).toBeLessThan(0.2); // 10% kept + random hits of the same token
    const perRow = new Set(masked.positions.map((p) => Math.floor(p / seq)));
    expect(perRow.size).toBe(400);
    expect(maskTokens(batch, vocab, 0.15, new Random(3))).toEqual(masked);
  });

  it('rejects a probability outside (0, 1]', () => {
    expect(() => maskTokens(batch, vocab, 0, new Random(1))).toThrow(expect.objectContaining({ location: { field: 'maskProbability' } }));
  });
});
