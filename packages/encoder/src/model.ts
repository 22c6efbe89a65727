import * as tf from '@tensorflow/tfjs-core';
import { CarlError, Random } from '@carl/core';
import type { Encoder, EncoderInputs, EncoderOutput, ForwardOptions, Tokenizer } from '@carl/core';
import { additiveMask, attentionParts } from './attention';
import { maxSequenceLength, validateConfig, type Architecture, type EncoderConfig, type Pooling } from './config';
import { embedTexts } from './embed';
import { activation, layerNorm, linear, maybeDropout } from './layers';
import { layerBackward, valueAndGradsInsideBackward, type LayerParts, type LayerSeeds } from './selective';

/** What {@link loadPretrained} found in a checkpoint, by Hugging Face parameter name. */
export interface LoadReport {
  /** The weight files read. */
  readonly files: readonly string[];
  /** Parameters the encoder needs that the checkpoint lacks (randomly initialised or left out). */
  readonly missing: readonly string[];
  /** Checkpoint tensors nothing here uses (e.g. `cls.seq_relationship.*`, a classifier). */
  readonly unused: readonly string[];
  /** MLM-head tensors (`cls.predictions.*`, `lm_head.*`), loadable with `loadMlmHead`. */
  readonly mlmHead: readonly string[];
  /** Buffers that are not parameters (`embeddings.position_ids`, …), skipped. */
  readonly buffers: readonly string[];
  /** Checkpoint names that were renamed to the canonical form (`LayerNorm.gamma` → `.weight`, prefix stripped). */
  readonly renamed: ReadonlyArray<readonly [from: string, to: string]>;
}

/** Options of {@link TransformerEncoder.embed}. */
export interface EmbedOptions {
  /** Texts per forward pass. Default 32. */
  readonly batchSize?: number;
  /** Tokens per text (truncating). Default the encoder's maximum. */
  readonly maxLength?: number;
  /** L2-normalise each embedding. Default false. */
  readonly normalize?: boolean;
}

/**
 * Every parameter name of an encoder with `config` (Hugging Face names without the `bert.` /
 * `roberta.` prefix) and its shape in PyTorch layout.
 *
 * @param withPooler include `pooler.dense.*`
 * @example
 * ```ts
 * parameterShapes(config, true).get('encoder.layer.0.attention.self.query.weight'); // [hidden, hidden]
 * ```
 */
export function parameterShapes(config: EncoderConfig, withPooler: boolean): Map<string, number[]> {
  const h = config.hiddenSize;
  const shapes = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [config.vocabSize, h]],
    ['embeddings.position_embeddings.weight', [config.maxPositionEmbeddings, h]],
    ['embeddings.token_type_embeddings.weight', [config.typeVocabSize, h]],
    ['embeddings.LayerNorm.weight', [h]],
    ['embeddings.LayerNorm.bias', [h]],
  ]);
  for (let i = 0; i < config.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const part of ['query', 'key', 'value']) {
      shapes.set(`${p}attention.self.${part}.weight`, [h, h]);
      shapes.set(`${p}attention.self.${part}.bias`, [h]);
    }
    shapes.set(`${p}attention.output.dense.weight`, [h, h]);
    shapes.set(`${p}attention.output.dense.bias`, [h]);
    shapes.set(`${p}attention.output.LayerNorm.weight`, [h]);
    shapes.set(`${p}attention.output.LayerNorm.bias`, [h]);
    shapes.set(`${p}intermediate.dense.weight`, [config.intermediateSize, h]);
    shapes.set(`${p}intermediate.dense.bias`, [config.intermediateSize]);
    shapes.set(`${p}output.dense.weight`, [h, config.intermediateSize]);
    shapes.set(`${p}output.dense.bias`, [h]);
    shapes.set(`${p}output.LayerNorm.weight`, [h]);
    shapes.set(`${p}output.LayerNorm.bias`, [h]);
  }
  if (withPooler) {
    shapes.set('pooler.dense.weight', [h, h]);
    shapes.set('pooler.dense.bias', [h]);
  }
  return shapes;
}

