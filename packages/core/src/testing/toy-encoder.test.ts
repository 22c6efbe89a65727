import * as tf from '@tensorflow/tfjs-core';
import { toEncoderInputs, disposeInputs } from '../inputs';
import { describeWithBackends, expectClose } from './index';
import { createToyEncoder } from './toy-encoder';

describeWithBackends('createToyEncoder', () => {
  it('tokenises with specials, pads, counts truncation, and pooling ignores padding', () => {
    const enc = createToyEncoder({ words: ['i', 'am', 'happy', 'sad'], hiddenSize: 4, seed: 1, maxLength: 16 });
    const batch = enc.tokenizer.encodeBatch(['I am happy', 'sad', 'i am happy sad'], { maxLength: 4 });
    expect(batch.inputIds).toEqual([[2, 5, 6, 3], [2, 8, 3, 0], [2, 5, 6, 3]]);
    expect(batch.specialTokensMask[1]).toEqual([1, 0, 1, 1]);
    expect(batch.truncated).toEqual([1, 0, 2]);
    const inputs = toEncoderInputs(enc.tokenizer.encodeBatch(['sad', 'sad']));
    const padded = toEncoderInputs(enc.tokenizer.encodeBatch(['sad', 'i am happy']));
    const a = enc.forward(inputs).pooled;
    const b = enc.forward(padded).pooled;
    expectClose(tf.slice(a, [0, 0], [1, 4]), tf.slice(b, [0, 0], [1, 4]));
    disposeInputs(inputs);
    disposeInputs(padded);
    enc.dispose();
  });

  it('clones into independent variables with equal values', () => {
    const enc = createToyEncoder({ words: ['x'], seed: 2 });
    const copy = enc.clone({ trainable: false });
    const name = 'dense.weight';
    expectClose(copy.variables().get(name) as tf.Variable, enc.variables().get(name) as tf.Variable);
    (enc.variables().get(name) as tf.Variable).assign(tf.zerosLike(enc.variables().get(name) as tf.Variable));
    expect(tf.sum(tf.abs(copy.variables().get(name) as tf.Variable)).dataSync()[0]).toBeGreaterThan(0);
    enc.dispose();
    copy.dispose();
  });
});
