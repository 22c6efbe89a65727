import * as tf from '@tensorflow/tfjs-core';
import {
  AdamW,
  CarlError,
  clipByGlobalNorm,
  disposeInputs,
  namedGradients,
  toEncoderInputs,
  type Encoder,
  type EncoderInputs,
  type Random,
  type TokenizedBatch,
  type VA,
} from '@carl/core';
import {
  infoNCE,
  rankNContrast,
  softContrastiveLoss,
  supCon,
  weightedSupCon,
  type ContrastiveLossResult,
} from '@carl/contrastive-losses';
import {
  PerturbedTokenDetectionHead,
  candidateMask,
  detectionMetrics,
  perturbSalientTokens,
  perturbTokens,
  perturbedTokenDetectionLoss,
  selectTokens,
  type PerturbationSpec,
} from '@carl/saliency-perturbation';
import { binVA, gaussianKernel, labelSimilarityMatrix } from '@carl/va-labeling';
import { LabeledQueue, MomentumTarget, type QueueSnapshot } from '@carl/momentum-queue';
import type { TrainConfig } from './config';
import { MlpHead, l2Normalize } from './heads';
import { METHOD_TRAITS, type MethodTraits } from './methods';

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
  /** Further figures: skipped anchors, detection accuracy/F1, queue size, padded length. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** The trainable and auxiliary parts of a run, built from the config around an online encoder. */
export class TrainingModel {
  readonly traits: MethodTraits;
  readonly projection: MlpHead | undefined;
  readonly vaHead: MlpHead | undefined;
  readonly ptdHead: PerturbedTokenDetectionHead | undefined;
  /** The momentum target: EMA copies of the online encoder and of the projection head. */
  readonly target: { readonly encoder: MomentumTarget<Encoder>; readonly head: MomentumTarget<undefined>; readonly projection: MlpHead } | undefined;
  private labeledQueue: LabeledQueue | undefined;
  readonly optimizer: AdamW;
  /** Every trainable variable by name (encoder, heads). */
  readonly params: Map<string, tf.Variable>;

  /**
   * @param online the encoder being trained (owned by the caller)
   * @param seed seeds the heads' initialisation
   */
  constructor(
    readonly online: Encoder,
    readonly config: TrainConfig,
    seed: number,
  ) {
    this.traits = METHOD_TRAITS[config.method];
    const hidden = online.hiddenSize;
    if (this.traits.objective === 'mse') {
      this.vaHead = new MlpHead({ inputSize: hidden, outputSize: 2, layers: 1, prefix: 'va_head', seed });
    } else {
      this.projection = new MlpHead({ inputSize: hidden, outputSize: config.projectionDim, layers: config.projectionLayers, prefix: 'projection', seed });
    }
    if (this.traits.ptd !== 'none') {
      // Built inside tidy so the initial tensors its variables were made from are released.
      let head: PerturbedTokenDetectionHead | undefined;
      tf.tidy(() => {
        head = new PerturbedTokenDetectionHead({ hiddenSize: hidden, seed: seed ^ 0x2545f491, prefix: 'ptd_head' });
      });
      this.ptdHead = head;
    }
    if (this.traits.keys === 'momentum') {
      const projection = this.projection as MlpHead;
      const head = MomentumTarget.fromVariables(projection.variables());
      // The target head computes with the EMA copies (owned and disposed by `head`).
      const targetProjection = new MlpHead(
        { inputSize: projection.inputSize, outputSize: projection.outputSize, layers: projection.layers, prefix: projection.prefix, seed: 0 },
        new Map(head.variables),
      );
      this.target = { encoder: MomentumTarget.fromEncoder(online), head, projection: targetProjection };
    }
    if (this.traits.queue && config.queueSize > 0) this.labeledQueue = new LabeledQueue({ capacity: config.queueSize, dim: config.projectionDim });
    this.params = new Map([...online.variables()]);
    for (const head of [this.projection, this.vaHead, this.ptdHead]) {
      if (head !== undefined) for (const [name, v] of head.variables()) this.params.set(name, v);
    }
    this.optimizer = new AdamW({
      learningRate: config.learningRate,
      weightDecay: config.weightDecay,
      beta1: config.adamBeta1,
      beta2: config.adamBeta2,
    });
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
    const out = new Map<string, tf.Variable>();
    for (const head of [this.projection, this.vaHead, this.ptdHead]) {
      if (head !== undefined) for (const [name, v] of head.variables()) out.set(name, v);
    }
    return out;
  }

