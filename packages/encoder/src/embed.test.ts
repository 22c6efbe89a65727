import * as tf from '@tensorflow/tfjs-core';
import { disposeInputs, toEncoderInputs } from '@carl/core';
import { createToyEncoder, describeWithBackends, expectClose } from '@carl/core/testing';
import { embedTexts } from './embed';

describeWithBackends('embedTexts (any core Encoder)', () => {
  const texts = ['so glad', 'a much longer sad sentence here', 'calm', 'so sad'];

  it('gives each text its own pooled row (as one unbatched forward), in input order, with progress per batch', () => {
    const encoder = createToyEncoder({ words: ['so', 'glad', 'sad', 'calm', 'a', 'much', 'longer', 'sentence', 'here'], hiddenSize: 6, seed: 2 });
    const done: number[] = [];
    const out = embedTexts(encoder, texts, { batchSize: 3, onBatch: (n) => done.push(n) });
    expect(done).toEqual([3, 4]);
    texts.forEach((text, i) => {
      const inputs = toEncoderInputs(encoder.tokenizer.encodeBatch([text], { maxLength: encoder.maxLength }));
      const alone = tf.tidy(() => encoder.forward(inputs, { training: false }).pooled.dataSync());
      disposeInputs(inputs);
      expectClose(out[i] as Float32Array, alone, 1e-5, 1e-5);
    });
    // normalize: the same directions with unit length.
    const unit = embedTexts(encoder, texts, { normalize: true });
    unit.forEach((row, i) => {
      const raw = out[i] as Float32Array;
      const norm = Math.hypot(...raw);
      expectClose(row, Array.from(raw, (v) => v / norm), 1e-5, 1e-5);
    });
    expect(() => embedTexts(encoder, texts, { batchSize: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    encoder.dispose();
  });
});
