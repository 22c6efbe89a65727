/**
 * Test helpers for code built on @carl/trainer (import from `@carl/trainer/testing`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LabeledText } from '@carl/core';
import { trainCarl } from '../train';

/** Eight hand-rated sentences spanning the four VA quadrants. */
export const TINY_RATED_SENTENCES: readonly LabeledText[] = (
  [
    ['so happy and excited today', 0.8, 0.7],
    ['a calm and peaceful evening', 0.6, -0.6],
    ['furious about this awful mess', -0.8, 0.8],
    ['sad and tired all day', -0.6, -0.5],
    ['we won the game what a thrill', 0.9, 0.9],
    ['alone in an empty room', -0.5, -0.6],
    ['i love this lovely song', 0.8, 0.5],
    ['the angry crowd was loud', -0.6, 0.8],
  ] as const
).map(([text, valence, arousal], i) => ({ id: String(i), text, va: { valence, arousal } }));

/**
 * Trains a tiny CARL model (two steps on {@link TINY_RATED_SENTENCES}) into a temporary folder, for smoke tests
 * of code that loads a trained model. Call `cleanup` when done.
 *
 * @example
 * ```ts
 * const { dir, cleanup } = await trainTinyModel();
 * const model = await loadCarlModel(dir);
 * ```
 */
export async function trainTinyModel(): Promise<{ dir: string; cleanup: () => void }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-tiny-model-'));
  const result = await trainCarl({ preset: 'tiny', vocabSize: 120, steps: 2, batchSize: 4, maxLength: 16, queueSize: 8 }, { out, data: TINY_RATED_SENTENCES });
  return { dir: result.modelDir as string, cleanup: () => fs.rmSync(out, { recursive: true, force: true }) };
}