  /**
   * One optimiser step on a batch. Throws `NUMERIC_INSTABILITY` (before touching any parameter) when
   * the loss or the gradient norm is not finite, so the model stays as it was after the last good step.
   *
   * @param rng the run's stream: dropout seeds and perturbation draws come from it, so a resumed run
   *   (which restores it) replays exactly
   */
  step(rows: readonly StepRow[], rng: Random, learningRate: number, momentum: number): StepOutcome {
    const { config } = this;
    const batch = this.online.tokenizer.encodeBatch(
      rows.map((r) => r.text),
      { maxLength: config.maxLength },
    );
    const inputs = toEncoderInputs(batch);
    const labels = rows.map((r) => r.va);
    const ids = rows.map((r) => r.id);
    const seeds = { query: rng.seed(), view: rng.seed() };
    const kept: tf.Tensor[] = [];
    const keep = <T extends tf.Tensor>(t: T): T => {
      kept.push(tf.keep(t));
      return t;
    };
    let keys: tf.Tensor2D | undefined;
    let queued: QueueSnapshot | undefined;
    let grads: Map<string, tf.Tensor> | undefined;
    const parts: Record<string, tf.Scalar> = {};
    const metrics: Record<string, number> = { paddedLength: batch.inputIds[0]?.length ?? 0 };
    try {
      // Keys of the momentum target (no gradient, dropout off): MoCo's key encoder.
      if (this.target !== undefined) {
        const target = this.target;
        keys = tf.tidy(() => l2Normalize(target.projection.forward(target.encoder.encoder.forward(inputs, { training: false }).pooled)));
        // Stale queue copies of this batch's sentences are left out: a sentence is never its own negative.
        const snapshot = this.queue?.snapshot({ excludeIds: ids });
        if (snapshot !== undefined && snapshot.labels.length === 0) snapshot.keys.dispose();
        else queued = snapshot;
        metrics['queueSize'] = queued?.labels.length ?? 0;
      }
      const ctx: LossContext = { labels, ids, queued };

      // PTD data step: choose tokens (by saliency of the MCCL loss on the clean batch, or at random) and perturb them.
      // Without a target, the saliency pass contrasts against a second view computed here without gradient.
      let ptd: Perturbed | undefined;
      if (this.traits.ptd !== 'none') {
        const saliencyKeys = keys ?? (this.traits.ptd === 'salient' || config.perturbStrategy === 'embedding' ? tf.tidy(() => this.secondView(inputs, seeds.view)) : undefined);
        try {
          ptd = this.perturb(batch, inputs, ctx, saliencyKeys, rng);
        } finally {
          if (saliencyKeys !== keys) saliencyKeys?.dispose();
        }
      }
      const queryInputs = ptd?.inputs ?? inputs;

      const { value, grads: g } = namedGradients(() => {
        const embeddings =
          ptd?.delta !== undefined
            ? (tf.add(this.online.embedTokens(inputs.inputIds), ptd.delta) as tf.Tensor3D)
            : this.online.embedTokens(queryInputs.inputIds);
        const out = this.online.forwardFromEmbeddings(embeddings, queryInputs, { training: true, seed: seeds.query });
        // ptdView 'separate': the sentence objective sees the clean batch; `out` (perturbed) only feeds PTD.
        const pooled =
          ptd !== undefined && config.ptdView === 'separate'
            ? this.online.forward(inputs, { training: true, seed: (seeds.query ^ 0x9e3779b9) >>> 0 }).pooled
            : out.pooled;
        let total: tf.Scalar;
        if (this.traits.objective === 'mse') {
          const target = tf.tensor2d(labels.map((l) => [l.valence, l.arousal]));
          total = keep(tf.mean(tf.square(tf.sub((this.vaHead as MlpHead).forward(pooled), target))) as tf.Scalar);
          parts['mse'] = total;
        } else {
          const q = (this.projection as MlpHead).forward(pooled);
          // The second view (SimCSE-style keys) is recomputed inside the closure so its gradient flows too.
          const result = this.sentenceLoss(q, ctx, keys ?? this.secondView(inputs, seeds.view));
          metrics['skippedAnchors'] = result.skippedAnchors;
          total = keep(result.loss);
          parts[this.traits.objective] = total;
        }
        if (ptd !== undefined && this.ptdHead !== undefined) {
          const logits = keep(this.ptdHead.forward(out.hiddenStates));
          const detection = keep(perturbedTokenDetectionLoss(logits, ptd.labels, ptd.candidates, { positiveWeight: config.ptdPositiveWeight }));
          parts['ptd'] = detection;
          const scores = detectionMetrics(logits, ptd.labels, ptd.candidates);
          metrics['ptdAccuracy'] = scores.accuracy;
          metrics['ptdF1'] = scores.f1;
          metrics['perturbedTokens'] = ptd.count;
          total = tf.add(total, tf.mul(detection, config.ptdWeight)) as tf.Scalar;
        }
        return total;
      }, this.params);
      grads = g;
      if (ptd !== undefined) ptd.dispose();
      // Parts first: without PTD the returned value is the (kept) part itself.
      const partValues = Object.fromEntries(Object.entries(parts).map(([k, t]) => [k, t.dataSync()[0] as number]));
      const loss = value.dataSync()[0] as number;
      value.dispose();
      if (!Number.isFinite(loss)) {
        throw new CarlError('NUMERIC_INSTABILITY', `the loss is ${loss} (${describeParts(partValues)}); no update was applied`, { field: 'loss' });
      }
      const clipped = clipByGlobalNorm(grads, config.clipNorm > 0 ? config.clipNorm : Number.POSITIVE_INFINITY);
      grads = clipped.grads;
      if (!Number.isFinite(clipped.norm)) {
        throw new CarlError('NUMERIC_INSTABILITY', `the gradient norm is ${clipped.norm} (loss ${loss}); no update was applied`, { field: 'gradNorm' });
      }
      this.optimizer.step(this.params, grads, learningRate);
      if (this.target !== undefined) {
        this.target.encoder.update(this.online, momentum);
        this.target.head.update((this.projection as MlpHead).variables(), momentum);
      }
      if (this.queue !== undefined && keys !== undefined) this.queue.enqueue(keys, labels, ids);
      return { loss, parts: partValues, gradNorm: clipped.norm, metrics };
    } finally {
      grads?.forEach((g) => g.dispose());
      kept.forEach((t) => t.dispose());
      keys?.dispose();
      queued?.keys.dispose();
      disposeInputs(inputs);
    }
  }

