import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainCarl } from '@carl/trainer';

/** Trains a tiny CARL model (a few steps on hand-rated sentences) for the smoke test; returns its folder. */
export async function tinyModel(): Promise<{ dir: string; cleanup: () => void }> {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-example-model-'));
  const rows = [
    ['so happy and excited today', 0.8, 0.7],
    ['a calm and peaceful evening', 0.6, -0.6],
    ['furious about this awful mess', -0.8, 0.8],
    ['sad and tired all day', -0.6, -0.5],
    ['we won the game what a thrill', 0.9, 0.9],
    ['alone in an empty room', -0.5, -0.6],
    ['i love this lovely song', 0.8, 0.5],
    ['the angry crowd was loud', -0.6, 0.8],
  ].map(([text, valence, arousal], i) => ({ id: String(i), text: text as string, va: { valence: valence as number, arousal: arousal as number } }));
  const result = await trainCarl({ preset: 'tiny', vocabSize: 120, steps: 2, batchSize: 4, maxLength: 16, queueSize: 8 }, { out, data: rows });
  return { dir: result.modelDir as string, cleanup: () => fs.rmSync(out, { recursive: true, force: true }) };
}
