import * as tf from '@tensorflow/tfjs-core';
import {
  AdamW,
  CarlError,
  clipByGlobalNorm,
  disposeInputs,
  isCarlError,
  namedGradients,
  toEncoderInputs,
  type Encoder,
  type EncoderInputs,
  type EncoderOutput,
  type Random,
  type TokenizedBatch,
  type VA,
} from '@carl/core';
import {
  infoNCE,
  l2Normalize,
  rankNContrast,
  softContrastiveLoss,
  supCon,
  weightedSupCon,
  type ContrastiveLossResult,
} from '@carl/contrastive-losses';
import { MlmHead, TransformerEncoder, loadMlmHead } from '@carl/encoder';
import {
  PerturbedTokenDetectionHead,
  candidateMask,
  detectionMetrics,
  perturbTokens,
  perturbedTokenDetectionLoss,
  selectTokens,
  tokenSaliency,
  type TokenGenerator,
} from '@carl/saliency-perturbation';
import { binVA, gaussianKernel, labelSimilarityMatrix } from '@carl/va-labeling';
import { LabeledQueue, MomentumTarget, type QueueSnapshot } from '@carl/momentum-queue';
import type { TrainConfig } from './config';
import { MlpHead } from './heads';
import { planMemory, type EncoderShape, type MemoryPlan, type RecomputeChoice } from './memory';
import { METHOD_TRAITS, type ContrastiveObjective, type MethodTraits } from './methods';

/** One training example as the step sees it: text, VA label and a run-unique id. */
export interface StepRow {
  readonly id: string;
  readonly text: string;
  readonly va: VA;
}

/** What one optimiser step did. */
export interface StepOutcome {
  /** The total loss that was minimised. */
  readonly loss: number;
  /** Its parts (`mccl`, `ptd`, `mse`, `infonce`, `supcon`), unweighted. */
  readonly parts: Readonly<Record<string, number>>;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /**
   * Further figures: skipped anchors, detection accuracy/F1, queue size and fill (`queueFill`, 0–1),
   * padded length, micro-batches, and `mcclKL` / `supconKL`: the loss minus the entropy of its soft
   * targets, i.e. their KL divergence from the model's distribution (≥ 0, 0 when the embeddings match
   * the targets). The raw loss grows with the number of candidates as the queue fills; the KL does not.
   */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The sentence-level heads of a run, keyed by objective: regression trains a VA head on the pooled
 * embedding; the contrastive objectives a projection head (the losses see its output).
 */
export type SentenceHeads =
  | { readonly objective: 'mse'; readonly vaHead: MlpHead }
  | { readonly objective: ContrastiveObjective; readonly projection: MlpHead };

/** The momentum target: EMA copies of the online encoder and of the projection head. */
export interface MomentumParts {
  readonly encoder: MomentumTarget<Encoder>;
  readonly head: MomentumTarget<undefined>;
  readonly projection: MlpHead;
}

/** Options of {@link TrainingModel} beyond the config. */
export interface TrainingModelOptions {
  /** The MLM head the `generator` perturbation samples from (owned by the model from then on); see {@link trainingModelOptions}. */
  readonly mlmHead?: MlmHead;
  /** The backend the memory plan is made for. Default tfjs's current backend. */
  readonly backend?: string;
  /** Overrides the backend's memory limit (bytes) in the plan, e.g. for tests. */
  readonly memoryLimit?: number;
}

/** The trainable and auxiliary parts of a run, built from the config around an online encoder. */
export class TrainingModel {
  readonly traits: MethodTraits;
  readonly heads: SentenceHeads;
  readonly ptdHead: PerturbedTokenDetectionHead | undefined;
  readonly target: MomentumParts | undefined;
  /** Micro-batch size and recomputation chosen before the first step (see `planMemory`). */
  readonly memoryPlan: MemoryPlan;
  private labeledQueue: LabeledQueue | undefined;
  readonly optimizer: AdamW;
  /** Every trainable variable by name (encoder, heads). */
  readonly params: Map<string, tf.Variable>;
  private readonly mlmHead: MlmHead | undefined;
  private readonly generator: TokenGenerator | undefined;