/**
 * Fresh weights as transformers' `_init_weights` makes them: normal(0, initializer_range) for
 * matrices and embeddings, zero biases, unit layer-norm scales, and a zero padding row in the
 * word embeddings. Seeded, so the same seed gives the same model on every backend.
 *
 * @example
 * ```ts
 * const values = initialParameters(config, true, 42); // Map<name, tf.Tensor>
 * ```
 */
export function initialParameters(config: EncoderConfig, withPooler: boolean, seed: number, names?: ReadonlySet<string>): Map<string, tf.Tensor> {
  const rng = new Random(seed);
  const out = new Map<string, tf.Tensor>();
  for (const [name, shape] of parameterShapes(config, withPooler)) {
    const s = rng.seed(); // drawn for every name so a subset (names) gets the same values as the full set
    if (names !== undefined && !names.has(name)) continue;
    out.set(name, initialValue(name, shape, s, config));
  }
  return out;
}

function initialValue(name: string, shape: number[], seed: number, config: EncoderConfig): tf.Tensor {
  if (/LayerNorm\.weight$/.test(name)) return tf.ones(shape);
  if (/\.bias$/.test(name)) return tf.zeros(shape);
  return tf.tidy(() => {
    const w = tf.randomNormal(shape, 0, config.initializerRange, 'float32', seed);
    if (name !== 'embeddings.word_embeddings.weight') return w;
    const keep = tf.reshape(tf.oneHot(tf.tensor1d([config.padTokenId], 'int32'), config.vocabSize), [config.vocabSize, 1]);
    return tf.mul(w, tf.sub(1, keep));
  });
}

type Weights = Map<string, tf.Variable>;

/**
 * What the backward pass keeps of each transformer layer:
 * - `none`: whatever tfjs's tape keeps (every op's saved inputs and outputs: several times what `selective` keeps);
 * - `selective`: only what the matrix products made (Q, Kᵀ, V, masked scores, context, the two residual sums,
 *   the FFN's inner product: about 12 hidden-sized vectors per token and layer at 64 tokens); a hand-written
 *   backward pass runs the element-wise parts (softmax, dropout, LayerNorm, activation) again. Same gradients to
 *   float32 rounding for a few per cent more compute;
 * - `layer`: only each layer's input; the layer is run again inside its gradient (about one more forward
 *   pass per step, in exchange for activations of one layer at a time instead of all of them).
 */
export type RecomputeMode = 'none' | 'selective' | 'layer';

const RECOMPUTE_MODES: readonly RecomputeMode[] = ['none', 'selective', 'layer'];

/**
 * A BERT or RoBERTa encoder on TensorFlow.js implementing the core `Encoder` contract.
 * Variables are the Hugging Face state dict of a bare `BertModel` / `RobertaModel` — names without
 * the `bert.` / `roberta.` prefix, tensors in PyTorch layout (`Linear` weights `[out, in]`) — so
 * loading and saving checkpoints is a copy and names match what users see in Python.
 *
 * Create one with `createEncoder` or `loadPretrained`.
 *
 * @example
 * ```ts
 * const encoder = createEncoder({ preset: 'tiny', seed: 1 });
 * const vectors = encoder.embed(['so happy today', 'this is awful']); // number[][] (128 each)
 * ```
 */
export class TransformerEncoder implements Encoder {
  readonly specificationVersion = 'v1' as const;
  readonly architecture: Architecture;
  readonly hiddenSize: number;
  readonly maxLength: number;
  /** What `loadPretrained` found in the checkpoint (undefined for a fresh encoder). */
  readonly loadReport: LoadReport | undefined;
  private readonly rng: Random;
  private recomputeMode: RecomputeMode = 'none';

