import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LabeledText } from '@carl/core';
import { NEW_SENTENCES, trainAndEmbed } from './index';

// Real EmoBank rows when the corpora are available; otherwise a few hand-rated sentences.
function dataDir(): string | undefined {
  const env = process.env['CARL_DATA_DIR'];
  if (env !== undefined && env !== '') return env;
  const shared = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
  return fs.existsSync(path.join(shared, 'emobank')) ? shared : undefined;
}

const FALLBACK: LabeledText[] = [
  ['so happy and excited today', 0.8, 0.7],
  ['a calm and peaceful evening', 0.6, -0.6],
  ['furious about this awful mess', -0.8, 0.8],
  ['sad and tired all day', -0.6, -0.5],
  ['we won the game what a thrill', 0.9, 0.9],
  ['alone in an empty room', -0.5, -0.6],
].map(([text, valence, arousal], i) => ({ id: String(i), text: text as string, va: { valence: valence as number, arousal: arousal as number } }));

describe('train and embed (smoke, tiny sizes)', () => {
  it('trains a few steps, saves a model and embeds new sentences', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-example-'));
    const dir = dataDir();
    if (dir === undefined) console.warn('CARL_DATA_DIR not set and ../shared/data missing: training on a hand-written sample instead of EmoBank');
    const result = await trainAndEmbed({
      out,
      steps: 2,
      vocabSize: 300,
      ...(dir === undefined ? { rows: FALLBACK } : { dataDir: dir, maxExamples: 64 }),
    });
    expect(fs.existsSync(path.join(result.modelDir, 'carl.json'))).toBe(true);
    expect(result.embeddings).toHaveLength(NEW_SENTENCES.length);
    expect(result.embeddings.every((e) => e.length === 128 && e.every(Number.isFinite))).toBe(true);
    result.cosine.forEach((row, i) => expect(row[i]).toBeCloseTo(1, 5));
    expect(result.va.every((p) => Math.abs(p.valence) <= 1 && Math.abs(p.arousal) <= 1)).toBe(true);
    fs.rmSync(out, { recursive: true, force: true });
   }, 120_000);
});
