import * as tf from '@tensorflow/tfjs-core';
import { disposeInputs, isCarlError, namedGradients, toEncoderInputs } from '@carl/core';
import type { EncoderInputs } from '@carl/core';
import { describeWithBackends, expectClose } from '@carl/core/testing';
import type { EncoderConfig } from './config';
import { createEncoder } from './create';
import type { TransformerEncoder } from './model';
import { WordPieceTokenizer } from './wordpiece';

const WORDS = ['i', 'am', 'so', 'happy', 'sad', 'today', 'not', 'very', 'really', 'this', 'is', 'great'];
const tokenizer = new WordPieceTokenizer(['[CLS]', '[PAD]', '[SEP]', '[UNK]', '[MASK]', ...WORDS]);
const TEXTS = ['i am so happy', 'this is not very great today really', 'sad', 'really really sad today', 'great', 'i am not happy'];

function small(over: Partial<EncoderConfig> = {}): TransformerEncoder {
  // High dropout so a wrong mask changes the outputs by a lot.
  return createEncoder({
    tokenizer,
    seed: 3,
    withPooler: false, // mean pooling: every remaining parameter gets a gradient
    config: {
      hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 32, maxPositionEmbeddings: 24, initializerRange: 0.2,
      hiddenDropoutProb: 0.3, attentionProbsDropoutProb: 0.3, ...over,
    },
  });
}

function rows(batch: EncoderInputs, start: number, end: number): EncoderInputs {
  const cut = (t: tf.Tensor2D): tf.Tensor2D => tf.slice(t, [start, 0], [end - start, t.shape[1]]);
  return { inputIds: cut(batch.inputIds), attentionMask: cut(batch.attentionMask) };
}

describeWithBackends('encoder micro-batches (rowOffset)', () => {
  for (const architecture of ['bert', 'roberta'] as const) {
    it(`${architecture}: rows [2, 4) with rowOffset 2 draw the dropout masks of rows [2, 4) of the full batch`, () => {
      const encoder = small({ architecture });
      const full = toEncoderInputs(tokenizer.encodeBatch(TEXTS));
      const part = rows(full, 2, 4);
      const options = { training: true, seed: 11 };
      const whole = tf.tidy(() => tf.slice(encoder.forward(full, options).hiddenStates, [2, 0, 0], [2, -1, -1]).arraySync() as number[][][]);
      const shifted = tf.tidy(() => encoder.forward(part, { ...options, rowOffset: 2 }).hiddenStates.arraySync() as number[][][]);
      const unshifted = tf.tidy(() => encoder.forward(part, options).hiddenStates.arraySync() as number[][][]);
      expectClose(shifted.flat(2), whole.flat(2), 1e-5, 1e-4);
      // Without the offset the rows get the first rows' masks: different outputs (so the check has teeth).
      const diff = Math.max(...unshifted.flat(2).map((v, i) => Math.abs(v - (whole.flat(2)[i] as number))));
      expect(diff).toBeGreaterThan(1e-2);
      // Evaluation mode ignores the offset.
      const evalWhole = tf.tidy(() => tf.slice(encoder.forward(full).pooled, [2, 0], [2, -1]).arraySync() as number[][]);
      const evalPart = tf.tidy(() => encoder.forward(part, { rowOffset: 2 }).pooled.arraySync() as number[][]);
      expectClose(evalPart.flat(), evalWhole.flat(), 1e-5, 1e-4);
      disposeInputs(full);
      disposeInputs(part);
      encoder.dispose();
    });
  }

  it('rejects a negative or fractional rowOffset with a typed error', () => {
    const encoder = small();
    const batch = toEncoderInputs(tokenizer.encodeBatch(['sad']));
    for (const rowOffset of [-1, 0.5]) {
      try {
        encoder.forward(batch, { training: true, seed: 1, rowOffset });
        throw new Error('no error');
      } catch (error) {
        expect(isCarlError(error) && error.code === 'INVALID_ARGUMENT' && error.location.field === 'rowOffset').toBe(true);
      }
    }
    disposeInputs(batch);
    encoder.dispose();
  });
});

