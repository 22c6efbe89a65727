import * as tf from '@tensorflow/tfjs-core';
import { Random, initBackend, isCarlError } from '@carl/core';
import { createEncoder, presets, trainWordPiece } from '@carl/encoder';
import { AFFECT_SAMPLE } from './__fixtures__/affect-sample';
import { resolveConfig } from './config';
import { WASM_HEAP_BYTES, encoderParameterCount, estimateMemory, planMemory, type EncoderShape } from './memory';
import { TrainingModel } from './step';

const bertBase: EncoderShape = { ...presets['bert-base'], vocabSize: 30522 };

describe('estimateMemory', () => {
  it('counts BERT-base’s 109,482,240 parameters (438 MB) and the AdamW moments twice that', () => {
    expect(encoderParameterCount(bertBase)).toBe(109_482_240);
    const e = estimateMemory(bertBase, resolveConfig({ method: 'simcse' }), { microBatchSize: 32, recompute: 'none' });
    // simcse: encoder + projection (768·768 + 768 + 768·128 + 128), no PTD head, no target, no queue.
    expect(e.parameters).toBe((109_482_240 + 768 * 768 + 768 + 768 * 128 + 128) * 4);
    expect(e.optimizer).toBe(2 * e.parameters);
    expect(e.target).toBe(0);
    expect(e.queue).toBe(0);
    expect(e.total).toBe(e.parameters + e.gradients + e.optimizer + e.activations);
  });

  it('adds the momentum target and queue for carl, a second set of gradients when split, and less with recomputation', () => {
    const config = resolveConfig({ method: 'carl', queueSize: 4096, projectionDim: 128 });
    const whole = estimateMemory(bertBase, config, { microBatchSize: 32, recompute: 'none' });
    const split = estimateMemory(bertBase, config, { microBatchSize: 4, recompute: 'none' });
    const layer = estimateMemory(bertBase, config, { microBatchSize: 4, recompute: 'layer' });
    expect(whole.target).toBe((109_482_240 + 768 * 768 + 768 + 768 * 128 + 128) * 4);
    expect(whole.queue).toBe(4096 * 130 * 4);
    expect(split.gradients).toBe(2 * whole.gradients);
    expect(split.activations * 8).toBeCloseTo(whole.activations, 0);
    expect(layer.activations).toBeLessThan(split.activations / 4);
    const outside = estimateMemory(bertBase, config, { microBatchSize: 4, recompute: 'none', optimizerOutsideHeap: true });
    expect(outside.total).toBe(split.total - split.optimizer);
  });

  it("counts selective recomputation's keep by hand: 7 hidden-sized vectors, the FFN's inner product and a row of scores per head", () => {
    const config = resolveConfig({ method: 'mse-regression', maxLength: 64 });
    const none = estimateMemory(bertBase, config, { microBatchSize: 1, recompute: 'none' });
    const selective = estimateMemory(bertBase, config, { microBatchSize: 1, recompute: 'selective' });
    const keptPerLayer = (7 * 768 + 3072 + 12 * 64) * 64 * 4; // 2,359,296 bytes
    const backward = (12 * 64 * 768 + 4 * 64 * 3072 + 4 * 12 * 64 * 64) * 4; // one layer's backward temporaries
    expect(selective.activationsPerSentence).toBe(16 * 64 * 768 * 4 + 12 * keptPerLayer + backward);
    expect(selective.activationsPerSentence).toBeLessThan(none.activationsPerSentence / 4);
  });
});

