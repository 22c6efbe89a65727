import * as tf from '@tensorflow/tfjs-core';
import { isCarlError, matMul, namedGradients, toEncoderInputs, disposeInputs, type Encoder, type EncoderOutput } from '@carl/core';
import { createToyEncoder, describeWithBackends, expectClose, expectNoTensorLeak, numericGradient } from '@carl/core/testing';
import { createProbeEncoder } from './__fixtures__/probe-encoder';
import { candidateMask } from './matrix';
import { tokenSaliency } from './saliency';

const WORDS = ['the', 'movie', 'was', 'joy', 'dull'];

/** Only `joy` and the specials [PAD], [CLS] have a non-zero first coordinate. */
function probe(): Encoder {
  return createProbeEncoder(WORDS, (id, tok) => {
    const first = tok.idToToken(id) === 'joy' ? 2 : id === tok.specialTokens.cls ? 5 : id === tok.specialTokens.pad ? 3 : 0;
    return [first, 0.3 * Math.sin(id + 1), 0.2 * Math.cos(id)];
  });
}

const firstCoordinate = (out: EncoderOutput): tf.Scalar => tf.sum(tf.slice(out.pooled, [0, 0], [-1, 1]));

function expectThrowsCarl(fn: () => unknown, code: string, field: string): void {
  try {
    fn();
  } catch (error) {
    expect(isCarlError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    expect((error as { location: { field?: string } }).location.field).toBe(field);
    return;
  }
  throw new Error('expected a CarlError');
}

describeWithBackends('tokenSaliency', () => {
  it('ranks first the one token the loss depends on, with hand-computed scores', () => {
    const encoder = probe();
    const batch = encoder.tokenizer.encodeBatch(['the movie was joy', 'joy', 'dull movie']);
    const inputs = toEncoderInputs(batch);
    const joy = 5 + WORDS.indexOf('joy');
    for (const score of ['grad-norm', 'grad-x-input'] as const) {
      const { scores, candidates, loss } = tokenSaliency({ encoder, inputs, specialTokensMask: batch.specialTokensMask, loss: firstCoordinate, score });
      // loss = Σ e_t0² over real tokens: [CLS] 25 ×3, joy 4 ×2 → 83.
      expect(loss).toBeCloseTo(3 * 25 + 2 * 4, 4);
      // ∂L/∂e_joy = (2·2, 0, 0): norm 4, and ∂L/∂e·e = 4·2 = 8. [CLS] has gradient 10 but is masked.
      const expected = score === 'grad-norm' ? 4 : 8;
      batch.inputIds.forEach((ids, i) => {
        ids.forEach((id, j) => expect(scores[i]?.[j]).toBeCloseTo(id === joy ? expected : 0, 4));
      });
      expect(candidates).toEqual(candidateMask(batch.attentionMask, batch.specialTokensMask));
    }
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('never scores special or padding tokens, even when the loss depends on them most', () => {
    const encoder = probe();
    const batch = encoder.tokenizer.encodeBatch(['joy', 'the movie was joy dull']);
    const inputs = toEncoderInputs(batch);
    // Reads the embeddings directly, padding included: [PAD] (3) and [CLS] (5) outweigh joy (2).
    const { scores } = tokenSaliency({
      encoder,
      inputs,
      specialTokensMask: batch.specialTokensMask,
      loss: (_out, e) => tf.sum(tf.square(tf.slice(e, [0, 0, 0], [-1, -1, 1]))),
    });
    expect(Array.from(scores[0] as Float32Array).map((s) => Math.round(s))).toEqual([0, 4, 0, 0, 0, 0, 0]);
    expect(Array.from(scores[1] as Float32Array).map((s) => Math.round(s))).toEqual([0, 0, 0, 0, 4, 0, 0]);
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('derives the special-token mask from the tokenizer ids when none is given', () => {
    const encoder = probe();
    const batch = encoder.tokenizer.encodeBatch(['joy dull', 'the']);
    const inputs = toEncoderInputs(batch);
    const { candidates } = tokenSaliency({ encoder, inputs, loss: firstCoordinate });
    expect(candidates).toEqual([
      [0, 1, 1, 0],
      [0, 1, 0, 0],
    ]);
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('matches finite differences on a ragged batch of long and short sentences', () => {
    const encoder = createToyEncoder({ words: ['so', 'sad', 'and', 'gloomy', 'today', 'happy', 'day'], hiddenSize: 4, seed: 3 });
    const batch = encoder.tokenizer.encodeBatch(['happy day', 'so sad and gloomy today']);
    const inputs = toEncoderInputs(batch);
    const u = tf.tensor2d([[0.7], [-1.1], [0.4], [0.9]]) as tf.Tensor2D;
    const loss = (out: EncoderOutput): tf.Scalar => tf.sum(tf.tanh(matMul(out.pooled, u)));
    const e = tf.tidy(() => encoder.embedTokens(inputs.inputIds));
    const numeric = numericGradient((x) => loss(encoder.forwardFromEmbeddings(x as tf.Tensor3D, inputs)), e, 1e-2);
    const values = e.dataSync();
    const [b, s, h] = e.shape;
    const norm: number[] = [];
    const dot: number[] = [];
    for (let i = 0; i < b; i++) {
      for (let j = 0; j < s; j++) {
        let sq = 0;
        let d = 0;
        for (let k = 0; k < h; k++) {
          const idx = (i * s + j) * h + k;
          sq += (numeric[idx] as number) ** 2;
          d += (numeric[idx] as number) * (values[idx] as number);
        }
        const real = (batch.attentionMask[i] as number[])[j] === 1 && (batch.specialTokensMask[i] as number[])[j] === 0;
        norm.push(real ? Math.sqrt(sq) : 0);
        dot.push(real ? Math.abs(d) : 0);
      }
    }
    const gradNorm = tokenSaliency({ encoder, inputs, loss, specialTokensMask: batch.specialTokensMask, embeddings: e });
    const gradX = tokenSaliency({ encoder, inputs, loss, specialTokensMask: batch.specialTokensMask, embeddings: e, score: 'grad-x-input' });
    expectClose(gradNorm.scores.flatMap((r) => Array.from(r)), norm, 2e-3, 2e-2);
    expectClose(gradX.scores.flatMap((r) => Array.from(r)), dot, 2e-3, 2e-2);
    for (const row of gradNorm.scores) for (const v of row) expect(Number.isFinite(v)).toBe(true);
    expect(gradNorm.scores[0]?.slice(0, 4).every((v, j) => (j === 1 || j === 2 ? v > 0 : v === 0))).toBe(true);
    expect(e.isDisposed).toBe(false); // the caller's embeddings are not consumed
    tf.dispose([e, u]);
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('uses the given forward options, so the gradient sees the step’s dropout mask', () => {
    const encoder = createToyEncoder({ words: ['a', 'b', 'c'], hiddenSize: 8, seed: 5, dropout: 0.5 });
    const batch = encoder.tokenizer.encodeBatch(['a b c a b c']);
    const inputs = toEncoderInputs(batch);
    const loss = (out: EncoderOutput): tf.Scalar => tf.sum(tf.square(out.pooled));
    const run = (forwardOptions: { training: boolean; seed?: number }): number[] =>
      Array.from(tokenSaliency({ encoder, inputs, loss, specialTokensMask: batch.specialTokensMask, forwardOptions }).scores[0] as Float32Array);
    expect(run({ training: true, seed: 11 })).toEqual(run({ training: true, seed: 11 }));
    expect(run({ training: true, seed: 11 })).not.toEqual(run({ training: false }));
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('returns parameter gradients from the same backward pass, equal to a separate one', () => {
    const encoder = createToyEncoder({ words: ['good', 'bad', 'film'], hiddenSize: 4, seed: 8 });
    const batch = encoder.tokenizer.encodeBatch(['good film', 'bad']);
    const inputs = toEncoderInputs(batch);
    const loss = (out: EncoderOutput): tf.Scalar => tf.sum(tf.mul(out.pooled, out.pooled));
    const plain = tokenSaliency({ encoder, inputs, loss, specialTokensMask: batch.specialTokensMask });
    const fused = tokenSaliency({ encoder, inputs, loss, specialTokensMask: batch.specialTokensMask, variables: encoder.variables() });
    expectClose(fused.scores.flatMap((r) => Array.from(r)), plain.scores.flatMap((r) => Array.from(r)), 1e-6, 1e-5);
    expect(fused.loss).toBeCloseTo(plain.loss, 5);
    const reference = namedGradients(() => loss(encoder.forward(inputs)), encoder.variables());
    expect([...(fused.grads as Map<string, tf.Tensor>).keys()].sort()).toEqual([...reference.grads.keys()].sort());
    for (const [name, g] of reference.grads) expectClose(fused.grads?.get(name) as tf.Tensor, g, 1e-6, 1e-5);
    tf.dispose([reference.value, ...reference.grads.values(), ...(fused.grads as Map<string, tf.Tensor>).values()]);
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('leaks no tensors, with or without kept tensors and fused gradients', () => {
    const encoder = createToyEncoder({ words: ['x', 'y'], hiddenSize: 4, seed: 1 });
    const batch = encoder.tokenizer.encodeBatch(['x y', 'y']);
    const inputs = toEncoderInputs(batch);
    const loss = (out: EncoderOutput): tf.Scalar => tf.sum(out.pooled);
    expectNoTensorLeak(() => void tokenSaliency({ encoder, inputs, loss }));
    expectNoTensorLeak(() => {
      const kept = tokenSaliency({ encoder, inputs, loss, keepTensors: true });
      expect(kept.gradient.shape).toEqual([2, 4, 4]);
      expect(kept.embeddings.shape).toEqual([2, 4, 4]);
      tf.dispose([kept.gradient, kept.embeddings]);
    });
    expectNoTensorLeak(() => {
      const fused = tokenSaliency({ encoder, inputs, loss, variables: encoder.variables() });
      fused.grads?.forEach((g) => g.dispose());
    });
    expectNoTensorLeak(() => expect(() => tokenSaliency({ encoder, inputs, loss: (out) => out.pooled as unknown as tf.Scalar })).toThrow());
    disposeInputs(inputs);
    encoder.dispose();
  });

  it('rejects a non-scalar loss, a mis-shaped mask, an unknown score and a non-finite gradient', () => {
    const encoder = createToyEncoder({ words: ['x'], hiddenSize: 4, seed: 1 });
    const batch = encoder.tokenizer.encodeBatch(['x x']);
    const inputs = toEncoderInputs(batch);
    expectThrowsCarl(() => tokenSaliency({ encoder, inputs, loss: (out) => out.pooled as unknown as tf.Scalar }), 'SHAPE_MISMATCH', 'loss');
    expectThrowsCarl(() => tokenSaliency({ encoder, inputs, loss: (out) => tf.sum(out.pooled), specialTokensMask: [[1, 0, 1]] }), 'SHAPE_MISMATCH', 'specialTokensMask[0]');
    expectThrowsCarl(
      () => tokenSaliency({ encoder, inputs, loss: (out) => tf.sum(out.pooled), score: 'attention' as unknown as 'grad-norm' }),
      'INVALID_ARGUMENT',
      'score',
    );
    expectThrowsCarl(() => tokenSaliency({ encoder, inputs, loss: (out) => tf.mul(tf.sum(out.pooled), NaN) }), 'NUMERIC_INSTABILITY', 'loss');
    disposeInputs(inputs);
    encoder.dispose();
  });
});