  /**
   * Plans the run's memory first (a typed `OUT_OF_MEMORY` error before anything is allocated when it
   * cannot fit), then builds the heads, target and queue.
   *
   * @param online the encoder being trained (owned by the caller)
   * @param seed seeds the heads' initialisation
   */
  constructor(
    readonly online: Encoder,
    readonly config: TrainConfig,
    seed: number,
    options: TrainingModelOptions = {},
  ) {
    this.traits = METHOD_TRAITS[config.method];
    this.optimizer = new AdamW({
      learningRate: config.learningRate,
      weightDecay: config.weightDecay,
      beta1: config.adamBeta1,
      beta2: config.adamBeta2,
    });
    this.memoryPlan = planFor(online, config, this.optimizer, options);
    setRecompute(online, this.memoryPlan.recompute);
    if (config.perturbStrategy === 'generator' && this.traits.ptd !== 'none' && options.mlmHead === undefined) {
      throw new CarlError('INVALID_CONFIG', 'perturbStrategy "generator" samples replacements from an MLM head, and this run has none (see trainingModelOptions)', {
        field: 'perturbStrategy',
      });
    }
    this.mlmHead = options.mlmHead;
    this.generator = options.mlmHead?.generator();
    const hidden = online.hiddenSize;
    const objective = this.traits.objective;
    if (objective === 'mse') {
      this.heads = { objective, vaHead: new MlpHead({ inputSize: hidden, outputSize: 2, layers: 1, prefix: 'va_head', seed }) };
    } else {
      const projection = new MlpHead({ inputSize: hidden, outputSize: config.projectionDim, layers: config.projectionLayers, prefix: 'projection', seed });
      this.heads = { objective, projection };
      if (this.traits.keys === 'momentum') {
        const head = MomentumTarget.fromVariables(projection.variables());
        // The target head computes with the EMA copies (owned and disposed by `head`).
        const targetProjection = new MlpHead(
          { inputSize: projection.inputSize, outputSize: projection.outputSize, layers: projection.layers, prefix: projection.prefix, seed: 0 },
          new Map(head.variables),
        );
        this.target = { encoder: MomentumTarget.fromEncoder(online), head, projection: targetProjection };
      }
    }
    if (this.traits.ptd !== 'none') {
      // Built inside tidy so the initial tensors its variables were made from are released.
      let head: PerturbedTokenDetectionHead | undefined;
      tf.tidy(() => {
        head = new PerturbedTokenDetectionHead({ hiddenSize: hidden, seed: seed ^ 0x2545f491, prefix: 'ptd_head' });
      });
      this.ptdHead = head;
    }
    if (this.traits.queue && config.queueSize > 0) this.labeledQueue = new LabeledQueue({ capacity: config.queueSize, dim: config.projectionDim });
    this.params = new Map([...online.variables(), ...this.headVariables()]);
  }

  /** The projection head of the contrastive objectives (undefined for regression). */
  get projection(): MlpHead | undefined {
    return this.heads.objective === 'mse' ? undefined : this.heads.projection;
  }

  /** The VA head of `mse-regression` (undefined for the contrastive objectives). */
  get vaHead(): MlpHead | undefined {
    return this.heads.objective === 'mse' ? this.heads.vaHead : undefined;
  }

  /** The labelled key queue (undefined for methods without one). */
  get queue(): LabeledQueue | undefined {
    return this.labeledQueue;
  }

  /** Replaces the queue with a saved one (from `LabeledQueue.toJSON`), for resuming. */
  restoreQueue(state: unknown): void {
    if (this.labeledQueue === undefined) return;
    const restored = LabeledQueue.fromJSON(state, { capacity: this.labeledQueue.capacity });
    this.labeledQueue.dispose();
    this.labeledQueue = restored;
  }

  /** The momentum target's variables (`encoder.*`, then the projection head's), for checkpoints. */
  targetVariables(): Map<string, tf.Variable> {
    if (this.target === undefined) return new Map();
    return new Map([
      ...[...this.target.encoder.variables].map(([name, v]) => [`encoder.${name}`, v] as const),
      ...[...this.target.head.variables].map(([name, v]) => [`head.${name}`, v] as const),
    ]);
  }

  /** The head variables saved with a checkpoint (projection, PTD and VA heads), by name. */
  headVariables(): Map<string, tf.Variable> {
    const sentence = this.heads.objective === 'mse' ? this.heads.vaHead : this.heads.projection;
    return new Map([...sentence.variables(), ...(this.ptdHead?.variables() ?? [])]);
  }

