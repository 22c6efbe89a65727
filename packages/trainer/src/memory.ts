import { CarlError } from '@carl/core';
import type { RecomputeMode } from '@carl/encoder';
import type { TrainConfig } from './config';
import { METHOD_TRAITS } from './methods';

/** The encoder dimensions the memory estimate needs (an `EncoderConfig` of `@carl/encoder` has them all). */
export interface EncoderShape {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly intermediateSize: number;
  readonly maxPositionEmbeddings: number;
  readonly typeVocabSize: number;
}

/** Bytes of one training run, by what holds them (see {@link estimateMemory}). */
export interface MemoryEstimate {
  /** Trainable parameters: encoder and heads. */
  readonly parameters: number;
  /** Gradients: one set, two while micro-batch gradients are being summed. */
  readonly gradients: number;
  /** AdamW's two moments. */
  readonly optimizer: number;
  /** Whether the optimizer keeps its moments outside the backend's memory (then they are not in `total`). */
  readonly optimizerOutsideHeap: boolean;
  /** The momentum target (an EMA copy of the encoder and projection head); 0 without one. */
  readonly target: number;
  /** The key queue (keys and labels); 0 without one. */
  readonly queue: number;
  /** Activations of one sentence at the padded length, for every forward pass a step keeps on the tape at once. */
  readonly activationsPerSentence: number;
  readonly microBatchSize: number;
  readonly recompute: RecomputeChoice;
  /** `activationsPerSentence × microBatchSize`. */
  readonly activations: number;
  /** What must fit in the backend's memory. */
  readonly total: number;
}

/** What the encoder's backward pass keeps: @carl/encoder's `RecomputeMode`. */
export type RecomputeChoice = RecomputeMode;

/** Options of {@link estimateMemory}. */
export interface EstimateOptions {
  readonly microBatchSize: number;
  readonly recompute: RecomputeChoice;
  /** Default false (moments live with the parameters). */
  readonly optimizerOutsideHeap?: boolean;
  /** Padded length of a batch. Default `config.maxLength` (the worst case). */
  readonly sequenceLength?: number;
}

const FLOAT = 4;
/**
 * Floats a step holds per layer, per sentence, as multiples of seq·hidden, seq·ffn and heads·seq²:
 * the forward intermediates tfjs keeps until the backward pass ends, plus the backward pass's own
 * temporaries. Fitted to `tf.profile` peaks of whole training steps (simcse and carl) of the tiny and
 * mini presets at 48 tokens on wasm (see memory.test.ts, which checks the fit stays within a factor 2).
 */
const PER_LAYER = { hidden: 48, ffn: 8, scores: 16 } as const;
/**
 * The temporaries of one layer's hand-written backward pass under `selective` recomputation, per sentence, as
 * multiples of seq·hidden, seq·ffn and heads·seq² (the gradients it is building and the element-wise parts it
 * runs again); fitted like {@link PER_LAYER} (mini preset, memory.test.ts).
 */
const SELECTIVE_BACKWARD = { hidden: 12, ffn: 4, scores: 4 } as const;
/** Embedding lookup, position/type sums, LayerNorm and dropout, per token, in units of hidden. */
const EMBEDDING_STAGE = 16;
/** `recompute: 'auto'` takes layer recomputation over micro-batches of one sentence when it allows this many. */
const RECOMPUTE_GAIN = 4;

/**
 * Encoder parameters of `shape` (with BERT's pooler, an upper bound).
 *
 * @example
 * ```ts
 * encoderParameterCount({ ...presets['bert-base'], vocabSize: 30522 }); // 109482240
 * ```
 */
export function encoderParameterCount(shape: EncoderShape): number {
  const h = shape.hiddenSize;
  const f = shape.intermediateSize;
  const embeddings = (shape.vocabSize + shape.maxPositionEmbeddings + shape.typeVocabSize) * h + 2 * h;
  const layer = 4 * (h * h + h) + 2 * h * f + f + h + 4 * h;
  return embeddings + shape.numHiddenLayers * layer + h * h + h;
}

/**
 * The bytes a training run needs: parameters, gradients, AdamW moments, the momentum target, the
 * queue and the activations of one micro-batch at the padded length, for the method's number of
 * taped forward passes (a second dropout view, a separate clean pass beside the perturbed one).
 *
 * @example
 * ```ts
 * const e = estimateMemory({ ...presets['bert-base'], vocabSize: 30522 }, config, { microBatchSize: 4, recompute: 'none' });
 * e.total; // bytes
 * ```
 */
