/**
 * Example: train CARL on EmoBank (tiny preset, a few hundred steps on a CPU), then use the model:
 * embed new sentences, compare them, and predict their valence and arousal.
 *
 *   npm run build && npm start -- --steps 200 [--data-dir DIR] [--out DIR]
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { LabeledText, VA } from '@carl/core';
import { loadCarlModel, trainCarl } from '@carl/trainer';

/** Sentences the example embeds after training (never seen in training). */
export const NEW_SENTENCES: readonly string[] = [
  "I can't stop smiling, this is the best news ever!",
  'What a calm, lovely morning by the sea.',
  'I am so angry I could scream at someone.',
  'Nothing matters anymore and I feel empty.',
];

/** Options of {@link trainAndEmbed}. */
export interface TrainAndEmbedOptions {
  /** Run folder (replaced on each run of the example). Default `runs/example-train-and-embed`. */
  readonly out?: string;
  /** Optimiser steps. Default 200. */
  readonly steps?: number;
  /** Cap on EmoBank training sentences (0 = all). Default 0. */
  readonly maxExamples?: number;
  /** Corpora folder (default `$CARL_DATA_DIR`, else @carl/datasets' cache/download). */
  readonly dataDir?: string;
  /** Train on these rows instead of EmoBank (each with `va`). */
  readonly rows?: readonly LabeledText[];
  /** WordPiece vocabulary size. Default 8000. */
  readonly vocabSize?: number;
  readonly texts?: readonly string[];
  readonly log?: (line: string) => void;
}

/** What {@link trainAndEmbed} returns. */
export interface TrainAndEmbedResult {
  readonly modelDir: string;
  readonly embeddings: Float32Array[];
  /** Cosine similarity of every pair of `texts`. */
  readonly cosine: number[][];
  readonly va: VA[];
}

/**
 * Trains, then embeds `texts` with the saved model.
 *
 * @example
 * ```ts
 * const { cosine, va } = await trainAndEmbed({ steps: 100 });
 * ```
 */
export async function trainAndEmbed(options: TrainAndEmbedOptions = {}): Promise<TrainAndEmbedResult> {
  const log = options.log ?? (() => undefined);
  const out = path.resolve(options.out ?? path.join('runs', 'example-train-and-embed'));
  const result = await trainCarl(
    {
      method: 'carl',
      preset: 'tiny',
      data: ['emobank'],
      steps: options.steps ?? 200,
      maxExamples: options.maxExamples ?? 0,
      vocabSize: options.vocabSize ?? 8000,
      learningRate: 5e-4,
      checkpointEvery: 0,
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    },
    {
      out,
      force: true,
      ...(options.rows === undefined ? {} : { data: options.rows }),
      onStep: (r) => {
        if (r.step % 25 === 0) log(`step ${r.step}: loss ${r.loss.toFixed(4)}`);
      },
    },
  );
  const modelDir = result.modelDir as string;
  log(`model saved to ${modelDir}`);

  const model = await loadCarlModel(modelDir);
  try {
    const texts = options.texts ?? NEW_SENTENCES;
    const embeddings = model.embed(texts);
    const cosine = embeddings.map((a) => embeddings.map((b) => cosineOf(a, b)));
    const va = model.predictVA(texts);
    return { modelDir, embeddings, cosine, va };
  } finally {
    model.dispose();
  }
}

function cosineOf(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / (Math.sqrt(na * nb) + 1e-12);
}

if (require.main === module) {
  const { values } = parseArgs({ options: { steps: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' } } });
  trainAndEmbed({
    log: (line) => console.log(line),
    ...(values.steps === undefined ? {} : { steps: Number(values.steps) }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    ...(values.out === undefined ? {} : { out: values.out }),
  }).then(
    ({ cosine, va }) => {
      NEW_SENTENCES.forEach((text, i) => {
        const p = va[i] as VA;
        console.log(`V ${p.valence.toFixed(2).padStart(5)}  A ${p.arousal.toFixed(2).padStart(5)}  ${text}`);
      });
      console.log('\ncosine similarity:');
      cosine.forEach((row, i) => console.log(`  ${i + 1}: ${row.map((c) => c.toFixed(2).padStart(5)).join(' ')}`));
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