  /**
   * One optimiser step on a batch, computed in micro-batches of `memoryPlan.microBatchSize` sentences
   * with the gradient of the whole batch (see the README, “Base-size models”). Throws
   * `NUMERIC_INSTABILITY` (before touching any parameter) when the loss or the gradient norm is not
   * finite, so the model stays as it was after the last good step.
   *
   * @param rng the run's stream: dropout seeds and perturbation draws come from it, so a resumed run
   *   (which restores it) replays exactly
   */
  step(rows: readonly StepRow[], rng: Random, learningRate: number, momentum: number): StepOutcome {
    const { config } = this;
    // Tokenised once for the whole batch, so every micro-batch is padded to the same length.
    const batch = this.online.tokenizer.encodeBatch(
      rows.map((r) => r.text),
      { maxLength: config.maxLength },
    );
    // A plan for the whole batch covers a ragged last batch one row longer (merged) too.
    const planned = this.memoryPlan.microBatchSize;
    const chunks = chunkRanges(rows.length, planned >= config.batchSize ? rows.length : Math.min(planned, rows.length));
    const inputs = toEncoderInputs(batch);
    const chunkInputs = chunks.length === 1 ? [inputs] : chunks.map((c) => toEncoderInputs(sliceBatch(batch, c.start, c.end)));
    const labels = rows.map((r) => r.va);
    const ids = rows.map((r) => r.id);
    const seeds = { query: rng.seed(), view: rng.seed() };
    const pass: Pass = { batch, inputs, chunks, chunkInputs, seeds };
    let keys: tf.Tensor2D | undefined;
    let queued: QueueSnapshot | undefined;
    let ptd: Perturbed | undefined;
    let result: LossResult | undefined;
    const metrics: Record<string, number> = { paddedLength: batch.inputIds[0]?.length ?? 0, microBatches: chunks.length };
    try {
      // Keys of the momentum target (no gradient, dropout off): MoCo's key encoder, for the whole batch first.
      if (this.target !== undefined) {
        const target = this.target;
        keys = concatRows(chunkInputs.map((ci) => tf.tidy(() => l2Normalize(target.projection.forward(target.encoder.encoder.forward(ci, { training: false }).pooled)))));
        // Stale queue copies of this batch's sentences are left out: a sentence is never its own negative.
        const snapshot = this.queue?.snapshot({ excludeIds: ids });
        if (snapshot !== undefined && snapshot.labels.length === 0) snapshot.keys.dispose();
        else queued = snapshot;
        metrics['queueSize'] = queued?.labels.length ?? 0;
        if (this.queue !== undefined) metrics['queueFill'] = this.queue.size / this.queue.capacity;
      }
      const ctx: LossContext = { labels, ids, queued };

      // PTD data step: choose tokens (by saliency of the sentence loss on the clean batch, or at random) and perturb them.
      // Without a target, the saliency pass contrasts against a second view computed here without gradient.
      if (this.traits.ptd !== 'none' && this.heads.objective !== 'mse') {
        const heads = this.heads;
        const needsSaliency = this.traits.ptd === 'salient' || config.perturbStrategy === 'embedding';
        const saliencyKeys = keys ?? (needsSaliency ? concatRows(chunks.map((c, i) => tf.tidy(() => this.secondView(heads.projection, chunkInputs[i] as EncoderInputs, seeds.view, c.start)))) : undefined);
        try {
          ptd = this.perturb(pass, heads, ctx, saliencyKeys, rng);
        } finally {
          if (saliencyKeys !== keys) saliencyKeys?.dispose();
        }
      }

      result =
        chunks.length === 1
          ? this.wholeBatchGradients(pass, ctx, keys, ptd)
          : this.heads.objective === 'mse'
            ? this.regressionGradients(pass, this.heads.vaHead, labels)
            : this.cachedGradients(pass, this.heads.objective, this.heads.projection, ctx, keys, ptd);
      Object.assign(metrics, result.metrics);
      const { loss, parts: partValues } = result;
      if (!Number.isFinite(loss)) {
        throw new CarlError('NUMERIC_INSTABILITY', `the loss is ${loss} (${describeParts(partValues)}); no update was applied`, { field: 'loss' });
      }
      const clipped = clipByGlobalNorm(result.grads, config.clipNorm > 0 ? config.clipNorm : Number.POSITIVE_INFINITY);
      result.grads = clipped.grads;
      if (!Number.isFinite(clipped.norm)) {
        throw new CarlError('NUMERIC_INSTABILITY', `the gradient norm is ${clipped.norm} (loss ${loss}); no update was applied`, { field: 'gradNorm' });
      }
      this.optimizer.step(this.params, result.grads, learningRate);
      if (this.target !== undefined && this.heads.objective !== 'mse') {
        this.target.encoder.update(this.online, momentum);
        this.target.head.update(this.heads.projection.variables(), momentum);
      }
      if (this.queue !== undefined && keys !== undefined) this.queue.enqueue(keys, labels, ids);
      return { loss, parts: partValues, gradNorm: clipped.norm, metrics };
    } finally {
      result?.grads.forEach((g) => g.dispose());
      ptd?.dispose();
      keys?.dispose();
      queued?.keys.dispose();
      disposeInputs(inputs);
      if (chunks.length > 1) chunkInputs.forEach(disposeInputs);
    }
  }

  /**
   * The query pass of micro-batch `i`: the (perturbed) query forward and the pooled embedding the
   * sentence loss sees (with ptdView `separate`, a clean pass). `rowOffset` makes every dropout mask
   * the one the whole batch would draw, so the split does not change the step.
   */
  private queryPass(pass: Pass, i: number, ptd: Perturbed | undefined, needOut: boolean): { out: EncoderOutput | undefined; pooled: tf.Tensor2D } {
    const { online, config } = this;
    const chunk = pass.chunks[i] as Chunk;
    const clean = pass.chunkInputs[i] as EncoderInputs;
    const queryInputs = ptd?.chunkInputs[i] ?? clean;
    const separate = ptd !== undefined && config.ptdView === 'separate';
    let out: EncoderOutput | undefined;
    if (needOut || !separate) {
      const delta = ptd?.chunkDelta(i);
      const embeddings = delta !== undefined ? (tf.add(online.embedTokens(clean.inputIds), delta) as tf.Tensor3D) : online.embedTokens(queryInputs.inputIds);
      out = online.forwardFromEmbeddings(embeddings, queryInputs, { training: true, seed: pass.seeds.query, rowOffset: chunk.start });
    }
    // ptdView 'separate': the sentence objective sees the clean batch; `out` (perturbed) only feeds PTD.
    const pooled = separate
      ? online.forward(clean, { training: true, seed: (pass.seeds.query ^ 0x9e3779b9) >>> 0, rowOffset: chunk.start }).pooled
      : (out as EncoderOutput).pooled;
    return { out, pooled };
  }

