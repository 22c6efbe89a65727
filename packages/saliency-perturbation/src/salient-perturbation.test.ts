import * as tf from '@tensorflow/tfjs-core';
import { Random, namedGradients, toEncoderInputs, disposeInputs, type EncoderOutput, type Encoder, type TokenizedBatch, type TokenMatrix } from '@carl/core';
import { createToyEncoder, describeWithBackends, expectNoTensorLeak } from '@carl/core/testing';
import { PerturbedTokenDetectionHead } from './detection-head';
import { perturbedTokenDetectionLoss } from './detection-loss';
import type { PerturbationSpec } from './salient-perturbation';
import { perturbSalientTokens } from './salient-perturbation';
import { selectionSize } from './selection';

const WORDS = 'i am so happy today but the ending was sad and awful really quite bad film'.split(' ');
const TEXTS = ['happy', 'i am so happy today but the ending was sad and awful really quite bad film', 'sad film'];

/** A stand-in for the trainer's sentence loss: pull every pooled embedding towards an anchor. */
const anchor = (hidden: number): tf.Tensor1D => tf.tensor1d(Array.from({ length: hidden }, (_, k) => Math.cos(k)));
const sentenceLoss =
  (a: tf.Tensor1D) =>
  (out: EncoderOutput): tf.Scalar =>
    tf.mean(tf.square(tf.sub(out.pooled, a)));

/** A generator that proposes the next word of the vocabulary (never a special id). */
const nextWord = (ids: TokenMatrix, positions: TokenMatrix): number[][] => positions.map((row, i) => row.map((j) => 5 + (((ids[i] as number[])[j] as number) % WORDS.length)));

function setup(): { encoder: Encoder; head: PerturbedTokenDetectionHead; batch: TokenizedBatch; a: tf.Tensor1D } {
  const encoder = createToyEncoder({ words: WORDS, hiddenSize: 8, seed: 4 });
  const head = new PerturbedTokenDetectionHead({ hiddenSize: 8, seed: 5 });
  return { encoder, head, batch: encoder.tokenizer.encodeBatch(TEXTS), a: anchor(8) };
}