  /**
   * @param config the shape (checked)
   * @param tokenizer its `vocabSize` must not exceed `config.vocabSize`
   * @param weights every parameter of {@link parameterShapes} (the pooler is optional), owned by the encoder
   * @param options.recompute activation recomputation (see {@link setRecompute}); default `none`
   */
  constructor(
    readonly config: EncoderConfig,
    readonly tokenizer: Tokenizer,
    private readonly weights: Weights,
    options: { seed?: number; loadReport?: LoadReport; recompute?: RecomputeMode } = {},
  ) {
    validateConfig(config);
    if (tokenizer.vocabSize > config.vocabSize) {
      throw new CarlError('INVALID_CONFIG', `tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${config.vocabSize}`, {
        field: 'vocab_size',
      });
    }
    const expected = parameterShapes(config, weights.has('pooler.dense.weight'));
    for (const [name, shape] of expected) {
      const w = weights.get(name);
      if (w === undefined) throw new CarlError('INVALID_CHECKPOINT', 'parameter is missing', { field: name });
      if (!sameShape(w.shape, shape)) {
        throw new CarlError('SHAPE_MISMATCH', `has shape [${w.shape.join(', ')}], expected [${shape.join(', ')}]`, { field: name });
      }
    }
    for (const name of weights.keys()) {
      if (!expected.has(name)) throw new CarlError('INVALID_ARGUMENT', 'is not a parameter of this encoder', { field: name });
    }
    this.architecture = config.architecture;
    this.hiddenSize = config.hiddenSize;
    this.maxLength = maxSequenceLength(config);
    this.loadReport = options.loadReport;
    this.rng = new Random(options.seed ?? 0);
    if (config.pooling === 'pooler' && !this.hasPooler) {
      throw new CarlError('INVALID_CONFIG', 'pooling "pooler" needs pooler.dense.* weights, which this model lacks', { field: 'carl_pooling' });
    }
    if (options.recompute !== undefined) this.setRecompute(options.recompute);
  }

  /** The activation recomputation in use (see {@link setRecompute}). */
  get recompute(): RecomputeMode {
    return this.recomputeMode;
  }

  /**
   * Chooses what the backward pass keeps of each layer: `none` (default) keeps every activation; `layer` keeps
   * only each layer's input and runs the layer again inside its gradient — the same gradients (same dropout
   * masks) for roughly a third more compute, with the activations of one layer resident at a time. Use it when
   * a base-size model's activations do not fit even per micro-batch. Takes effect on the next forward pass.
   *
   * @example
   * ```ts
   * const encoder = await loadPretrained('bert-base-uncased/');
   * encoder.setRecompute('layer');
   * ```
   */
  setRecompute(mode: RecomputeMode): void {
    if (!RECOMPUTE_MODES.includes(mode)) {
      throw new CarlError('INVALID_ARGUMENT', `recompute must be one of ${RECOMPUTE_MODES.join(', ')}, got ${JSON.stringify(mode)}`, { field: 'recompute' });
    }
    this.recomputeMode = mode;
  }

  /** The sentence-embedding pooling of `pooled`. */
  get pooling(): Pooling {
    return this.config.pooling;
  }

  /** Whether BERT's pooler (`pooler.dense.*`) is present. */
  get hasPooler(): boolean {
    return this.weights.has('pooler.dense.weight');
  }

  /** The Hugging Face name prefix of the base model in task checkpoints (`bert.` / `roberta.`). */
  get parameterPrefix(): string {
    return `${this.architecture}.`;
  }

  private w<R extends tf.Rank>(name: string): tf.Tensor<R> {
    return this.weights.get(name) as unknown as tf.Tensor<R>;
  }