  /** The whole batch in one pass: one tape over the forward passes, the loss and its gradients. */
  private wholeBatchGradients(pass: Pass, ctx: LossContext, keys: tf.Tensor2D | undefined, ptd: Perturbed | undefined): LossResult {
    const { config, heads } = this;
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    const parts: Record<string, tf.Scalar> = {};
    const metrics: Record<string, number> = {};
    try {
      const { value, grads } = namedGradients(() => {
        const { out, pooled } = this.queryPass(pass, 0, ptd, ptd !== undefined);
        let total: tf.Scalar;
        if (heads.objective === 'mse') {
          const target = tf.tensor2d(ctx.labels.map((l) => [l.valence, l.arousal]));
          total = keep(tf.mean(tf.square(tf.sub(heads.vaHead.forward(pooled), target))) as tf.Scalar);
          parts['mse'] = total;
        } else {
          const q = heads.projection.forward(pooled);
          // The second view (SimCSE-style keys) is recomputed inside the closure so its gradient flows too.
          const result = this.sentenceLoss(heads.objective, q, ctx, keys ?? this.secondView(heads.projection, pass.inputs, pass.seeds.view, 0));
          Object.assign(metrics, lossMetrics(heads.objective, result));
          total = keep(result.loss);
          parts[heads.objective] = total;
        }
        if (ptd !== undefined && this.ptdHead !== undefined && out !== undefined) {
          const logits = keep(this.ptdHead.forward(out.hiddenStates));
          const detection = keep(perturbedTokenDetectionLoss(logits, ptd.labels, ptd.candidates, { positiveWeight: config.ptdPositiveWeight }));
          parts['ptd'] = detection;
          Object.assign(metrics, ptdMetrics(logits, ptd));
          total = tf.add(total, tf.mul(detection, config.ptdWeight)) as tf.Scalar;
        }
        return total;
      }, this.params);
      // Parts first: without PTD the returned value is the (kept) part itself.
      const partValues = Object.fromEntries(Object.entries(parts).map(([k, t]) => [k, t.dataSync()[0] as number]));
      const loss = value.dataSync()[0] as number;
      value.dispose();
      return { loss, parts: partValues, grads, metrics };
    } finally {
      kept.forEach((t) => t.dispose());
    }
  }

  /** Regression in micro-batches: the mean squared error is a mean over rows, so each share is weighted by its rows. */
  private regressionGradients(pass: Pass, vaHead: MlpHead, labels: readonly VA[]): LossResult {
    const total = labels.length;
    let grads = new Map<string, tf.Tensor>();
    let loss = 0;
    pass.chunks.forEach((chunk, i) => {
      const { value, grads: g } = namedGradients(() => {
        const { pooled } = this.queryPass(pass, i, undefined, false);
        const target = tf.tensor2d(labels.slice(chunk.start, chunk.end).map((l) => [l.valence, l.arousal]));
        return tf.mul(tf.mean(tf.square(tf.sub(vaHead.forward(pooled), target))), (chunk.end - chunk.start) / total) as tf.Scalar;
      }, this.params);
      loss += value.dataSync()[0] as number;
      value.dispose();
      grads = accumulate(grads, g);
    });
    return { loss, parts: { mse: loss }, grads, metrics: {} };
  }

  /**
   * Gradient caching (Gao et al. 2021, "Scaling Deep Contrastive Learning Batch Size under Memory
   * Limited Setup"): embed the whole batch without a tape, micro-batch by micro-batch; take the
   * sentence loss of the whole batch and its gradient with respect to the projected embeddings (the
   * queries, and the second view's keys when they carry gradient); then run each micro-batch again
   * under a tape and back-propagate its slice of those gradients (the surrogate Σ z ⊙ ∂L/∂z), plus its
   * share of the PTD loss, a mean over the batch's candidate tokens. The sum over micro-batches is the
   * whole batch's gradient.
   */
  private cachedGradients(
    pass: Pass,
    objective: ContrastiveObjective,
    projection: MlpHead,
    ctx: LossContext,
    keys: tf.Tensor2D | undefined,
    ptd: Perturbed | undefined,
  ): LossResult {
    const { config } = this;
    const secondView = keys === undefined;
    const queries = concatRows(pass.chunks.map((_, i) => tf.tidy(() => projection.forward(this.queryPass(pass, i, ptd, false).pooled))));
    const views = secondView ? concatRows(pass.chunks.map((c, i) => tf.tidy(() => this.secondView(projection, pass.chunkInputs[i] as EncoderInputs, pass.seeds.view, c.start)))) : undefined;
    const metrics: Record<string, number> = {};
    let sentence = 0;
    let cached: tf.Tensor[] = [];
    try {
      const { value, grads } = tf.valueAndGrads((...zs: tf.Tensor[]) => {
        const result = this.sentenceLoss(objective, zs[0] as tf.Tensor2D, ctx, (zs[1] ?? keys) as tf.Tensor2D);
        Object.assign(metrics, lossMetrics(objective, result));
        return result.loss;
      })(views === undefined ? [queries] : [queries, views]);
      cached = grads;
      sentence = value.dataSync()[0] as number;
      value.dispose();
    } finally {
      queries.dispose();
      views?.dispose();
    }
    const [queryGrad, viewGrad] = cached as [tf.Tensor2D, tf.Tensor2D | undefined];
    const candidateTotal = ptd === undefined ? 0 : ptd.candidates.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
    let grads = new Map<string, tf.Tensor>();
    let detection = 0;
    const logits: tf.Tensor2D[] = [];
    try {
      pass.chunks.forEach((chunk, i) => {
        const n = chunk.end - chunk.start;
        const share = ptd === undefined ? 0 : sumRows(ptd.candidates.slice(chunk.start, chunk.end)) / Math.max(candidateTotal, 1);
        // Set inside the tape's closure (kept), read after it.
        const held: { part?: tf.Scalar } = {};
        const { value, grads: g } = namedGradients(() => {
          const { out, pooled } = this.queryPass(pass, i, ptd, ptd !== undefined);
          let surrogate = tf.sum(tf.mul(projection.forward(pooled), tf.slice(queryGrad, [chunk.start, 0], [n, -1]))) as tf.Scalar;
          if (viewGrad !== undefined) {
            const view = this.secondView(projection, pass.chunkInputs[i] as EncoderInputs, pass.seeds.view, chunk.start);
            surrogate = tf.add(surrogate, tf.sum(tf.mul(view, tf.slice(viewGrad, [chunk.start, 0], [n, -1])))) as tf.Scalar;
          }
          if (ptd !== undefined && this.ptdHead !== undefined && out !== undefined) {
            const l = this.ptdHead.forward(out.hiddenStates);
            logits.push(tf.keep(l));
            const part = tf.keep(
              perturbedTokenDetectionLoss(l, ptd.labels.slice(chunk.start, chunk.end), ptd.candidates.slice(chunk.start, chunk.end), {
                positiveWeight: config.ptdPositiveWeight,
              }),
            );
            held.part = part;
            surrogate = tf.add(surrogate, tf.mul(part, config.ptdWeight * share)) as tf.Scalar;
          }
          return surrogate;
        }, this.params);
        value.dispose();
        if (held.part !== undefined) {
          detection += (held.part.dataSync()[0] as number) * share;
          held.part.dispose();
        }
        grads = accumulate(grads, g);
      });
      const parts: Record<string, number> = { [objective]: sentence };
      if (ptd !== undefined) {
        parts['ptd'] = detection;
        const all = concatRows(logits.splice(0));
        Object.assign(metrics, ptdMetrics(all, ptd));
        all.dispose();
      }
      return { loss: sentence + (ptd === undefined ? 0 : config.ptdWeight * detection), parts, grads, metrics };
    } catch (error) {
      grads.forEach((g) => g.dispose());
      throw error;
    } finally {
      logits.forEach((t) => t.dispose());
      cached.forEach((t) => t.dispose());
    }
  }

