/**
 * Example: CARL's sentence-level ingredients around a model you wrote yourself in TensorFlow.js —
 * no @carl/encoder, no trainer. A bag-of-words encoder (hashed word embeddings → mean → dense → tanh)
 * learns from valence–arousal labels with
 *   - `softContrastiveLoss` (@carl/contrastive-losses): soft targets from VA distances,
 *   - `MomentumTarget` (@carl/momentum-queue): an EMA copy of the model gives the keys,
 *   - `LabeledQueue` (@carl/momentum-queue): keys of past batches with their labels as extra candidates,
 * and a plain `tf.train.adam` optimiser.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random, initBackend, matMul, type VA } from '@carl/core';
import { softContrastiveLoss } from '@carl/contrastive-losses';
import { LabeledQueue, MomentumTarget } from '@carl/momentum-queue';

/** A few sentences with valence and arousal in [−1, 1] (hand-rated; use your own data). */
export const SENTENCES: ReadonlyArray<{ readonly id: string; readonly text: string; readonly va: VA }> = [
  ['so happy and excited today', 0.8, 0.7],
  ['we won the game what a thrill', 0.9, 0.9],
  ['a wonderful surprise party', 0.8, 0.8],
  ['i love this cheerful song', 0.8, 0.5],
  ['a calm and peaceful evening', 0.6, -0.6],
  ['relaxed by the quiet lake', 0.5, -0.7],
  ['a gentle warm cup of tea', 0.4, -0.5],
  ['content and at ease', 0.5, -0.5],
  ['furious about this awful mess', -0.8, 0.8],
  ['terrified by the loud attack', -0.9, 0.9],
  ['angry shouting in the street', -0.7, 0.8],
  ['panic when the alarm rang', -0.7, 0.9],
  ['sad and tired all day', -0.6, -0.5],
  ['alone in an empty room', -0.5, -0.6],
  ['a gloomy rainy afternoon', -0.5, -0.4],
  ['bored and lonely again', -0.5, -0.6],
].map(([text, valence, arousal], i) => ({ id: `s${i}`, text: text as string, va: { valence: valence as number, arousal: arousal as number } }));