describe('planMemory', () => {
  it('keeps the whole batch when it fits, and does not limit backends of unknown memory', () => {
    const tiny: EncoderShape = { ...presets.tiny, vocabSize: 8000 };
    expect(planMemory(tiny, resolveConfig({}), 'wasm')).toMatchObject({ microBatchSize: 32, recompute: 'none', limit: WASM_HEAP_BYTES });
    expect(planMemory(bertBase, resolveConfig({ batchSize: 32, maxLength: 128 }), 'tensorflow')).toMatchObject({ microBatchSize: 32, limit: undefined });
  });

  it('splits a base-size batch into the largest power of two that fits the wasm heap', () => {
    const config = resolveConfig({ method: 'carl', batchSize: 32, maxLength: 64, recompute: 'none' });
    const plan = planMemory(bertBase, config, 'wasm');
    expect(plan.microBatchSize).toBeLessThan(32);
    expect(plan.microBatchSize).toBeGreaterThanOrEqual(1);
    expect(plan.recompute).toBe('none');
    expect(plan.estimate.total).toBeLessThanOrEqual(0.85 * WASM_HEAP_BYTES);
    expect(estimateMemory(bertBase, config, { microBatchSize: plan.microBatchSize * 2, recompute: 'none' }).total).toBeGreaterThan(0.85 * WASM_HEAP_BYTES);
  });

  it('refuses a run that cannot fit with OUT_OF_MEMORY naming the estimate, the limit and the largest size that fits', () => {
    const config = resolveConfig({ method: 'carl', batchSize: 32, maxLength: 64, microBatchSize: 32, recompute: 'none' });
    const largest = planMemory(bertBase, { ...config, microBatchSize: 0 }, 'wasm').microBatchSize;
    let error: unknown;
    try {
      planMemory(bertBase, config, 'wasm');
    } catch (e) {
      error = e;
    }
    expect(isCarlError(error, 'OUT_OF_MEMORY')).toBe(true);
    const message = (error as Error).message;
    expect(message).toMatch(/needs about \d+\.\d\d GB at micro-batch size 32/);
    expect(message).toMatch(/4\.29 GB the wasm backend can hold/);
    expect(largest).toBeGreaterThanOrEqual(1);
    expect(message).toContain(`the largest micro-batch size that fits is ${largest}`);
    // Nothing fits in a 1 GB heap: the parameters, gradients and moments alone exceed it.
    expect(() => planMemory(bertBase, { ...config, microBatchSize: 0, recompute: 'auto' }, 'wasm', { limit: 1e9 })).toThrow(/no micro-batch size fits/);
  });

  it('under auto: everything when the whole batch fits, else selective when it fits more, layer only when nothing else fits 2', () => {
    const config = resolveConfig({ method: 'carl', batchSize: 32, maxLength: 512, recompute: 'auto' });
    const at = (size: number, recompute: 'none' | 'selective' | 'layer'): number => estimateMemory(bertBase, config, { microBatchSize: size, recompute }).total;
    // The whole batch fits without recomputation: none.
    expect(planMemory(bertBase, config, 'wasm', { limit: at(32, 'none') / 0.85 })).toMatchObject({ recompute: 'none', microBatchSize: 32 });
    // 2 fit without it, more with selective: selective, at the largest size it allows.
    const two = planMemory(bertBase, config, 'wasm', { limit: at(2, 'none') / 0.85 });
    expect(two.recompute).toBe('selective');
    expect(two.microBatchSize).toBeGreaterThan(2);
    expect(at(two.microBatchSize, 'selective')).toBeLessThanOrEqual(at(2, 'none'));
    // Only one sentence fits even with selective, and layer recomputation fits 4 or more: layer. (That takes a deep
    // stack: selective keeps ~12 hidden-sized vectors per token and layer, layer 2, but layer's one rebuilt layer
    // holds everything tfjs keeps.)
    const deep: EncoderShape = { ...bertBase, numHiddenLayers: 96 };
    const short = { ...config, maxLength: 128 };
    const deepAt = (size: number, recompute: 'selective' | 'layer'): number => estimateMemory(deep, short, { microBatchSize: size, recompute }).total;
    expect(deepAt(4, 'layer')).toBeLessThan(deepAt(1, 'selective'));
    expect(planMemory(deep, short, 'wasm', { limit: deepAt(1, 'selective') / 0.85 })).toMatchObject({ recompute: 'layer' });
    // Where selective fits as many, it wins: a third less compute.
    expect(planMemory(bertBase, config, 'wasm', { limit: at(1, 'selective') / 0.85 })).toMatchObject({ recompute: 'selective', microBatchSize: 1 });
    // Asked for explicitly, `none` is kept even when recomputation would allow more.
    expect(planMemory(bertBase, { ...config, recompute: 'none' }, 'wasm', { limit: at(2, 'none') / 0.85 })).toMatchObject({ recompute: 'none', microBatchSize: 2 });
  });

  it('puts the whole BERT-base SimCSE batch of 32 × 64 tokens in the wasm heap with selective recomputation (moments outside)', () => {
    const config = resolveConfig({ method: 'simcse', batchSize: 32, maxLength: 64, recompute: 'auto' });
    expect(planMemory(bertBase, config, 'wasm', { optimizerOutsideHeap: true })).toMatchObject({ recompute: 'selective', microBatchSize: 32 });
    // Without it the batch is split (and every split costs gradient caching an extra forward pass).
    expect(planMemory(bertBase, { ...config, recompute: 'none' }, 'wasm', { optimizerOutsideHeap: true }).microBatchSize).toBeLessThan(32);
  });
});