  /** The second dropout view of clean sentences through the online network (SimCSE's positive). */
  private secondView(projection: MlpHead, inputs: EncoderInputs, seed: number, rowOffset: number): tf.Tensor2D {
    return projection.forward(this.online.forward(inputs, { training: true, seed, rowOffset }).pooled);
  }

  /**
   * The sentence-level loss of the method for projected queries `q` against `keys` (the batch's
   * momentum keys or second dropout view), followed by the queue's keys when there is a queue.
   */
  private sentenceLoss(objective: ContrastiveObjective, q: tf.Tensor2D, ctx: LossContext, keys: tf.Tensor2D): ContrastiveLossResult {
    const { config } = this;
    const extraKeys = ctx.queued?.keys;
    const extraLabels = ctx.queued?.labels ?? [];
    const base = { queries: q, keys, temperature: config.temperature, ...(extraKeys === undefined ? {} : { extraKeys }) };
    const labelDistance = { metric: config.labelDistance, axisWeights: config.axisWeights };
    const continuous = { queryLabels: ctx.labels, keyLabels: ctx.labels, ...(extraKeys === undefined ? {} : { extraKeyLabels: extraLabels }) };
    switch (objective) {
      case 'infonce':
        return infoNCE(base);
      case 'supcon': {
        const bin = (v: VA): number => binVA(v, { binsPerAxis: config.bins }).index;
        return supCon({
          ...base,
          queryLabels: ctx.labels.map(bin),
          keyLabels: ctx.labels.map(bin),
          ...(extraKeys === undefined ? {} : { extraKeyLabels: extraLabels.map(bin) }),
        });
      }
      case 'mccl': {
        if (config.contrastiveLoss === 'weighted-supcon') return weightedSupCon({ ...base, ...continuous, bandwidth: config.labelTemperature, labelDistance });
        if (config.contrastiveLoss === 'rank-n-contrast') return rankNContrast({ ...base, ...continuous, labelDistance });
        const selfPositive = config.selfPositiveWeight > 0 ? { weight: config.selfPositiveWeight } : ('kernel' as const);
        if (config.labelKernel === 'gaussian') {
          const weights = labelSimilarityMatrix(ctx.labels, [...ctx.labels, ...extraLabels], gaussianKernel(config.labelTemperature), {
            metric: config.labelDistance,
            weights: { valence: config.axisWeights[0] as number, arousal: config.axisWeights[1] as number },
          });
          try {
            return softContrastiveLoss({ ...base, targetWeights: weights, selfPositive });
          } finally {
            weights.dispose();
          }
        }
        return softContrastiveLoss({ ...base, ...continuous, labelTemperature: config.labelTemperature, labelDistance, selfPositive });
      }
    }
  }

