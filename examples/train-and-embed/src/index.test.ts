import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { realDataDir } from '@carl/core/testing';
import { TINY_RATED_SENTENCES } from '@carl/trainer/testing';
import { NEW_SENTENCES, trainAndEmbed } from './index';

describe('train and embed (smoke, tiny sizes)', () => {
  it('trains a few steps, saves a model and embeds new sentences', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-example-'));
    // Real EmoBank rows when the corpora are available ($CARL_DATA_DIR or ../shared/data); otherwise eight hand-rated sentences.
    const dir = realDataDir();
    if (dir === undefined) console.warn('CARL_DATA_DIR not set and ../shared/data missing: training on a hand-written sample instead of EmoBank');
    const result = await trainAndEmbed({
      out,
      steps: 2,
      vocabSize: 300,
      ...(dir === undefined ? { rows: TINY_RATED_SENTENCES } : { dataDir: dir, maxExamples: 64 }),
    });
    expect(fs.existsSync(path.join(result.modelDir, 'carl.json'))).toBe(true);
    expect(result.embeddings).toHaveLength(NEW_SENTENCES.length);
    expect(result.embeddings.every((e) => e.length === 128 && e.every(Number.isFinite))).toBe(true);
    result.cosine.forEach((row, i) => expect(row[i]).toBeCloseTo(1, 5));
    expect(result.va.every((p) => Math.abs(p.valence) <= 1 && Math.abs(p.arousal) <= 1)).toBe(true);
    fs.rmSync(out, { recursive: true, force: true });
   }, 120_000);
});