describeWithBackends('perturbSalientTokens + detection: one PTD step', () => {
  const specs: PerturbationSpec[] = [
    { strategy: 'mask' },
    { strategy: 'random' },
    { strategy: 'generator', generator: nextWord },
    { strategy: 'embedding', epsilon: 0.5 },
  ];

  for (const spec of specs) {
    it(`${spec.strategy}: perturbs ρ of the real tokens, never specials, and the step has finite gradients for long and short sentences`, () => {
      const { encoder, head, batch, a } = setup();
      const rng = new Random(1);
      const before = tf.memory().numTensors;
      const { perturbed, selected, saliency } = perturbSalientTokens({ encoder, batch, loss: sentenceLoss(a), perturbation: spec, rng, ratio: 0.15 });

      selected.forEach((row, i) => {
        const real = (saliency.candidates[i] as number[]).filter((c) => c === 1).length;
        expect(row).toHaveLength(selectionSize(real));
        for (const j of row) expect((batch.specialTokensMask[i] as number[])[j]).toBe(0);
      });
      // Labels are 1 only at selected positions; every selected token really changed here
      // (the mask id, a different word, the next word, or a non-zero gradient step).
      perturbed.labels.forEach((row, i) => row.forEach((l, j) => expect(l).toBe((selected[i] as number[]).includes(j) ? 1 : 0)));

      const params = new Map([...encoder.variables(), ...head.variables()]);
      const inputs = toEncoderInputs(batch);
      const perturbedInputs = perturbed.kind === 'ids' ? toEncoderInputs({ ...batch, inputIds: perturbed.inputIds }) : inputs;
      if (perturbed.kind === 'ids') {
        perturbed.inputIds.forEach((row, i) => row.forEach((id, j) => (batch.specialTokensMask[i] as number[])[j] === 1 && expect(id).toBe((batch.inputIds[i] as number[])[j])));
      }
      const { value, grads } = namedGradients(() => {
        const embeddings =
          perturbed.kind === 'ids' ? encoder.embedTokens(perturbedInputs.inputIds) : (tf.add(encoder.embedTokens(inputs.inputIds), perturbed.delta) as tf.Tensor3D);
        const out = encoder.forwardFromEmbeddings(embeddings, perturbedInputs, { training: true, seed: 3 });
        return perturbedTokenDetectionLoss(head.forward(out.hiddenStates), perturbed.labels, batch.attentionMask);
      }, params);
      expect(Number.isFinite(value.dataSync()[0] as number)).toBe(true);
      expect([...grads.keys()].sort()).toEqual([...params.keys()].sort());
      for (const [name, g] of grads) {
        const values = g.dataSync();
        expect(values.every(Number.isFinite)).toBe(true);
        if (name.startsWith('ptd_head.dense_prediction')) expect(values.some((v) => v !== 0)).toBe(true);
      }

      tf.dispose([value, ...grads.values()]);
      if (perturbed.kind === 'embeddings') tf.dispose([perturbed.embeddings, perturbed.delta]);
      if (perturbedInputs !== inputs) disposeInputs(perturbedInputs);
      disposeInputs(inputs);
      expect(tf.memory().numTensors).toBe(before); // nothing left from the whole step
      tf.dispose(a);
      encoder.dispose();
      head.dispose();
    });
  }

  it('is reproducible per seed with sampled selection and random replacement', () => {
    const { encoder, head, batch, a } = setup();
    const run = (seed: number) =>
      perturbSalientTokens({ encoder, batch, loss: sentenceLoss(a), perturbation: { strategy: 'random' }, selection: 'sample', ratio: 0.3, rng: new Random(seed) }).perturbed.inputIds;
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
    tf.dispose(a);
    encoder.dispose();
    head.dispose();
  });

  it('the random-selection ablation perturbs as many tokens as the salient one', () => {
    const { encoder, head, batch, a } = setup();
    const count = (selection: 'top' | 'random'): number[] =>
      perturbSalientTokens({ encoder, batch, loss: sentenceLoss(a), perturbation: { strategy: 'mask' }, selection, ratio: 0.25, rng: new Random(2) }).perturbed.labels.map((r) =>
        r.reduce((s, l) => s + l, 0),
      );
    expect(count('random')).toEqual(count('top'));
    expect(count('top')).toEqual([1, 4, 1]);
    tf.dispose(a);
    encoder.dispose();
    head.dispose();
  });

  it('returns the sentence loss’s parameter gradients when asked, and leaks nothing', () => {
    const { encoder, head, batch, a } = setup();
    expectNoTensorLeak(() => {
      const { saliency, perturbed } = perturbSalientTokens({
        encoder,
        batch,
        loss: sentenceLoss(a),
        perturbation: { strategy: 'embedding', epsilon: 0.1, epsilonMode: 'relative' },
        variables: encoder.variables(),
      });
      expect([...(saliency.grads as Map<string, tf.Tensor>).keys()].sort()).toEqual([...encoder.variables().keys()].sort());
      tf.dispose([...(saliency.grads as Map<string, tf.Tensor>).values(), perturbed.embeddings, perturbed.delta]);
    });
    tf.dispose(a);
    encoder.dispose();
    head.dispose();
  });

  it('fails fast, leak-free, without an rng or a mask token', () => {
    const { encoder, head, batch, a } = setup();
    expectNoTensorLeak(() =>
      expect(() => perturbSalientTokens({ encoder, batch, loss: sentenceLoss(a), perturbation: { strategy: 'random' } })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', location: { field: 'rng' } }),
      ),
    );
    const noMask = { ...encoder, tokenizer: Object.assign(Object.create(encoder.tokenizer) as object, { specialTokens: { pad: 0, cls: 2, sep: 3 } }) } as Encoder;
    expect(() => perturbSalientTokens({ encoder: noMask, batch, loss: sentenceLoss(a), perturbation: { strategy: 'mask' } })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }),
    );
    tf.dispose(a);
    encoder.dispose();
    head.dispose();
  });
});