  /**
   * Chooses and perturbs tokens for PTD; returns what the loss passes need. Saliency is per sentence,
   * so it is taken micro-batch by micro-batch (of the whole batch's loss, through its cached gradient
   * with respect to the clean queries); selection and perturbation then run once on the whole batch,
   * so the draws from `rng` do not depend on the split either.
   */
  private perturb(pass: Pass, heads: Extract<SentenceHeads, { projection: MlpHead }>, ctx: LossContext, keys: tf.Tensor2D | undefined, rng: Random): Perturbed {
    const { config } = this;
    const { batch } = pass;
    const budget = {
      ratio: config.perturbRatio,
      minTokens: config.perturbMin,
      ...(config.perturbMax > 0 ? { maxTokens: config.perturbMax } : {}),
    };
    let candidates: number[][];
    let selected: number[][];
    let saliencyTensors: { gradient: tf.Tensor3D; embeddings: tf.Tensor3D } | undefined;
    if (this.traits.ptd === 'random' && config.perturbStrategy !== 'embedding') {
      // Random tokens need no gradient: skip the saliency pass (same budget, less compute).
      candidates = candidateMask(batch.attentionMask, batch.specialTokensMask);
      selected = selectTokens({ candidates, method: 'random', rng, ...budget });
    } else {
      const saliency = this.saliency(pass, heads.objective, heads.projection, ctx, keys as tf.Tensor2D);
      candidates = saliency.candidates;
      saliencyTensors = saliency.tensors;
      const method = this.traits.ptd === 'random' ? 'random' : config.selectionTemperature > 0 ? 'sample' : 'top';
      try {
        selected = selectTokens({
          scores: saliency.scores,
          candidates,
          method,
          rng,
          ...(config.selectionTemperature > 0 ? { temperature: config.selectionTemperature } : {}),
          ...budget,
        });
      } catch (error) {
        tf.dispose([saliencyTensors?.gradient, saliencyTensors?.embeddings].filter((t): t is tf.Tensor3D => t !== undefined));
        throw error;
      }
    }
    let labels: number[][];
    let inputIds: number[][] | undefined;
    let delta: tf.Tensor3D | undefined;
    const tokens = this.online.tokenizer.specialTokens;
    const specialTokenIds = [tokens.pad, tokens.unk, tokens.cls, tokens.sep, tokens.mask].filter((id): id is number => id !== undefined);
    switch (config.perturbStrategy) {
      case 'mask':
        ({ labels, inputIds } = perturbTokens({ strategy: 'mask', inputIds: batch.inputIds, selected, candidates, maskTokenId: requireMask(tokens.mask, 'mask') }));
        break;
      case 'random':
        ({ labels, inputIds } = perturbTokens({ strategy: 'random', inputIds: batch.inputIds, selected, candidates, vocabSize: this.online.tokenizer.vocabSize, specialTokenIds, rng }));
        break;
      case 'generator':
        ({ labels, inputIds } = perturbTokens({
          strategy: 'generator',
          inputIds: batch.inputIds,
          selected,
          candidates,
          generator: this.generator as TokenGenerator,
          rng,
          specialTokenIds,
          vocabSize: this.online.tokenizer.vocabSize,
          // ELECTRA's generator sees the selected positions masked.
          maskTokenId: requireMask(tokens.mask, 'generator'),
        }));
        break;
      case 'embedding': {
        const { gradient, embeddings } = saliencyTensors as { gradient: tf.Tensor3D; embeddings: tf.Tensor3D };
        try {
          const result = perturbTokens({ strategy: 'embedding', embeddings, gradient, selected, candidates, epsilon: config.perturbEpsilon, epsilonMode: 'relative' });
          labels = result.labels;
          delta = result.delta;
          result.embeddings.dispose();
        } finally {
          gradient.dispose();
          embeddings.dispose();
        }
        break;
      }
    }
    const ids = inputIds;
    const perturbedChunks =
      ids === undefined ? undefined : pass.chunks.map((c) => toEncoderInputs({ ...sliceBatch(batch, c.start, c.end), inputIds: ids.slice(c.start, c.end) }));
    const deltas = new Map<number, tf.Tensor3D>();
    const fullDelta = delta;
    const count = labels.reduce((sum, row) => sum + row.reduce((s, x) => s + x, 0), 0);
    return {
      labels,
      candidates,
      count,
      chunkInputs: perturbedChunks ?? [],
      chunkDelta: (i) => {
        if (fullDelta === undefined) return undefined;
        if (pass.chunks.length === 1) return fullDelta;
        // Sliced once per micro-batch and kept for the step: both the no-tape and the taped pass use it.
        let d = deltas.get(i);
        if (d === undefined) {
          const c = pass.chunks[i] as Chunk;
          d = tf.keep(tf.slice(fullDelta, [c.start, 0, 0], [c.end - c.start, -1, -1]));
          deltas.set(i, d);
        }
        return d;
      },
      dispose: () => {
        perturbedChunks?.forEach(disposeInputs);
        deltas.forEach((d) => d.dispose());
        fullDelta?.dispose();
      },
    };
  }