describe('the estimate against a measured step (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('a TrainingModel that cannot fit throws OUT_OF_MEMORY before it allocates anything', () => {
    const encoder = createEncoder({ preset: 'tiny', tokenizer: trainWordPiece(AFFECT_SAMPLE.map((r) => r.text), { vocabSize: 300 }), seed: 1 });
    const tensors = tf.memory().numTensors;
    expect(() => new TrainingModel(encoder, resolveConfig({ method: 'carl' }), 1, { memoryLimit: 4e6 })).toThrow(/OUT_OF_MEMORY|needs about .* GB at micro-batch size 1/);
    expect(tf.memory().numTensors).toBe(tensors);
    // The plan the model keeps when it fits: the whole batch on a 4 GiB heap.
    const model = new TrainingModel(encoder, resolveConfig({ method: 'carl' }), 1);
    expect(model.memoryPlan).toMatchObject({ microBatchSize: 32, recompute: 'none', limit: WASM_HEAP_BYTES });
    model.dispose();
    encoder.dispose();
  });

  it.each([
    ['tiny', 'simcse', 'none'],
    ['tiny', 'carl', 'none'],
    ['mini', 'simcse', 'none'],
    ['mini', 'carl', 'none'],
    ['mini', 'simcse', 'selective'],
    ['mini', 'carl', 'selective'],
  ] as const)('%s %s, recompute %s: the peak bytes of a first step are within a factor of 2 of the estimate', async (preset, method, recompute) => {
    const texts = AFFECT_SAMPLE.map((r) => r.text);
    const tokenizer = trainWordPiece(texts, { vocabSize: 300 });
    const encoder = createEncoder({ preset, tokenizer, seed: 1 });
    // Long rows so the batch is padded to maxLength.
    const rows = AFFECT_SAMPLE.slice(0, 8).map((r) => ({ id: r.id, text: `${r.text} ${texts.slice(10, 14).join(' ')}`, va: r.va as { valence: number; arousal: number } }));
    const config = resolveConfig({ method, batchSize: 8, maxLength: 48, queueSize: 64, recompute });
    const model = new TrainingModel(encoder, config, 1);
    expect(model.memoryPlan.recompute).toBe(recompute);
    const before = tf.memory().numBytes;
    let padded = 0;
    const profile = await tf.profile(() => {
      padded = model.step(rows, new Random(1), 1e-4, 0.99).metrics['paddedLength'] as number;
    });
    const measured = profile.peakBytes - before;
    const outside = model.memoryPlan.estimate.optimizerOutsideHeap;
    const e = estimateMemory({ ...encoder.config }, config, { microBatchSize: 8, recompute, sequenceLength: padded, optimizerOutsideHeap: outside });
    // What the step adds to the tensors already there (parameters, target): gradients, moments (first step), activations.
    const predicted = e.gradients + (outside ? 0 : e.optimizer) + e.activations;
    // Printed for the record (the README's figures); the assertion is the factor.
    console.log(`${preset} ${method} ${recompute} padded ${padded}, moments ${outside ? 'outside the heap' : 'in the heap'}: measured ${(measured / 1e6).toFixed(1)} MB, estimated ${(predicted / 1e6).toFixed(1)} MB (ratio ${(predicted / measured).toFixed(2)})`);
    expect(padded).toBe(48);
    expect(predicted / measured).toBeGreaterThan(0.5);
    expect(predicted / measured).toBeLessThan(2);
    model.dispose();
    encoder.dispose();
  });
});