/** Options of {@link trainOwnModel}. */
export interface OwnModelOptions {
  readonly steps?: number;
  readonly batchSize?: number;
  readonly dim?: number;
  readonly queueSize?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

/** What {@link trainOwnModel} returns. */
export interface OwnModelResult {
  /** Loss per step. */
  readonly losses: number[];
  /** Mean cosine similarity of same-quadrant pairs minus that of opposite-quadrant pairs, before and after training. */
  readonly separation: { readonly before: number; readonly after: number };
}

const BUCKETS = 512;

/** Hashes words into a fixed number of buckets (the "hashing trick": no vocabulary to build). */
function hashWord(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
  return h % BUCKETS;
}

/**
 * Trains the bag-of-words model with MoCo-style continuous-label contrast and reports how well it
 * separates the affect quadrants.
 *
 * @example
 * ```ts
 * const { losses, separation } = await trainOwnModel({ steps: 60 });
 * ```
 */
export async function trainOwnModel(options: OwnModelOptions = {}): Promise<OwnModelResult> {
  await initBackend();
  const { steps = 60, batchSize = 8, dim = 32, queueSize = 64, seed = 1, log = () => undefined } = options;
  const rng = new Random(seed);
  // Your model: any tf.Variables and a forward function.
  // Variables made inside tidy, so their initial tensors are freed.
  const params = new Map<string, tf.Variable>();
  tf.tidy(() => {
    params.set('embedding', tf.variable(tf.randomNormal([BUCKETS, dim], 0, 0.3, 'float32', rng.seed())));
    params.set('dense', tf.variable(tf.randomNormal([dim, dim], 0, 1 / Math.sqrt(dim), 'float32', rng.seed())));
  });
  const forward = (vars: ReadonlyMap<string, tf.Variable>, texts: readonly string[], dropWords: boolean): tf.Tensor2D =>
    tf.tidy(() => {
      const rows = texts.map((text) => {
        let words = text.split(' ');
        // Word dropout is this model's augmentation: the query and key views differ.
        if (dropWords) words = words.filter(() => rng.float() > 0.2);
        const ids = (words.length > 0 ? words : text.split(' ').slice(0, 1)).map(hashWord);
        return tf.mean(tf.gather(vars.get('embedding') as tf.Variable, tf.tensor1d(ids, 'int32')), 0);
      });
      return tf.tanh(matMul(tf.stack(rows) as tf.Tensor2D, vars.get('dense') as tf.Variable as tf.Tensor2D));
    });

  const target = MomentumTarget.fromVariables(params, { momentum: 0.9 });
  const queue = new LabeledQueue({ capacity: queueSize, dim });
  const optimizer = tf.train.adam(0.02);
  const separation = (): number => quadrantSeparation(forward(params, SENTENCES.map((s) => s.text), false));
  const before = separation();
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const batch = rng.shuffle([...SENTENCES]).slice(0, batchSize);
    const labels = batch.map((s) => s.va);
    const ids = batch.map((s) => s.id);
    const keys = forward(target.variables, batch.map((s) => s.text), true); // no gradient: target copies are not trainable
    const queued = queue.snapshot({ excludeIds: ids });
    const cost = optimizer.minimize(() => {
      const queries = forward(params, batch.map((s) => s.text), true);
      const { loss } = softContrastiveLoss({
        queries,
        keys,
        ...(queued.labels.length > 0 ? { extraKeys: queued.keys, extraKeyLabels: queued.labels } : {}),
        queryLabels: labels,
        keyLabels: labels,
        temperature: 0.1,
        labelTemperature: 0.2,
      });
      return loss;
    }, true, [...params.values()]);
    losses.push((cost as tf.Scalar).dataSync()[0] as number);
    cost?.dispose();
    target.update(params);
    queue.enqueue(keys, labels, ids);
    keys.dispose();
    queued.keys.dispose();
    if ((step + 1) % 10 === 0) log(`step ${step + 1}: loss ${losses[step]?.toFixed(4)}`);
  }
  const after = separation();
  target.dispose();
  queue.dispose();
  optimizer.dispose();
  params.forEach((v) => v.dispose());
  return { losses, separation: { before, after } };
}

/** Mean cosine of same-quadrant pairs minus mean cosine of opposite-quadrant pairs (disposes `embeddings`). */
function quadrantSeparation(embeddings: tf.Tensor2D): number {
  const rows = embeddings.arraySync();
  embeddings.dispose();
  const quadrant = (v: VA): number => (v.valence >= 0 ? 1 : 0) + (v.arousal >= 0 ? 2 : 0);
  const cos = (a: number[], b: number[]): number => {
    const dot = a.reduce((s, x, i) => s + x * (b[i] as number), 0);
    return dot / (Math.hypot(...a) * Math.hypot(...b) + 1e-12);
  };
  let same = 0;
  let nSame = 0;
  let opposite = 0;
  let nOpposite = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const qi = quadrant((SENTENCES[i] as { va: VA }).va);
      const qj = quadrant((SENTENCES[j] as { va: VA }).va);
      const c = cos(rows[i] as number[], rows[j] as number[]);
      if (qi === qj) {
        same += c;
        nSame++;
      } else if ((qi ^ qj) === 3) {
        opposite += c;
        nOpposite++;
      }
    }
  }
  return same / nSame - opposite / nOpposite;
}

if (require.main === module) {
  trainOwnModel({ log: (line) => console.log(line) }).then(
    ({ separation }) => {
      console.log(`quadrant separation (same − opposite mean cosine): ${separation.before.toFixed(3)} before → ${separation.after.toFixed(3)} after`);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