  /**
   * ids `[batch, seq]` → word embeddings `[batch, seq, hidden]` (only the word table: position and
   * type embeddings are added in {@link forwardFromEmbeddings}, so saliency gradients with respect
   * to this output are per-token). Ids outside the vocabulary throw `INVALID_ARGUMENT`.
   *
   * @example
   * ```ts
   * const emb = encoder.embedTokens(inputs.inputIds); // [batch, seq, hidden]
   * const saliency = tf.grad((e) => loss(encoder.forwardFromEmbeddings(e as tf.Tensor3D, inputs).pooled))(emb);
   * ```
   */
  embedTokens(inputIds: tf.Tensor2D): tf.Tensor3D {
    if (inputIds.rank !== 2) throw new CarlError('SHAPE_MISMATCH', `expected [batch, seq], got [${inputIds.shape.join(', ')}]`, { field: 'inputIds' });
    const ids = inputIds.dataSync();
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (!(id >= 0 && id < this.config.vocabSize) || !Number.isInteger(id)) {
        throw new CarlError('INVALID_ARGUMENT', `token id ${id} at flat position ${i} is outside the vocabulary [0, ${this.config.vocabSize})`, {
          field: 'inputIds',
        });
      }
    }
    return tf.tidy(() => {
      const intIds = inputIds.dtype === 'int32' ? inputIds : tf.cast(inputIds, 'int32');
      return tf.gather(this.w<tf.Rank.R2>('embeddings.word_embeddings.weight'), intIds) as tf.Tensor as tf.Tensor3D;
    });
  }

  /**
   * Word embeddings → hidden states and the pooled sentence embedding: adds position embeddings
   * (BERT: 0…seq−1; RoBERTa: `padTokenId + 1 + running count of real tokens`, from the attention
   * mask, so padding on either side never shifts positions) and token-type embeddings, then the
   * embedding LayerNorm, dropout (training only, seeded by `options.seed`; `options.rowOffset` makes row i
   * draw the masks of row `rowOffset + i` of the whole batch), the layers and pooling.
   *
   * @example
   * ```ts
   * const { hiddenStates, pooled } = encoder.forwardFromEmbeddings(emb, inputs, { training: true, seed: step });
   * ```
   */
  forwardFromEmbeddings(embeddings: tf.Tensor3D, inputs: EncoderInputs, options: ForwardOptions = {}): EncoderOutput {
    const [batch, seq, hidden] = embeddings.shape;
    this.checkInputs(embeddings, inputs);
    const training = options.training === true;
    const rowOffset = options.rowOffset ?? 0;
    if (!(Number.isSafeInteger(rowOffset) && rowOffset >= 0)) {
      throw new CarlError('INVALID_ARGUMENT', `rowOffset must be an integer ≥ 0, got ${rowOffset}`, { field: 'rowOffset' });
    }
    // One seed per dropout site, all derived from the pass's seed, so a step can be replayed exactly.
    const seeds = training ? new Random(options.seed ?? this.rng.seed()) : undefined;
    const nextSeed = (): number | undefined => seeds?.seed();
    const c = this.config;
    return tf.tidy(() => {
      const mask = tf.cast(inputs.attentionMask, 'float32') as tf.Tensor2D;
      let x: tf.Tensor = tf.add(embeddings, this.positionEmbeddings(mask, batch, seq));
      x = tf.add(x, this.tokenTypeEmbeddings(inputs.tokenTypeIds, batch, seq));
      x = layerNorm(x, this.w('embeddings.LayerNorm.weight'), this.w('embeddings.LayerNorm.bias'), c.layerNormEps);
      x = maybeDropout(x, c.hiddenDropoutProb, nextSeed(), rowOffset);
      const attnMask = additiveMask(mask);
      for (let i = 0; i < c.numHiddenLayers; i++) {
        // Drawn before the layer runs, so a recomputed layer replays exactly the masks of its first run.
        const layerSeeds: LayerSeeds = [nextSeed(), nextSeed(), nextSeed()];
        x = this.recomputeMode === 'layer'
          ? this.recomputedLayer(i, x as tf.Tensor3D, attnMask, layerSeeds, rowOffset)
          : this.recomputeMode === 'selective'
            ? this.selectiveLayer(i, x as tf.Tensor3D, attnMask, layerSeeds, rowOffset)
            : this.layerParts(i, x as tf.Tensor3D, attnMask, layerSeeds, rowOffset).out;
      }
      const hiddenStates = x as tf.Tensor3D;
      return { hiddenStates, pooled: this.pool(hiddenStates, mask, hidden) };
    });
  }

  /**
   * `forwardFromEmbeddings(embedTokens(ids), inputs, options)`.
   *
   * @example
   * ```ts
   * const inputs = toEncoderInputs(encoder.tokenizer.encodeBatch(['so glad', 'meh']));
   * const { pooled } = encoder.forward(inputs); // [2, hidden], eval mode
   * ```
   */
  forward(inputs: EncoderInputs, options: ForwardOptions = {}): EncoderOutput {
    return tf.tidy(() => this.forwardFromEmbeddings(this.embedTokens(inputs.inputIds), inputs, options));
  }

  /**
   * BERT's pooler output, `tanh(dense(hidden[:, 0]))` (transformers' `pooler_output`).
   * Throws `INVALID_CONFIG` when the model has no pooler weights.
   *
   * @example
   * ```ts
   * const { hiddenStates } = encoder.forward(inputs);
   * const pooler = encoder.poolerOutput(hiddenStates); // [batch, hidden]
   * ```
   */
  poolerOutput(hiddenStates: tf.Tensor3D): tf.Tensor2D {
    if (!this.hasPooler) throw new CarlError('INVALID_CONFIG', 'this model has no pooler weights (pooler.dense.*)', { field: 'pooler.dense.weight' });
    return tf.tidy(() => {
      const [batch, , hidden] = hiddenStates.shape;
      const first = tf.reshape(tf.slice(hiddenStates, [0, 0, 0], [batch, 1, hidden]), [batch, hidden]);
      return tf.tanh(linear(first, this.w('pooler.dense.weight'), this.w('pooler.dense.bias'))) as tf.Tensor2D;
    });
  }

  /**
   * Sentence embeddings of texts (tokenised, batched by length, eval mode), in input order.
   *
   * @example
   * ```ts
   * const [a, b] = encoder.embed(['I love it', 'I hate it'], { normalize: true });
   * ```
   */
  embed(texts: readonly string[], options: EmbedOptions = {}): number[][] {
    return embedTexts(this, texts, { batchSize: 32, ...options }).map((row) => Array.from(row));
  }

  /**
   * Every parameter by its Hugging Face name without the architecture prefix (see the class notes).
   *
   * @example
   * ```ts
   * encoder.variables().get('encoder.layer.0.attention.self.query.weight')?.shape; // [128, 128]
   * ```
   */
  variables(): ReadonlyMap<string, tf.Variable> {
    return this.weights;
  }

  /**
   * A copy with its own variables holding the same values (a momentum target); shares the tokenizer.
   * `pooling` overrides the copy's pooling.
   *
   * @example
   * ```ts
   * const target = encoder.clone({ trainable: false });
   * ```
   */
  clone(options: { trainable?: boolean; pooling?: Pooling } = {}): TransformerEncoder {
    const trainable = options.trainable ?? true;
    const copies: Weights = new Map([...this.weights].map(([name, v]) => [name, tf.variable(v, trainable)]));
    const config = options.pooling === undefined ? this.config : { ...this.config, pooling: options.pooling };
    return new TransformerEncoder(config, this.tokenizer, copies, { seed: this.rng.seed(), recompute: this.recomputeMode });
  }

  /** Frees every variable. @example `encoder.dispose();` */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }

  private checkInputs(embeddings: tf.Tensor3D, inputs: EncoderInputs): void {
    if (embeddings.rank !== 3 || embeddings.shape[2] !== this.hiddenSize) {
      throw new CarlError('SHAPE_MISMATCH', `expected [batch, seq, ${this.hiddenSize}], got [${embeddings.shape.join(', ')}]`, { field: 'embeddings' });
    }
    const [batch, seq] = embeddings.shape;
    const check = (t: tf.Tensor | undefined, field: string): void => {
      if (t !== undefined && (t.rank !== 2 || t.shape[0] !== batch || t.shape[1] !== seq)) {
        throw new CarlError('SHAPE_MISMATCH', `expected [${batch}, ${seq}] to match the embeddings, got [${t.shape.join(', ')}]`, { field });
      }
    };
    check(inputs.inputIds, 'inputIds');
    check(inputs.attentionMask, 'attentionMask');
    check(inputs.tokenTypeIds, 'tokenTypeIds');
    if (seq > this.maxLength) {
      throw new CarlError(
        'INVALID_ARGUMENT',
        `sequence of ${seq} tokens is longer than the model's maximum of ${this.maxLength} (truncate with encodeBatch({ maxLength }))`,
        { field: 'inputIds' },
      );
    }
    if (inputs.tokenTypeIds !== undefined) {
      const types = inputs.tokenTypeIds.dataSync();
      for (const t of types) {
        if (!(t >= 0 && t < this.config.typeVocabSize)) {
          throw new CarlError('INVALID_ARGUMENT', `token type ${t} is outside [0, ${this.config.typeVocabSize})`, { field: 'tokenTypeIds' });
        }
      }
    }
  }

  private positionEmbeddings(mask: tf.Tensor2D, batch: number, seq: number): tf.Tensor {
    const table = this.w<tf.Rank.R2>('embeddings.position_embeddings.weight');
    if (this.architecture === 'bert') return tf.slice(table, [0, 0], [seq, this.hiddenSize]);
    // transformers' create_position_ids_from_input_ids: padding_idx + cumsum(real) · real; padding keeps padding_idx.
    const ids = tf.cast(tf.add(tf.mul(tf.cumsum(mask, 1), mask), this.config.padTokenId), 'int32');
    return tf.reshape(tf.gather(table, tf.reshape(ids, [-1])), [batch, seq, this.hiddenSize]);
  }

  private tokenTypeEmbeddings(tokenTypeIds: tf.Tensor2D | undefined, batch: number, seq: number): tf.Tensor {
    const table = this.w<tf.Rank.R2>('embeddings.token_type_embeddings.weight');
    if (tokenTypeIds === undefined) return tf.slice(table, [0, 0], [1, this.hiddenSize]); // all type 0, broadcast
    const ids = tokenTypeIds.dtype === 'int32' ? tokenTypeIds : tf.cast(tokenTypeIds, 'int32');
    return tf.reshape(tf.gather(table, tf.reshape(ids, [-1])), [batch, seq, this.hiddenSize]);
  }

  /** One transformer layer (post-LN BERT), with the intermediates a hand-written backward pass needs (see `selective.ts`). */
  private layerParts(
    i: number,
    x: tf.Tensor3D,
    mask: tf.Tensor4D,
    seeds: LayerSeeds,
    rowOffset: number,
    get: (name: string) => tf.Tensor = (name) => this.w(name),
  ): { out: tf.Tensor3D; parts: LayerParts } {
    const c = this.config;
    const p = `encoder.layer.${i}.`;
    const w = <R extends tf.Rank>(name: string): tf.Tensor<R> => get(`${p}${name}`) as tf.Tensor<R>;
    const wb = (name: string): { weight: tf.Tensor2D; bias: tf.Tensor1D } => ({ weight: w(`${name}.weight`), bias: w(`${name}.bias`) });
    const attention = attentionParts(
      x,
      { query: wb('attention.self.query'), key: wb('attention.self.key'), value: wb('attention.self.value') },
      mask,
      c.numAttentionHeads,
      c.attentionProbsDropoutProb,
      seeds[0],
      rowOffset,
    );
    let attended = linear(attention.context, w('attention.output.dense.weight'), w('attention.output.dense.bias'));
    attended = maybeDropout(attended, c.hiddenDropoutProb, seeds[1], rowOffset);
    const firstSum = tf.add(attended, x);
    const h = layerNorm(firstSum, w('attention.output.LayerNorm.weight'), w('attention.output.LayerNorm.bias'), c.layerNormEps);
    const inner = linear(h, w('intermediate.dense.weight'), w('intermediate.dense.bias'));
    let out = linear(activation(inner, c.hiddenAct), w('output.dense.weight'), w('output.dense.bias'));
    out = maybeDropout(out, c.hiddenDropoutProb, seeds[2], rowOffset);
    const secondSum = tf.add(out, h);
    return {
      out: layerNorm(secondSum, w('output.LayerNorm.weight'), w('output.LayerNorm.bias'), c.layerNormEps) as tf.Tensor3D,
      parts: { ...attention, firstSum: firstSum as tf.Tensor3D, inner: inner as tf.Tensor3D, secondSum: secondSum as tf.Tensor3D },
    };
  }

  /**
   * The weight names of layer `i` (in the order a customGrad takes them as inputs) and a lookup from those
   * names to the tensors the customGrad hands its forward function in that order.
   */
  private layerWeights(i: number): { prefix: string; names: string[]; lookup: (values: readonly tf.Tensor[]) => (name: string) => tf.Tensor } {
    const prefix = `encoder.layer.${i}.`;
    const names = [...this.weights.keys()].filter((name) => name.startsWith(prefix));
    const lookup = (values: readonly tf.Tensor[]): ((name: string) => tf.Tensor) => {
      const byName = new Map(names.map((name, k) => [name, values[k] as tf.Tensor]));
      return (name) => byName.get(name) as tf.Tensor;
    };
    return { prefix, names, lookup };
  }

  /**
   * {@link layerParts} whose backward pass keeps only the layer's input (and the attention mask): tfjs runs a
   * customGrad's forward function off the tape, so none of the layer's intermediates are saved, and the
   * gradient runs the layer again under its own tape. The layer's variables are explicit inputs of the
   * customGrad — tfjs only differentiates through a customGrad's inputs, not through tensors it captures.
   */
  private recomputedLayer(i: number, x: tf.Tensor3D, mask: tf.Tensor4D, seeds: LayerSeeds, rowOffset: number): tf.Tensor3D {
    const { names, lookup } = this.layerWeights(i);
    const run = (input: tf.Tensor3D, m: tf.Tensor4D, values: readonly tf.Tensor[]): tf.Tensor3D => this.layerParts(i, input, m, seeds, rowOffset, lookup(values)).out;
    const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [input, ...values] = args.slice(0, -1) as [tf.Tensor3D, ...tf.Tensor[]];
      // Saved (cloned and kept by tfjs) rather than captured: the mask dies with the forward pass's tidy.
      save([input, mask]);
      return {
        value: run(input, mask, values),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [savedInput, savedMask] = saved as [tf.Tensor3D, tf.Tensor4D];
          const { value, grads } = valueAndGradsInsideBackward((xs) => run(xs[0] as tf.Tensor3D, savedMask, xs.slice(1)), [savedInput, ...values], dy);
          value.dispose(); // the layer's output again: only its gradients are wanted
          return grads;
        },
      };
    });
    return fn(x, ...names.map((name) => this.w(name))) as tf.Tensor3D;
  }

  /**
   * {@link layerParts} whose backward pass keeps only what the layer's matrix products made and is written out by
   * hand (`layerBackward`): tfjs runs the customGrad's forward function off the tape, so nothing else is kept.
   */
  private selectiveLayer(i: number, x: tf.Tensor3D, mask: tf.Tensor4D, seeds: LayerSeeds, rowOffset: number): tf.Tensor3D {
    const { prefix, names, lookup } = this.layerWeights(i);
    const fn = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const [input, ...values] = args.slice(0, -1) as [tf.Tensor3D, ...tf.Tensor[]];
      const get = lookup(values);
      const weight = (name: string): tf.Tensor => get(`${prefix}${name}`);
      const { out, parts } = this.layerParts(i, input, mask, seeds, rowOffset, get);
      save([input, parts.q, parts.kT, parts.v, parts.masked, parts.context, parts.firstSum, parts.inner, parts.secondSum]);
      return {
        value: out,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          // A customGrad's gradient runs outside any tidy of the backward pass: without one, every temporary of
          // every layer's backward would live until the whole backward pass ends.
          tf.tidy(() => {
            const [sx, q, kT, v, masked, context, firstSum, inner, secondSum] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor4D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
            const { dx, grads } = layerBackward(dy, { x: sx, q, kT, v, masked, context, firstSum, inner, secondSum }, weight, this.config, seeds, rowOffset);
            return [dx, ...names.map((name) => grads.get(name.slice(prefix.length)) as tf.Tensor)];
          }),
      };
    });
    return fn(x, ...names.map((name) => this.w(name))) as tf.Tensor3D;
  }

  private pool(hiddenStates: tf.Tensor3D, mask: tf.Tensor2D, hidden: number): tf.Tensor2D {
    const batch = hiddenStates.shape[0];
    switch (this.config.pooling) {
      case 'cls':
        return tf.reshape(tf.slice(hiddenStates, [0, 0, 0], [batch, 1, hidden]), [batch, hidden]) as tf.Tensor2D;
      case 'pooler':
        return this.poolerOutput(hiddenStates);
      case 'mean': {
        const m = tf.expandDims(mask, 2);
        return tf.div(tf.sum(tf.mul(hiddenStates, m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor2D;
      }
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