  /** The second dropout view of the clean batch through the online network (SimCSE's positive). */
  private secondView(inputs: EncoderInputs, seed: number): tf.Tensor2D {
    return (this.projection as MlpHead).forward(this.online.forward(inputs, { training: true, seed }).pooled);
  }

  /**
   * The sentence-level loss of the method for projected queries `q` against `keys` (the batch's
   * momentum keys or second dropout view), followed by the queue's keys when there is a queue.
   */
  private sentenceLoss(q: tf.Tensor2D, ctx: LossContext, keys: tf.Tensor2D): ContrastiveLossResult {
    const { config } = this;
    const extraKeys = ctx.queued?.keys;
    const extraLabels = ctx.queued?.labels ?? [];
    const base = { queries: q, keys, temperature: config.temperature, ...(extraKeys === undefined ? {} : { extraKeys }) };
    const labelDistance = { metric: config.labelDistance, axisWeights: config.axisWeights };
    const continuous = { queryLabels: ctx.labels, keyLabels: ctx.labels, ...(extraKeys === undefined ? {} : { extraKeyLabels: extraLabels }) };
    switch (this.traits.objective) {
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
      case 'mse':
        throw new CarlError('INTERNAL', 'mse has no contrastive loss');
    }
  }

  /** Chooses and perturbs tokens for PTD; returns what the loss closure needs. */
  private perturb(batch: TokenizedBatch, inputs: EncoderInputs, ctx: LossContext, keys: tf.Tensor2D | undefined, rng: Random): Perturbed {
    const { config } = this;
    const budget = {
      ratio: config.perturbRatio,
      minTokens: config.perturbMin,
      ...(config.perturbMax > 0 ? { maxTokens: config.perturbMax } : {}),
    };
    const spec: PerturbationSpec =
      config.perturbStrategy === 'embedding' ? { strategy: 'embedding', epsilon: config.perturbEpsilon, epsilonMode: 'relative' } : { strategy: config.perturbStrategy };
    let labels: number[][];
    let candidates: number[][];
    let inputIds: number[][] | undefined;
    let delta: tf.Tensor3D | undefined;
    if (this.traits.ptd === 'random' && spec.strategy !== 'embedding') {
      // Random tokens need no gradient: skip the saliency pass (same budget, less compute).
      candidates = candidateMask(batch.attentionMask, batch.specialTokensMask);
      const selected = selectTokens({ candidates, method: 'random', rng, ...budget });
      const tokens = this.online.tokenizer.specialTokens;
      const specialTokenIds = [tokens.pad, tokens.unk, tokens.cls, tokens.sep, tokens.mask].filter((id): id is number => id !== undefined);
      const result =
        spec.strategy === 'mask'
          ? perturbTokens({ strategy: 'mask', inputIds: batch.inputIds, selected, candidates, maskTokenId: requireMask(tokens.mask) })
          : perturbTokens({ strategy: 'random', inputIds: batch.inputIds, selected, candidates, vocabSize: this.online.tokenizer.vocabSize, specialTokenIds, rng });
      labels = result.labels;
      inputIds = result.inputIds;
    } else {
      // Saliency = gradient of the sentence loss w.r.t. the clean token embeddings (dropout off, so
      // the choice reflects the model, not a dropout draw).
      const result = perturbSalientTokens({
        encoder: this.online,
        batch,
        inputs,
        loss: (out) => this.sentenceLoss((this.projection as MlpHead).forward(out.pooled), ctx, keys as tf.Tensor2D).loss,
        perturbation: spec,
        score: config.saliencyScore,
        selection: this.traits.ptd === 'random' ? 'random' : config.selectionTemperature > 0 ? 'sample' : 'top',
        ...(config.selectionTemperature > 0 ? { temperature: config.selectionTemperature } : {}),
        rng,
        forwardOptions: { training: false },
        ...budget,
      });
      candidates = result.saliency.candidates;
      labels = result.perturbed.labels;
      if (result.perturbed.kind === 'ids') inputIds = result.perturbed.inputIds;
      else {
        delta = result.perturbed.delta;
        result.perturbed.embeddings.dispose();
      }
    }
    const perturbedInputs = inputIds === undefined ? undefined : toEncoderInputs({ ...batch, inputIds });
    const count = labels.reduce((sum, row) => sum + row.reduce((s, x) => s + x, 0), 0);
    return {
      labels,
      candidates,
      count,
      ...(perturbedInputs === undefined ? {} : { inputs: perturbedInputs }),
      ...(delta === undefined ? {} : { delta }),
      dispose: () => {
        if (perturbedInputs !== undefined) disposeInputs(perturbedInputs);
        delta?.dispose();
      },
    };
  }

  /** Frees heads, target, queue and optimiser state (not the online encoder). */
  dispose(): void {
    this.projection?.dispose();
    this.vaHead?.dispose();
    this.ptdHead?.dispose();
    this.target?.encoder.dispose();
    this.target?.head.dispose();
    this.labeledQueue?.dispose();
    this.optimizer.dispose();
  }
}

interface LossContext {
  readonly labels: readonly VA[];
  readonly ids: readonly string[];
  readonly queued: QueueSnapshot | undefined;
}

interface Perturbed {
  readonly labels: number[][];
  readonly candidates: number[][];
  readonly count: number;
  readonly inputs?: EncoderInputs;
  readonly delta?: tf.Tensor3D;
  dispose(): void;
}

/**
 * `clipByGlobalNorm` inside a tidy scope: core's version (0.1.0) leaves one scalar per gradient
 * undisposed when it measures the norm, which would grow the tensor count every step.
 */
function requireMask(id: number | undefined): number {
  if (id === undefined) throw new CarlError('INVALID_CONFIG', 'perturbStrategy "mask" needs a tokenizer with a mask token', { field: 'perturbStrategy' });
  return id;
}

function describeParts(parts: Readonly<Record<string, number>>): string {
  return Object.entries(parts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}