export function estimateMemory(shape: EncoderShape, config: TrainConfig, options: EstimateOptions): MemoryEstimate {
  const traits = METHOD_TRAITS[config.method];
  const h = shape.hiddenSize;
  const seq = options.sequenceLength ?? config.maxLength;
  const encoderParams = encoderParameterCount(shape);
  const projectionParams =
    traits.objective === 'mse' ? h * 2 + 2 : config.projectionLayers === 1 ? h * config.projectionDim + config.projectionDim : h * h + h + h * config.projectionDim + config.projectionDim;
  const ptdParams = traits.ptd === 'none' ? 0 : h * h + 2 * h + 1;
  const params = (encoderParams + projectionParams + ptdParams) * FLOAT;
  const split = options.microBatchSize < config.batchSize;
  // While a micro-batch's gradients are added to the running sum, both sets exist.
  const gradients = params * (split ? 2 : 1);
  const optimizer = 2 * params;
  const target = traits.keys === 'momentum' ? (encoderParams + projectionParams) * FLOAT : 0;
  const queue = traits.queue ? config.queueSize * (config.projectionDim + 2) * FLOAT : 0;

  const layer = (PER_LAYER.hidden * seq * h + PER_LAYER.ffn * seq * shape.intermediateSize + PER_LAYER.scores * shape.numAttentionHeads * seq * seq) * FLOAT;
  const embedding = EMBEDDING_STAGE * seq * h * FLOAT;
  // `layer`: each layer's input (and the customGrad's output) stays; one layer's activations are rebuilt at a time.
  // `selective`: per layer exactly what the products made (7 hidden-sized vectors, the FFN's inner product and a
  // row of scores per head, per token: checked in @carl/encoder's recompute.test.ts), plus one layer's backward.
  const kept = (7 * h + shape.intermediateSize + shape.numAttentionHeads * seq) * seq * FLOAT;
  const backward = (SELECTIVE_BACKWARD.hidden * seq * h + SELECTIVE_BACKWARD.ffn * seq * shape.intermediateSize + SELECTIVE_BACKWARD.scores * shape.numAttentionHeads * seq * seq) * FLOAT;
  const perPass =
    options.recompute === 'layer'
      ? embedding + shape.numHiddenLayers * 2 * seq * h * FLOAT + layer
      : options.recompute === 'selective'
        ? embedding + shape.numHiddenLayers * kept + backward
        : embedding + shape.numHiddenLayers * layer;
  const taped = 1 + (traits.keys === 'second-view' ? 1 : 0) + (traits.ptd !== 'none' && config.ptdView === 'separate' ? 1 : 0);
  const activationsPerSentence = perPass * taped;
  const activations = activationsPerSentence * options.microBatchSize;
  const outside = options.optimizerOutsideHeap === true;
  return {
    parameters: params,
    gradients,
    optimizer,
    optimizerOutsideHeap: outside,
    target,
    queue,
    activationsPerSentence,
    microBatchSize: options.microBatchSize,
    recompute: options.recompute,
    activations,
    total: params + gradients + (outside ? 0 : optimizer) + target + queue + activations,
  };
}

/** The memory of the wasm backend: a 32-bit heap. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/** Fraction of the backend's memory a plan may fill: the rest is tfjs's own copies, temporaries and fragmentation. */
export const MEMORY_SAFETY_MARGIN = 0.85;

/**
 * What a backend can hold, in bytes: 4 GiB for wasm (its heap is 32-bit), undefined (unknown, not
 * limited here) for the others.
 *
 * @example
 * ```ts
 * backendMemoryLimit('wasm'); // 4294967296
 * ```
 */
export function backendMemoryLimit(backend: string): number | undefined {
  return backend === 'wasm' ? WASM_HEAP_BYTES : undefined;
}

/** The micro-batch size and recomputation a run uses, with the estimate behind them. */
export interface MemoryPlan {
  readonly microBatchSize: number;
  readonly recompute: RecomputeChoice;
  readonly estimate: MemoryEstimate;
  /** The backend's memory (undefined: unknown, nothing was limited). */
  readonly limit: number | undefined;
}

/** Options of {@link planMemory}. */
export interface PlanOptions {
  /** Whether the optimizer keeps its moments outside the backend's memory. Default false. */
  readonly optimizerOutsideHeap?: boolean;
  /** Overrides the backend's limit (bytes), e.g. for tests. */
  readonly limit?: number;
}

/**
 * Chooses the micro-batch size and activation recomputation of a run before its first step:
 * `config.microBatchSize` when set (checked), otherwise the largest size that fits — the whole
 * batch, else the largest power of two below it — within {@link MEMORY_SAFETY_MARGIN} of the
 * backend's memory. `recompute: 'auto'` keeps everything when the whole batch fits; otherwise it takes
 * `selective` (a few per cent more compute) when that fits a larger micro-batch — every split of a contrastive
 * batch costs an extra forward pass (gradient caching), a third more compute; it takes `layer` only when not
 * even one sentence fits otherwise, or only one does and with it at least 4 do (recomputing whole layers costs
 * about a third more compute; a BERT-base `carl` step in 8 micro-batches of 4 without it measured faster here
 * than the whole batch with it). Throws `OUT_OF_MEMORY`, naming the estimate, the limit and the largest
 * micro-batch size that fits, when the run cannot fit (so it fails before any work, not in a wasm abort).
 *
 * @example
 * ```ts
 * const plan = planMemory({ ...presets['bert-base'], vocabSize: 30522 }, resolveConfig({ batchSize: 32 }), 'wasm');
 * plan.microBatchSize; // e.g. 32, with plan.recompute 'selective'
 * ```
 */