  /**
   * Token saliency of the sentence loss on the clean batch (dropout off, so the choice reflects the
   * model, not a dropout draw). In one pass for a single micro-batch; otherwise through the gradient
   * of the whole batch's loss with respect to the clean queries, which every micro-batch back-propagates
   * to its token embeddings (the keys carry no gradient here, so each sentence's saliency is exact).
   */
  private saliency(
    pass: Pass,
    objective: ContrastiveObjective,
    projection: MlpHead,
    ctx: LossContext,
    keys: tf.Tensor2D,
  ): { scores: Float32Array[]; candidates: number[][]; tensors: { gradient: tf.Tensor3D; embeddings: tf.Tensor3D } | undefined } {
    const { config, online } = this;
    const keepTensors = config.perturbStrategy === 'embedding';
    const common = { encoder: online, score: config.saliencyScore, forwardOptions: { training: false } } as const;
    if (pass.chunks.length === 1) {
      const s = tokenSaliency({
        ...common,
        inputs: pass.inputs,
        specialTokensMask: pass.batch.specialTokensMask,
        keepTensors,
        loss: (out) => this.sentenceLoss(objective, projection.forward(out.pooled), ctx, keys).loss,
      });
      return { scores: s.scores, candidates: s.candidates, tensors: s.gradient === undefined || s.embeddings === undefined ? undefined : { gradient: s.gradient, embeddings: s.embeddings } };
    }
    const clean = concatRows(pass.chunkInputs.map((ci) => tf.tidy(() => projection.forward(online.forward(ci, { training: false }).pooled))));
    const cached = tf.tidy(() => tf.grad((q: tf.Tensor) => this.sentenceLoss(objective, q as tf.Tensor2D, ctx, keys).loss)(clean)) as tf.Tensor2D;
    clean.dispose();
    const scores: Float32Array[] = [];
    const candidates: number[][] = [];
    const gradients: tf.Tensor3D[] = [];
    const embeddings: tf.Tensor3D[] = [];
    try {
      pass.chunks.forEach((c, i) => {
        const slice = tf.slice(cached, [c.start, 0], [c.end - c.start, -1]);
        try {
          const s = tokenSaliency({
            ...common,
            inputs: pass.chunkInputs[i] as EncoderInputs,
            specialTokensMask: pass.batch.specialTokensMask.slice(c.start, c.end),
            keepTensors,
            loss: (out) => tf.sum(tf.mul(projection.forward(out.pooled), slice)) as tf.Scalar,
          });
          scores.push(...s.scores);
          candidates.push(...s.candidates);
          if (s.gradient !== undefined) gradients.push(s.gradient);
          if (s.embeddings !== undefined) embeddings.push(s.embeddings);
        } finally {
          slice.dispose();
        }
      });
      const tensors = keepTensors ? { gradient: tf.concat(gradients, 0), embeddings: tf.concat(embeddings, 0) } : undefined;
      return { scores, candidates, tensors };
    } finally {
      cached.dispose();
      tf.dispose([...gradients, ...embeddings]);
    }
  }