describeWithBackends('encoder activation recomputation', () => {
  type Result = { loss: number; params: Map<string, Float32Array>; emb: Float32Array };
  const gradientsOf = (encoder: TransformerEncoder, batch: EncoderInputs, weights: tf.Tensor): Result => {
    let result: Result | undefined;
    tf.tidy(() => {
      const emb = encoder.embedTokens(batch.inputIds);
      const lossOf = (e: tf.Tensor3D): tf.Scalar => tf.sum(tf.mul(encoder.forwardFromEmbeddings(e, batch, { training: true, seed: 9, rowOffset: 3 }).pooled, weights));
      const { value, grads } = namedGradients(() => lossOf(encoder.embedTokens(batch.inputIds)), encoder.variables());
      const dEmb = tf.grad((e: tf.Tensor) => lossOf(e as tf.Tensor3D))(emb);
      result = {
        loss: value.dataSync()[0] as number,
        params: new Map([...grads].map(([name, g]) => [name, Float32Array.from(g.dataSync() as Float32Array)])),
        emb: Float32Array.from(dEmb.dataSync() as Float32Array),
      };
    });
    return result as Result;
  };
  const cases = [
    { mode: 'layer', architecture: 'bert', over: {} },
    { mode: 'layer', architecture: 'roberta', over: {} },
    { mode: 'selective', architecture: 'bert', over: {} },
    { mode: 'selective', architecture: 'roberta', over: {} },
    { mode: 'selective', architecture: 'bert', over: { hiddenAct: 'gelu_new' } },
    { mode: 'selective', architecture: 'bert', over: { hiddenAct: 'relu' } },
  ] as const;
  for (const { mode, architecture, over } of cases) {
    it(`${architecture}${'hiddenAct' in over ? ` (${over.hiddenAct})` : ''}: recompute '${mode}' gives the gradients of 'none' (every parameter and the embeddings), dropout on, padding, rowOffset`, () => {
      const encoder = small({ architecture, ...over });
      const batch = toEncoderInputs(tokenizer.encodeBatch(TEXTS.slice(0, 4)));
      const weights = tf.tidy(() => tf.randomNormal([4, 16], 0, 1, 'float32', 5));
      const plain = gradientsOf(encoder, batch, weights);
      const before = tf.memory().numTensors;
      encoder.setRecompute(mode);
      expect(encoder.recompute).toBe(mode);
      const recomputed = gradientsOf(encoder, batch, weights);
      expect(tf.memory().numTensors).toBe(before); // nothing kept by the customGrad
      encoder.setRecompute('none');
      expect(recomputed.loss).toBeCloseTo(plain.loss, 4);
      expect([...recomputed.params.keys()].sort()).toEqual([...plain.params.keys()].sort());
      expect(plain.params.size).toBe(encoder.variables().size);
      for (const [name, g] of plain.params) expectClose(Array.from(recomputed.params.get(name) as Float32Array), Array.from(g), 1e-5, 1e-4);
      expectClose(Array.from(recomputed.emb), Array.from(plain.emb), 1e-5, 1e-4);
      // The layer weights do get gradients (a sum over a dropout-masked batch is far from zero).
      const q = plain.params.get('encoder.layer.1.attention.self.query.weight') as Float32Array;
      expect(Math.max(...Array.from(q).map(Math.abs))).toBeGreaterThan(1e-4);
      weights.dispose();
      disposeInputs(batch);
      encoder.dispose();
    });
  }

  it("'selective' keeps exactly Q, Kᵀ, V, the masked scores, the context, both residual sums, the FFN's inner product and the output per layer", () => {
    // Bytes the tape holds once the forward pass is done, for 1 and 2 layers: the difference is one layer's keep.
    const held = (mode: 'none' | 'selective', layers: number): number => {
      const encoder = small({ numHiddenLayers: layers });
      encoder.setRecompute(mode);
      const batch = toEncoderInputs(tokenizer.encodeBatch(TEXTS.slice(0, 4)));
      let bytes = 0;
      const { value, grads } = namedGradients(() => {
        const before = tf.memory().numBytes;
        const loss = tf.sum(encoder.forward(batch, { training: true, seed: 2 }).pooled) as tf.Scalar;
        bytes = tf.memory().numBytes - before;
        return loss;
      }, encoder.variables());
      tf.dispose([value, ...grads.values()]);
      disposeInputs(batch);
      encoder.dispose();
      return bytes;
    };
    const [hidden, ffn, heads] = [16, 32, 4];
    const { inputIds } = tokenizer.encodeBatch(TEXTS.slice(0, 4));
    const [sentences, seq] = [inputIds.length, (inputIds[0] as number[]).length];
    const selective = held('selective', 2) - held('selective', 1);
    expect(selective).toBe(sentences * seq * (7 * hidden + ffn + heads * seq) * 4);
    // tfjs's own tape keeps several times more per layer.
    expect(held('none', 2) - held('none', 1)).toBeGreaterThan(3 * selective);
  });

  it('is a create option, is kept by clone, and rejects unknown modes', () => {
    const encoder = createEncoder({ tokenizer, seed: 1, recompute: 'layer', config: { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 8 } });
    expect(encoder.recompute).toBe('layer');
    const copy = encoder.clone({ trainable: false });
    expect(copy.recompute).toBe('layer');
    expect(() => encoder.setRecompute('all' as 'layer')).toThrow(/recompute must be one of none, selective, layer/);
    copy.dispose();
    encoder.dispose();
  });
});
