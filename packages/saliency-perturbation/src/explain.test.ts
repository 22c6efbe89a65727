import * as tf from '@tensorflow/tfjs-core';
import type { EncoderOutput } from '@carl/core';
import { createToyEncoder, describeWithBackends, expectNoTensorLeak } from '@carl/core/testing';
import { createProbeEncoder } from './__fixtures__/probe-encoder';
import { explainSaliency } from './explain';

const WORDS = ['the', 'movie', 'was', 'joy', 'dull'];
const probe = () =>
  createProbeEncoder(WORDS, (id, tok) => [tok.idToToken(id) === 'joy' ? 2 : id === tok.specialTokens.cls ? 5 : 0, 0.1 * id, 0.3]);
const valence = (out: EncoderOutput): tf.Scalar => tf.sum(tf.slice(out.pooled, [0, 0], [-1, 1]));

describeWithBackends('explainSaliency', () => {
  it('returns every token with its score; the word the objective depends on gets 1, specials 0', () => {
    const encoder = probe();
    const ex = explainSaliency(encoder, 'The movie was joy', valence);
    expect(ex.text).toBe('The movie was joy');
    expect(ex.tokens.map((t) => t.token)).toEqual(['[CLS]', 'the', 'movie', 'was', 'joy', '[SEP]']);
    expect(ex.tokens.map((t) => t.special)).toEqual([true, false, false, false, false, true]);
    expect(ex.tokens.map((t) => t.normalized)).toEqual([0, 0, 0, 0, 1, 0]);
    const joy = ex.tokens[4];
    expect(joy?.score).toBeCloseTo(4, 4); // ‖∂L/∂e‖ = 2·2
    expect(joy?.attribution).toBeCloseTo(8, 4); // (4, 0, 0)·(2, ·, ·)
    expect(joy?.position).toBe(4);
    expect(ex.loss).toBeCloseTo(25 + 4, 4);
    expect(ex.truncated).toBe(0);
    // The objective's sign flips the attribution, not the score.
    const negative = explainSaliency(encoder, 'The movie was joy', (out) => tf.neg(valence(out)));
    expect(negative.tokens[4]?.attribution).toBeCloseTo(-8, 4);
    expect(negative.tokens[4]?.score).toBeCloseTo(4, 4);
    encoder.dispose();
  });

  it('explains a batch without padding tokens, handles empty and truncated texts', () => {
    const encoder = probe();
    const [a, b, empty] = explainSaliency(encoder, ['joy', 'dull movie was joy', ''], valence);
    expect(a?.tokens.map((t) => t.token)).toEqual(['[CLS]', 'joy', '[SEP]']);
    expect(b?.tokens.find((t) => t.token === 'joy')?.normalized).toBe(1);
    expect(empty?.tokens.map((t) => t.token)).toEqual(['[CLS]', '[SEP]']);
    expect(empty?.tokens.every((t) => t.score === 0 && t.normalized === 0)).toBe(true);
    const cut = explainSaliency(encoder, 'the movie was joy', valence, { maxLength: 4 });
    expect(cut.truncated).toBe(2);
    expect(cut.tokens.map((t) => t.token)).toEqual(['[CLS]', 'the', 'movie', '[SEP]']);
    expect(explainSaliency(encoder, [], valence)).toEqual([]);
    encoder.dispose();
  });

  it('is deterministic with dropout (evaluation mode by default) and leaks nothing', () => {
    const encoder = createToyEncoder({ words: ['good', 'bad', 'day'], hiddenSize: 8, seed: 2, dropout: 0.5 });
    const objective = (out: EncoderOutput): tf.Scalar => tf.sum(tf.square(out.pooled));
    const first = explainSaliency(encoder, 'good bad day', objective);
    expectNoTensorLeak(() => expect(explainSaliency(encoder, 'good bad day', objective)).toEqual(first));
    expect(first.tokens.filter((t) => !t.special).every((t) => t.score > 0)).toBe(true);
    expect(() => explainSaliency(encoder, [3 as unknown as string], objective)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    encoder.dispose();
  });
});