export function planMemory(shape: EncoderShape, config: TrainConfig, backend: string, options: PlanOptions = {}): MemoryPlan {
  const limit = options.limit ?? backendMemoryLimit(backend);
  const batch = config.batchSize;
  const requested = config.microBatchSize > 0 ? Math.min(config.microBatchSize, batch) : 0;
  const estimate = (microBatchSize: number, recompute: RecomputeChoice): MemoryEstimate =>
    estimateMemory(shape, config, { microBatchSize, recompute, optimizerOutsideHeap: options.optimizerOutsideHeap === true });
  const modes: readonly RecomputeChoice[] = config.recompute === 'auto' ? ['none', 'selective', 'layer'] : [config.recompute];
  if (limit === undefined) {
    const recompute = config.recompute === 'auto' ? 'none' : config.recompute;
    const size = requested > 0 ? requested : batch;
    return { microBatchSize: size, recompute, estimate: estimate(size, recompute), limit };
  }
  const budget = limit * MEMORY_SAFETY_MARGIN;
  const fits = (size: number, mode: RecomputeChoice): boolean => estimate(size, mode).total <= budget;
  const candidates = [batch, ...powersOfTwoBelow(batch)];
  const plan = (size: number, mode: RecomputeChoice): MemoryPlan => ({ microBatchSize: size, recompute: mode, estimate: estimate(size, mode), limit });
  if (requested > 0) {
    const mode = modes.find((m) => fits(requested, m));
    if (mode !== undefined) return plan(requested, mode);
  } else if (modes.length === 1) {
    const size = candidates.find((s) => fits(s, modes[0] as RecomputeChoice));
    if (size !== undefined) return plan(size, modes[0] as RecomputeChoice);
  } else {
    const [plain, selective, layered] = modes.map((mode) => candidates.find((s) => fits(s, mode)));
    const cheap =
      selective !== undefined && (plain === undefined || selective > plain)
        ? { size: selective, mode: 'selective' as const }
        : plain === undefined
          ? undefined
          : { size: plain, mode: 'none' as const };
    if (cheap !== undefined && (layered === undefined || cheap.size > 1 || layered < RECOMPUTE_GAIN)) return plan(cheap.size, cheap.mode);
    if (layered !== undefined) return plan(layered, 'layer');
  }
  const lastMode = modes[modes.length - 1] as RecomputeChoice;
  const largest = candidates.find((s) => fits(s, lastMode));
  const at = estimate(requested > 0 ? requested : 1, lastMode);
  throw new CarlError(
    'OUT_OF_MEMORY',
    `this run needs about ${gb(at.total)} at micro-batch size ${at.microBatchSize} (${describe(at)}), more than ${gb(budget)} ` +
      `(${Math.round(MEMORY_SAFETY_MARGIN * 100)}% of the ${gb(limit)} the ${backend} backend can hold); ` +
      (largest === undefined
        ? `no micro-batch size fits${config.recompute === 'none' || config.recompute === 'selective' ? ' without whole-layer recomputation: try --recompute layer' : ''}; shorten --max-length, use a smaller model or a GPU backend`
        : `the largest micro-batch size that fits is ${largest}: pass --micro-batch-size ${largest} (or 0 to choose it automatically)`),
    { field: 'microBatchSize' },
  );
}

function powersOfTwoBelow(n: number): number[] {
  const out: number[] = [];
  let p = 1;
  while (p * 2 < n) p *= 2;
  for (; p >= 1; p /= 2) if (p < n) out.push(p);
  return out;
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function describe(e: MemoryEstimate): string {
  const parts = [
    `parameters ${gb(e.parameters)}`,
    `gradients ${gb(e.gradients)}`,
    `AdamW moments ${gb(e.optimizer)}${e.optimizerOutsideHeap ? ' outside the heap' : ''}`,
    ...(e.target > 0 ? [`momentum target ${gb(e.target)}`] : []),
    ...(e.queue > 0 ? [`queue ${gb(e.queue)}`] : []),
    `activations ${gb(e.activations)}${e.recompute === 'none' ? '' : ` with ${e.recompute} recomputation`}`,
  ];
  return parts.join(', ');
}
