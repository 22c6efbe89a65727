import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@carl/core/testing';
import { loadMlmHead, loadPretrained } from './checkpoint';
import { createEncoder } from './create';
import type { TransformerEncoder } from './model';
import { latestCheckpoint, pretrainMLM, type MlmProgress } from './pretrain';
import { WordPieceTokenizer } from './wordpiece';
import { tempDir } from './__fixtures__/paths';

const WORDS = ['the', 'cat', 'dog', 'sat', 'ran', 'on', 'mat', 'log', 'happy', 'sad', 'very', 'a'];
const tokenizer = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS]);
// A corpus with structure to learn: "the X sat on the mat" / "a Y ran on a log".
const texts = Array.from({ length: 64 }, (_, i) =>
  i % 2 === 0 ? `the ${i % 4 === 0 ? 'cat' : 'dog'} sat on the mat` : `a ${i % 3 === 0 ? 'happy' : 'sad'} dog ran on a log`,
);
const config = { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 16 };
const fresh = (seed = 1): TransformerEncoder => createEncoder({ tokenizer, config, seed });

describeWithBackends('pretrainMLM', () => {
  it('lowers the MLM loss on a small corpus within a few dozen steps', async () => {
    const encoder = fresh();
    const progress: MlmProgress[] = [];
    const { losses, steps, resumedFrom, mlmHead } = await pretrainMLM({
      encoder,
      texts,
      steps: 40,
      batchSize: 16,
      maxLength: 12,
      learningRate: 3e-3,
      warmupSteps: 4,
      seed: 3,
      onProgress: (p) => void progress.push(p),
    });
    expect(steps).toBe(40);
    expect(resumedFrom).toBe(0);
    expect(losses).toHaveLength(40);
    const first = losses.slice(0, 5).reduce((a, b) => a + b, 0) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b, 0) / 5;
    expect(first).toBeGreaterThan(Math.log(17) - 0.6); // ≈ uniform over 17 tokens at the start
    expect(last).toBeLessThan(first * 0.6);
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(progress[0]?.learningRate).toBeCloseTo(3e-3 / 4, 8); // warm-up
    expect(progress.every((p) => p.maskedTokens >= 16 && p.gradNorm > 0 && Number.isFinite(p.tokensPerSecond))).toBe(true);
    mlmHead.dispose();
    encoder.dispose();
  });

  it('resumes from its latest checkpoint with exactly the losses of an uninterrupted run', async () => {
    const options = { texts, steps: 6, batchSize: 8, maxLength: 12, learningRate: 2e-3, seed: 5, checkpointEvery: 2, keepCheckpoints: 2 };
    const straight = fresh();
    const full = await pretrainMLM({ ...options, encoder: straight, checkpointDir: tempDir() });

    const dir = tempDir();
    const interrupted = fresh();
    await expect(
      pretrainMLM({
        ...options,
        encoder: interrupted,
        checkpointDir: dir,
        onProgress: (p) => {
          if (p.step === 5) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(latestCheckpoint(dir)).toBe(path.join(dir, 'checkpoint-4'));
    expect(fs.readdirSync(dir).sort()).toEqual(['checkpoint-2', 'checkpoint-4']);
    const restarted = fresh(99); // different initial weights: everything must come from the checkpoint
    const resumed = await pretrainMLM({ ...options, encoder: restarted, checkpointDir: dir });
    expect(resumed.resumedFrom).toBe(4);
    expect(resumed.losses).toEqual(full.losses);
    for (const [name, v] of straight.variables()) {
      expect(Array.from((restarted.variables().get(name) as tf.Variable).dataSync())).toEqual(Array.from(v.dataSync()));
    }
    // Old checkpoints are pruned; the final model is saved at the root in the Hugging Face layout.
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('checkpoint-')).sort()).toEqual(['checkpoint-4', 'checkpoint-6']);
    const loaded = await loadPretrained(dir);
    const head = await loadMlmHead(dir, loaded);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).architectures).toEqual(['BertForMaskedLM']);
    head.dispose();
    loaded.dispose();
    for (const e of [straight, interrupted, restarted]) e.dispose();
    for (const r of [full, resumed]) r.mlmHead.dispose();
  });

  it('refuses to resume with different data settings, and rejects bad options with typed errors', async () => {
    const dir = tempDir();
    const encoder = fresh();
    const r = await pretrainMLM({ encoder, texts, steps: 2, batchSize: 4, maxLength: 12, seed: 1, checkpointDir: dir, checkpointEvery: 1 });
    r.mlmHead.dispose();
    await expect(pretrainMLM({ encoder, texts, steps: 4, batchSize: 8, maxLength: 12, seed: 1, checkpointDir: dir })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      location: { field: 'batchSize' },
    });
    await expect(pretrainMLM({ encoder, texts: ['', '  '], steps: 1 })).rejects.toMatchObject({ location: { field: 'texts' } });
    await expect(pretrainMLM({ encoder, texts, steps: 0 })).rejects.toMatchObject({ location: { field: 'steps' } });
    await expect(pretrainMLM({ encoder, texts, steps: 1, maxLength: 99 })).rejects.toMatchObject({ location: { field: 'maxLength' } });
    const noMask = createEncoder({ tokenizer: new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'x']), config, seed: 1 });
    await expect(pretrainMLM({ encoder: noMask, texts, steps: 1 })).rejects.toMatchObject({ code: 'TOKENIZER_ERROR', location: { field: 'mask_token' } });
    noMask.dispose();
    encoder.dispose();
  });
}, ['wasm']);
