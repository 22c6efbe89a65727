import * as tf from '@tensorflow/tfjs-core';
import type { EncodeOptions, Encoder, EncoderInputs, EncoderOutput, ForwardOptions, TokenizedBatch, Tokenizer } from '../encoder';
import { dense } from '../ops/matmul';
import { Random } from '../random';

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/**
 * A whitespace tokenizer over a fixed word list, with BERT-style special tokens
 * ([PAD]=0, [UNK]=1, [CLS]=2, [SEP]=3, [MASK]=4, then the words in order).
 */
export class ToyTokenizer implements Tokenizer {
  readonly vocab: readonly string[];
  readonly specialTokens = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 } as const;
  private readonly index: Map<string, number>;

  constructor(words: readonly string[]) {
    this.vocab = [...SPECIALS, ...words];
    this.index = new Map(this.vocab.map((w, i) => [w, i]));
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  idToToken(id: number): string {
    return this.vocab[id] ?? '[UNK]';
  }

  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): TokenizedBatch {
    const maxLength = options.maxLength ?? 64;
    const rows = texts.map((text) => {
      const words = text.toLowerCase().split(/\s+/).filter((w) => w !== '');
      const ids = words.map((w) => this.index.get(w) ?? this.specialTokens.unk);
      const room = Math.max(0, maxLength - 2);
      return { ids: [this.specialTokens.cls, ...ids.slice(0, room), this.specialTokens.sep], truncated: Math.max(0, ids.length - room) };
    });
    const width = options.padding === 'max_length' ? maxLength : Math.max(0, ...rows.map((r) => r.ids.length));
    const pad = <T>(row: T[], fill: T): T[] => [...row, ...Array<T>(width - row.length).fill(fill)];
    return {
      inputIds: rows.map((r) => pad(r.ids, 0)),
      attentionMask: rows.map((r) => pad(r.ids.map(() => 1), 0)),
      specialTokensMask: rows.map((r) => pad(r.ids.map((_, i) => (i === 0 || i === r.ids.length - 1 ? 1 : 0)), 1)),
      truncated: rows.map((r) => r.truncated),
    };
  }
}

/** Options of {@link createToyEncoder}. */
export interface ToyEncoderOptions {
  readonly words: readonly string[];
  readonly hiddenSize?: number;
  readonly maxLength?: number;
  readonly seed?: number;
  readonly dropout?: number;
}

/**
 * A tiny {@link Encoder} for tests of losses, queues and saliency without a transformer:
 * word + position embeddings → tanh(dense) → dropout (training) → masked-mean pooling.
 *
 * @example
 * ```ts
 * const encoder = createToyEncoder({ words: ['happy', 'sad'], hiddenSize: 8, seed: 1 });
 * ```
 */
export function createToyEncoder(options: ToyEncoderOptions): Encoder {
  const tokenizer = new ToyTokenizer(options.words);
  const hidden = options.hiddenSize ?? 8;
  const maxLength = options.maxLength ?? 64;
  const rng = new Random(options.seed ?? 0);
  // A variable shares its initial value's data: create it inside tidy (which never disposes variables)
  // so the temporary tensor handle is released.
  const init = (shape: number[], scale: number): tf.Variable =>
    tf.tidy(() => tf.variable(scale === 0 ? tf.zeros(shape) : tf.randomNormal(shape, 0, scale, 'float32', rng.seed())));
  const variables = new Map<string, tf.Variable>([
    ['embeddings.word_embeddings.weight', init([tokenizer.vocabSize, hidden], 0.5)],
    ['embeddings.position_embeddings.weight', init([maxLength, hidden], 0.1)],
    ['dense.weight', init([hidden, hidden], 1 / Math.sqrt(hidden))],
    ['dense.bias', init([hidden], 0)],
  ]);
  return new ToyEncoder(tokenizer, variables, hidden, maxLength, options.dropout ?? 0.1, options);
}

class ToyEncoder implements Encoder {
  readonly specificationVersion = 'v1' as const;
  readonly architecture = 'toy';

  constructor(
    readonly tokenizer: ToyTokenizer,
    private readonly vars: Map<string, tf.Variable>,
    readonly hiddenSize: number,
    readonly maxLength: number,
    private readonly dropout: number,
    private readonly options: ToyEncoderOptions,
  ) {}

  private v(name: string): tf.Variable {
    return this.vars.get(name) as tf.Variable;
  }

  embedTokens(inputIds: tf.Tensor2D): tf.Tensor3D {
    return tf.gather(this.v('embeddings.word_embeddings.weight'), inputIds) as tf.Tensor3D;
  }

  forwardFromEmbeddings(embeddings: tf.Tensor3D, inputs: EncoderInputs, options: ForwardOptions = {}): EncoderOutput {
    return tf.tidy(() => {
      const [, seq] = embeddings.shape;
      const pos = tf.slice(this.v('embeddings.position_embeddings.weight'), [0, 0], [seq, this.hiddenSize]);
      let h = tf.tanh(dense(tf.add(embeddings, pos), this.v('dense.weight') as tf.Tensor2D, this.v('dense.bias') as tf.Tensor1D)) as tf.Tensor3D;
      if (options.training === true && this.dropout > 0) h = tf.dropout(h, this.dropout, undefined, options.seed) as tf.Tensor3D;
      const mask = tf.expandDims(tf.cast(inputs.attentionMask, 'float32'), 2);
      const pooled = tf.div(tf.sum(tf.mul(h, mask), 1), tf.maximum(tf.sum(mask, 1), 1)) as tf.Tensor2D;
      return { hiddenStates: h, pooled };
    });
  }

  forward(inputs: EncoderInputs, options: ForwardOptions = {}): EncoderOutput {
    return tf.tidy(() => this.forwardFromEmbeddings(this.embedTokens(inputs.inputIds), inputs, options));
  }

  variables(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  clone(options: { trainable?: boolean } = {}): Encoder {
    const copies = new Map([...this.vars].map(([name, v]) => [name, tf.tidy(() => tf.variable(v.clone(), options.trainable ?? true))]));
    return new ToyEncoder(this.tokenizer, copies, this.hiddenSize, this.maxLength, this.dropout, this.options);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
  }
}
