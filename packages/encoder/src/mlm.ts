import * as tf from '@tensorflow/tfjs-core';
import { CarlError, Random, matMul, type TokenGenerator } from '@carl/core';
import { activation, layerNorm, linear } from './layers';
import type { TransformerEncoder } from './model';

/** Options of {@link MlmHead.generator}. */
export interface GeneratorOptions {
  /** Softmax temperature of the sampling. Default 1. */
  readonly temperature?: number;
  /** Never return the token that was there (so every replacement is a real change). Default true. */
  readonly excludeOriginal?: boolean;
  /** Sample among the k most likely tokens only (0 = all). Default 0. */
  readonly topK?: number;
}

/**
 * The Hugging Face names of an MLM head's parameters for one architecture.
 *
 * @example
 * ```ts
 * mlmHeadNames('roberta').bias; // 'lm_head.bias'
 * ```
 */
export function mlmHeadNames(architecture: 'bert' | 'roberta'): {
  readonly denseWeight: string;
  readonly denseBias: string;
  readonly normWeight: string;
  readonly normBias: string;
  readonly bias: string;
} {
  return architecture === 'roberta'
    ? { denseWeight: 'lm_head.dense.weight', denseBias: 'lm_head.dense.bias', normWeight: 'lm_head.layer_norm.weight', normBias: 'lm_head.layer_norm.bias', bias: 'lm_head.bias' }
    : {
        denseWeight: 'cls.predictions.transform.dense.weight',
        denseBias: 'cls.predictions.transform.dense.bias',
        normWeight: 'cls.predictions.transform.LayerNorm.weight',
        normBias: 'cls.predictions.transform.LayerNorm.bias',
        bias: 'cls.predictions.bias',
      };
}

/**
 * The masked-language-model head of BERT (`cls.predictions.*`) / RoBERTa (`lm_head.*`):
 * dense → activation → LayerNorm → decoder tied to the encoder's word embeddings, plus a bias.
 * Bound to one encoder (the decoder reads its word-embedding variable, so training either trains both).
 *
 * @example
 * ```ts
 * const head = new MlmHead(encoder, undefined, { seed: 1 });
 * const logits = head.logits(encoder.forward(inputs).hiddenStates); // [batch, seq, vocab]
 * ```
 */
export class MlmHead {
  private readonly weights: Map<string, tf.Variable>;
  private readonly names: ReturnType<typeof mlmHeadNames>;

  /**
   * @param weights the head's parameters by HF name (see {@link mlmHeadNames}); fresh ones when omitted
   * @param options `seed` of the fresh initialisation (normal(0, initializer_range), zero biases)
   */
  constructor(
    readonly encoder: TransformerEncoder,
    weights?: ReadonlyMap<string, tf.Tensor>,
    options: { seed?: number } = {},
  ) {
    const c = encoder.config;
    this.names = mlmHeadNames(c.architecture);
    const h = c.hiddenSize;
    const shapes = new Map<string, number[]>([
      [this.names.denseWeight, [h, h]],
      [this.names.denseBias, [h]],
      [this.names.normWeight, [h]],
      [this.names.normBias, [h]],
      [this.names.bias, [c.vocabSize]],
    ]);
    this.weights = new Map();
    const rng = new Random(options.seed ?? 0);
    for (const [name, shape] of shapes) {
      const seed = rng.seed();
      const given = weights?.get(name);
      if (weights !== undefined && given === undefined) throw new CarlError('INVALID_CHECKPOINT', 'MLM head parameter is missing', { field: name });
      if (given !== undefined && (given.shape.length !== shape.length || given.shape.some((d, i) => d !== shape[i]))) {
        throw new CarlError('SHAPE_MISMATCH', `has shape [${given.shape.join(', ')}], expected [${shape.join(', ')}]`, { field: name });
      }
      const value =
        given ??
        (name === this.names.denseWeight
          ? tf.randomNormal(shape, 0, c.initializerRange, 'float32', seed)
          : name === this.names.normWeight
            ? tf.ones(shape)
            : tf.zeros(shape));
      this.weights.set(name, tf.variable(value, true));
      if (given === undefined) value.dispose();
    }
    if (weights !== undefined) {
      for (const name of weights.keys()) if (!shapes.has(name)) throw new CarlError('INVALID_ARGUMENT', 'is not a parameter of the MLM head', { field: name });
    }
  }

  /**
   * The head's own parameters by Hugging Face name (the tied decoder weight is the encoder's).
   *
   * @example
   * ```ts
   * const params = new Map([...encoder.variables(), ...head.variables()]); // what pretrainMLM optimises
   * ```
   */
  variables(): ReadonlyMap<string, tf.Variable> {
    return this.weights;
  }

