import { Random } from '@carl/core';
import { describeWithBackends } from '@carl/core/testing';
import { MlmHead, createEncoder, trainWordPiece, type TransformerEncoder } from '@carl/encoder';
import { AFFECT_SAMPLE } from './__fixtures__/affect-sample';
import { TRAIN_METHODS, resolveConfig, type TrainConfig } from './config';
import { TrainingModel, type StepOutcome, type StepRow } from './step';

const rows: StepRow[] = AFFECT_SAMPLE.slice(0, 16).map((r) => ({ id: r.id, text: r.text, va: r.va as { valence: number; arousal: number } }));
const tokenizer = trainWordPiece(
  AFFECT_SAMPLE.map((r) => r.text),
  { vocabSize: 160 },
);

let base: TransformerEncoder | undefined;
const LEARNING_RATE = 1e-3;

interface Run {
  readonly outcomes: StepOutcome[];
  /** Gradients handed to the optimiser, per step, by name. */
  readonly grads: Array<Map<string, Float32Array>>;
  readonly params: Map<string, Float32Array>;
  readonly target: Map<string, Float32Array>;
}

/** Two steps (batches of 8; the second sees the first's keys in the queue) from the same start. */
function run(config: Partial<TrainConfig>, microBatchSize: number, withMlmHead = false): Run {
  // The tiny preset with its dropout (0.1): the split must not change which units are dropped.
  base ??= createEncoder({ preset: 'tiny', tokenizer, seed: 3 });
  const encoder = base.clone();
  const mlmHead = withMlmHead ? new MlmHead(encoder, undefined, { seed: 4 }) : undefined;
  const model = new TrainingModel(
    encoder,
    resolveConfig({ maxLength: 16, batchSize: 8, projectionDim: 16, queueSize: 32, perturbRatio: 0.2, ...config, microBatchSize }),
    9,
    mlmHead === undefined ? {} : { mlmHead },
  );
  const grads: Array<Map<string, Float32Array>> = [];
  const step = model.optimizer.step.bind(model.optimizer);
  model.optimizer.step = (params, g, lr) => {
    grads.push(new Map([...g].map(([name, t]) => [name, Float32Array.from(t instanceof Float32Array ? t : t.dataSync())])));
    step(params, g, lr);
  };
  const rng = new Random(11);
  const outcomes = [model.step(rows.slice(0, 8), rng, LEARNING_RATE, 0.9), model.step(rows.slice(8, 16), rng, LEARNING_RATE, 0.9)];
  const params = new Map([...model.params].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
  const target = new Map([...model.targetVariables()].map(([name, v]) => [name, Float32Array.from(v.dataSync())]));
  model.dispose();
  encoder.dispose();
  return { outcomes, grads, params, target };
}

/**
 * Float32 summation-order tolerance: `rtol` relative to the largest value of each tensor, plus `atol`.
 * Parameters get an absolute part: AdamW's first steps move a parameter by about lr·g/(|g| + ε), which
 * turns float noise in a near-zero gradient (an attention key bias's is exactly 0 in exact arithmetic)
 * into changes up to lr·noise/ε; 1 % of the learning rate is far below what a wrong gradient gives (≈ lr).
 */
function expectSame(a: ReadonlyMap<string, Float32Array>, b: ReadonlyMap<string, Float32Array>, what: string, rtol: number, atol = 0): void {
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [name, x] of a) {
    const y = b.get(name) as Float32Array;
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      scale = Math.max(scale, Math.abs(x[i] as number));
      worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
    }
    if (worst > atol + rtol * Math.max(scale, 1e-6)) throw new Error(`${what} ${name}: differs by ${worst} (scale ${scale})`);
  }
}

function expectSameRun(whole: Run, split: Run, microBatches = 4): void {
  whole.outcomes.forEach((o, i) => {
    const s = split.outcomes[i] as StepOutcome;
    expect(s.loss).toBeCloseTo(o.loss, 4);
    for (const [k, v] of Object.entries(o.parts)) expect(s.parts[k]).toBeCloseTo(v, 4);
    expect(s.gradNorm).toBeCloseTo(o.gradNorm, 4);
    expect(s.metrics['microBatches']).toBe(microBatches);
    expect(o.metrics['microBatches']).toBe(1);
    for (const key of ['perturbedTokens', 'queueSize', 'queueFill', 'skippedAnchors']) expect(s.metrics[key]).toBe(o.metrics[key]);
    expectSame(o === whole.outcomes[0] ? (whole.grads[0] as Map<string, Float32Array>) : (whole.grads[1] as Map<string, Float32Array>), split.grads[i] as Map<string, Float32Array>, `step ${i + 1} gradient`, 2e-4);
  });
  expectSame(whole.params, split.params, 'parameter', 1e-6, 1e-2 * LEARNING_RATE);
  expectSame(whole.target, split.target, 'target', 1e-6, 1e-2 * LEARNING_RATE);
}

// wasm only: the cpu backend takes about a minute per step of the tiny preset here, and the split's
// arithmetic is the same on every backend.
describeWithBackends('micro-batches', () => {
  afterAll(() => {
    base?.dispose();
    base = undefined;
  });

  it.each(TRAIN_METHODS)('%s: one step at batch 8 in micro-batches of 2 gives the step of the whole batch', (method) => {
    expectSameRun(run({ method }, 8), run({ method }, 2));
  });

  it.each([
    ['embedding perturbation, perturbed view', { method: 'carl', perturbStrategy: 'embedding', ptdView: 'perturbed' }],
    ['sampled selection, mask strategy', { method: 'carl-no-momentum', selectionTemperature: 0.5, perturbStrategy: 'mask' }],
    ['gaussian kernel, self-positive weight', { method: 'carl', labelKernel: 'gaussian', selfPositiveWeight: 0.3 }],
  ] as const)('carl variants (%s) too', (_, config) => {
    expectSameRun(run(config, 8), run(config, 2));
  });

  it('a micro-batch size that does not divide the batch (3) gives the same step', () => {
    expectSameRun(run({ method: 'carl-no-momentum' }, 8), run({ method: 'carl-no-momentum' }, 3), 3);
  });

  it('the generator strategy samples replacements from the MLM head, split or not', () => {
    const config = { method: 'carl', perturbStrategy: 'generator' } as const;
    const whole = run(config, 8, true);
    const split = run(config, 2, true);
    expect(whole.outcomes[0]?.metrics['perturbedTokens']).toBeGreaterThan(0);
    expectSameRun(whole, split);
  });
}, ['wasm']);