  /** Frees heads, target, queue, MLM head and optimiser state (not the online encoder). */
  dispose(): void {
    (this.heads.objective === 'mse' ? this.heads.vaHead : this.heads.projection).dispose();
    this.ptdHead?.dispose();
    this.target?.encoder.dispose();
    this.target?.head.dispose();
    this.labeledQueue?.dispose();
    this.mlmHead?.dispose();
    this.optimizer.dispose();
  }
}

/**
 * What a {@link TrainingModel} needs beyond the config, read from disk: for `perturbStrategy:
 * 'generator'`, the MLM head of the `init` folder (bound to the online encoder, whose word embeddings
 * it decodes with). Throws `INVALID_CONFIG` when the run has no MLM head (no `init`, or a folder
 * without `cls.predictions.*` / `lm_head.*` weights).
 *
 * @example
 * ```ts
 * const model = new TrainingModel(encoder, config, seed, await trainingModelOptions(config, encoder));
 * ```
 */
export async function trainingModelOptions(config: TrainConfig, online: Encoder): Promise<TrainingModelOptions> {
  if (config.perturbStrategy !== 'generator' || METHOD_TRAITS[config.method].ptd === 'none') return {};
  const hint = 'start from a folder with MLM-head weights (`--init`, e.g. a `carl pretrain` output or a BertForMaskedLM checkpoint) or pick another --perturb-strategy';
  if (config.init === null) {
    throw new CarlError('INVALID_CONFIG', `perturbStrategy "generator" samples replacements from an MLM head, and a fresh encoder has none: ${hint}`, { field: 'perturbStrategy' });
  }
  if (!(online instanceof TransformerEncoder)) {
    throw new CarlError('INVALID_CONFIG', `perturbStrategy "generator" needs a @carl/encoder TransformerEncoder (got a "${online.architecture}" encoder)`, { field: 'perturbStrategy' });
  }
  try {
    return { mlmHead: await loadMlmHead(config.init, online) };
  } catch (error) {
    if (isCarlError(error, 'INVALID_CHECKPOINT') || isCarlError(error, 'NOT_FOUND')) {
      throw new CarlError('INVALID_CONFIG', `perturbStrategy "generator" needs an MLM head, and this model folder has none (${error.message}): ${hint}`, { file: config.init, field: 'perturbStrategy' }, { cause: error });
    }
    throw error;
  }
}

interface Chunk {
  readonly start: number;
  readonly end: number;
}

/** The tokenised batch, its tensors whole and per micro-batch, and the step's dropout seeds. */
interface Pass {
  readonly batch: TokenizedBatch;
  readonly inputs: EncoderInputs;
  readonly chunks: readonly Chunk[];
  readonly chunkInputs: readonly EncoderInputs[];
  readonly seeds: { readonly query: number; readonly view: number };
}

interface LossContext {
  readonly labels: readonly VA[];
  readonly ids: readonly string[];
  readonly queued: QueueSnapshot | undefined;
}

interface LossResult {
  readonly loss: number;
  readonly parts: Record<string, number>;
  grads: Map<string, tf.Tensor>;
  readonly metrics: Record<string, number>;
}

interface Perturbed {
  readonly labels: number[][];
  readonly candidates: number[][];
  readonly count: number;
  /** The perturbed ids per micro-batch (empty for the `embedding` strategy). */
  readonly chunkInputs: readonly EncoderInputs[];
  /** The embedding perturbation of micro-batch i (undefined for the id strategies). */
  chunkDelta(i: number): tf.Tensor3D | undefined;
  dispose(): void;
}

function planFor(online: Encoder, config: TrainConfig, optimizer: AdamW, options: TrainingModelOptions): MemoryPlan {
  const shape = encoderShape(online);
  const backend = options.backend ?? tf.getBackend();
  // AdamW may keep its moments outside the wasm heap (core's `stateLocation`); read defensively, older cores lack it.
  const outside = (optimizer as unknown as { stateLocation?: unknown }).stateLocation === 'outside';
  const planOptions = { optimizerOutsideHeap: outside, ...(options.memoryLimit === undefined ? {} : { limit: options.memoryLimit }) };
  if (shape !== undefined) return planMemory(shape, config, backend, planOptions);
  // An encoder of unknown shape: no estimate of its activations; the configured size or the whole batch.
  const size = config.microBatchSize > 0 ? Math.min(config.microBatchSize, config.batchSize) : config.batchSize;
  const recompute = config.recompute === 'auto' ? 'none' : config.recompute;
  const params = [...online.variables().values()].reduce((s, v) => s + v.size * 4, 0);
  return {
    microBatchSize: size,
    recompute,
    limit: undefined,
    estimate: {
      parameters: params,
      gradients: params,
      optimizer: 2 * params,
      optimizerOutsideHeap: outside,
      target: 0,
      queue: 0,
      activationsPerSentence: 0,
      microBatchSize: size,
      recompute,
      activations: 0,
      total: 4 * params,
    },
  };
}

/** The shape of an encoder that publishes its configuration (as @carl/encoder's do), else undefined. */
function encoderShape(online: Encoder): EncoderShape | undefined {
  const config = (online as unknown as { config?: Partial<Record<keyof EncoderShape, unknown>> }).config;
  if (config === undefined) return undefined;
  const keys: Array<keyof EncoderShape> = ['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize'];
  return keys.every((k) => typeof config[k] === 'number') ? (config as unknown as EncoderShape) : undefined;
}

/** Passes the plan's recomputation to an encoder that supports it (@carl/encoder's `setRecompute`). */
function setRecompute(online: Encoder, mode: RecomputeChoice): void {
  const settable = online as unknown as { setRecompute?: (mode: RecomputeChoice) => void };
  if (typeof settable.setRecompute === 'function') settable.setRecompute(mode);
  else if (mode !== 'none') {
    throw new CarlError('INVALID_CONFIG', `recompute "${mode}" needs an encoder with setRecompute (this "${online.architecture}" encoder has none)`, { field: 'recompute' });
  }
}

function chunkRanges(total: number, size: number): Chunk[] {
  const out: Chunk[] = [];
  for (let start = 0; start < total; start += size) out.push({ start, end: Math.min(total, start + size) });
  return out;
}

function sliceBatch(batch: TokenizedBatch, start: number, end: number): TokenizedBatch {
  return {
    inputIds: batch.inputIds.slice(start, end),
    attentionMask: batch.attentionMask.slice(start, end),
    specialTokensMask: batch.specialTokensMask.slice(start, end),
    truncated: batch.truncated.slice(start, end),
    ...(batch.tokenTypeIds === undefined ? {} : { tokenTypeIds: batch.tokenTypeIds.slice(start, end) }),
  };
}

/** Rows of several tensors in one (the parts are disposed; a single part is returned as is). */
function concatRows<T extends tf.Tensor>(parts: T[]): T {
  if (parts.length === 1) return parts[0] as T;
  const out = tf.concat(parts, 0) as T;
  tf.dispose(parts);
  return out;
}

/** `sum + g`, parameter by parameter, disposing both inputs as it goes (so at most one extra parameter's worth is alive). */
function accumulate(sum: Map<string, tf.Tensor>, grads: Map<string, tf.Tensor>): Map<string, tf.Tensor> {
  if (sum.size === 0) return grads;
  for (const [name, g] of grads) {
    const previous = sum.get(name);
    if (previous === undefined) {
      sum.set(name, g);
      continue;
    }
    sum.set(name, tf.add(previous, g));
    previous.dispose();
    g.dispose();
  }
  return sum;
}

function sumRows(rows: readonly (readonly number[])[]): number {
  return rows.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
}

/** Skipped anchors, and the loss minus the entropy of its soft targets (their KL divergence) when the loss has targets. */
function lossMetrics(objective: ContrastiveObjective, result: ContrastiveLossResult): Record<string, number> {
  const out: Record<string, number> = { skippedAnchors: result.skippedAnchors };
  const entropy = (result as { targetEntropy?: number }).targetEntropy;
  if (entropy !== undefined && objective !== 'infonce') {
    // Read after the tape closes would be cleaner, but the value is needed once either way.
    out[`${objective}KL`] = Math.max(0, (result.loss.dataSync()[0] as number) - entropy);
  }
  return out;
}

function ptdMetrics(logits: tf.Tensor2D, ptd: Perturbed): Record<string, number> {
  const scores = detectionMetrics(logits, ptd.labels, ptd.candidates);
  return { ptdAccuracy: scores.accuracy, ptdF1: scores.f1, perturbedTokens: ptd.count };
}

/** The tokenizer's mask id, which the `mask` and `generator` strategies need. */
function requireMask(id: number | undefined, strategy: 'mask' | 'generator'): number {
  if (id === undefined) throw new CarlError('INVALID_CONFIG', `perturbStrategy "${strategy}" needs a tokenizer with a mask token`, { field: 'perturbStrategy' });
  return id;
}

function describeParts(parts: Readonly<Record<string, number>>): string {
  return Object.entries(parts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