  /**
   * Vocabulary logits of hidden states `[..., hidden]` → `[..., vocab]`. Pass only the positions
   * you need (e.g. the masked ones): the decoder is the largest product of a small model.
   *
   * @example
   * ```ts
   * const logits = head.logits(tf.gather(tf.reshape(hiddenStates, [-1, 128]), maskedPositions)); // [masked, vocab]
   * ```
   */
  logits(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const c = this.encoder.config;
      const w = (name: string): tf.Variable => this.weights.get(name) as tf.Variable;
      // RoBERTa's head always uses GELU; BERT's uses the config's hidden_act.
      const act = c.architecture === 'roberta' ? 'gelu' : c.hiddenAct;
      let x = activation(linear(hidden, w(this.names.denseWeight) as tf.Tensor2D, w(this.names.denseBias) as tf.Tensor1D), act);
      x = layerNorm(x, w(this.names.normWeight) as tf.Tensor1D, w(this.names.normBias) as tf.Tensor1D, c.layerNormEps);
      const table = this.encoder.variables().get('embeddings.word_embeddings.weight') as tf.Variable as tf.Tensor2D;
      const flat = tf.reshape(x, [-1, c.hiddenSize]) as tf.Tensor2D;
      const out = tf.add(matMul(flat, table, false, true), w(this.names.bias));
      return tf.reshape(out, [...hidden.shape.slice(0, -1), c.vocabSize]);
    });
  }

  /**
   * A `TokenGenerator` (core's contract) that masks the requested positions, runs the encoder (eval mode) and
   * samples each replacement from the head's distribution, special tokens excluded. Padding is
   * recognised by the pad id. Use it as the saliency package's MLM generator. `excludeOriginal`
   * compares with the ids it is given: when the caller passes already-masked ids, it cannot know the
   * original, so a sample may equal it (callers count such samples as unchanged).
   *
   * @example
   * ```ts
   * const generate = head.generator({ temperature: 1 });
   * generate([[2, 10, 11, 3]], [[1, 2]], new Random(0)); // e.g. [[57, 301]]
   * ```
   */
  generator(options: GeneratorOptions = {}): TokenGenerator {
    const temperature = options.temperature ?? 1;
    const excludeOriginal = options.excludeOriginal ?? true;
    const topK = options.topK ?? 0;
    if (!(temperature > 0)) throw new CarlError('INVALID_ARGUMENT', `temperature must be > 0, got ${temperature}`, { field: 'temperature' });
    return (inputIds, positions, rng) => {
      const rows = inputIds.map((r) => [...r]);
      if (positions.length !== rows.length) {
        throw new CarlError('SHAPE_MISMATCH', `positions has ${positions.length} rows, inputIds ${rows.length}`, { field: 'positions' });
      }
      const seq = rows.length === 0 ? 0 : (rows[0] as number[]).length;
      const tokenizer = this.encoder.tokenizer;
      const { pad, mask } = tokenizer.specialTokens;
      const flat: number[] = [];
      const masked = rows.map((row, i) => {
        const copy = [...row];
        for (const p of positions[i] as readonly number[]) {
          if (!Number.isInteger(p) || p < 0 || p >= seq) throw new CarlError('INVALID_ARGUMENT', `position ${p} is outside [0, ${seq})`, { field: `positions[${i}]` });
          if (mask !== undefined) copy[p] = mask;
          flat.push(i * seq + p);
        }
        return copy;
      });
      if (flat.length === 0) return positions.map(() => []);
      const probs = tf.tidy(() => {
        const ids = tf.tensor2d(masked, [rows.length, seq], 'int32');
        const attention = tf.cast(tf.notEqual(ids, pad), 'int32') as tf.Tensor2D;
        const { hiddenStates } = this.encoder.forward({ inputIds: ids, attentionMask: attention }, { training: false });
        const picked = tf.gather(tf.reshape(hiddenStates, [-1, this.encoder.hiddenSize]), tf.tensor1d(flat, 'int32'));
        return tf.softmax(tf.div(this.logits(picked), temperature));
      });
      const values = probs.dataSync() as Float32Array;
      const vocab = probs.shape[1] as number;
      probs.dispose();
      const banned = this.specialIdsWithin(vocab);
      const out: number[][] = [];
      let k = 0;
      rows.forEach((row, i) => {
        const chosen: number[] = [];
        for (const p of positions[i] as readonly number[]) {
          const dist = values.subarray(k * vocab, (k + 1) * vocab);
          chosen.push(sample(dist, banned, excludeOriginal ? (row[p] as number) : -1, topK, rng));
          k += 1;
        }
        out.push(chosen);
      });
      return out;
    };
  }

  /** Frees the head's variables (not the tied word embeddings, which belong to the encoder). */
  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }

  private specialIdsWithin(vocab: number): Set<number> {
    const tokenizer = this.encoder.tokenizer;
    const ids = new Set<number>(Object.values(tokenizer.specialTokens).filter((id): id is number => typeof id === 'number'));
    const extra = (tokenizer as { specialIds?: ReadonlySet<number> }).specialIds;
    if (extra !== undefined) for (const id of extra) ids.add(id);
    // Rows beyond the tokenizer's vocabulary (HF pads vocab_size) have no token: never sample them.
    for (let id = tokenizer.vocabSize; id < vocab; id++) ids.add(id);
    return ids;
  }
}

function sample(dist: Float32Array, banned: ReadonlySet<number>, original: number, topK: number, rng: Random): number {
  const allowed = (id: number): boolean => !banned.has(id) && id !== original;
  let candidates: number[] | undefined;
  if (topK > 0) {
    candidates = [];
    for (let id = 0; id < dist.length; id++) if (allowed(id)) candidates.push(id);
    candidates.sort((a, b) => (dist[b] as number) - (dist[a] as number) || a - b);
    candidates = candidates.slice(0, topK);
  }
  const ids = candidates ?? Array.from({ length: dist.length }, (_, id) => id).filter(allowed);
  if (ids.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no token may be sampled: every id is special', { field: 'vocabulary' });
  let total = 0;
  for (const id of ids) total += dist[id] as number;
  if (!(total > 0)) return ids[rng.int(ids.length)] as number; // all allowed mass underflowed: uniform
  let u = rng.float() * total;
  for (const id of ids) {
    u -= dist[id] as number;
    if (u < 0) return id;
  }
  return ids[ids.length - 1] as number; // rounding left a sliver of mass
}
