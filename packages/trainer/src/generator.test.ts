import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError } from '@carl/core';
import { describeWithBackends } from '@carl/core/testing';
import { MlmHead, createEncoder, savePretrained, trainWordPiece } from '@carl/encoder';
import { AFFECT_SAMPLE } from './__fixtures__/affect-sample';
import { resolveConfig } from './config';
import { TrainingModel, trainingModelOptions } from './step';

const tokenizer = trainWordPiece(
  AFFECT_SAMPLE.map((r) => r.text),
  { vocabSize: 160 },
);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describeWithBackends(
  'perturbStrategy generator',
  () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-generator-'));
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('loads the MLM head of the init folder, and refuses a run without one with INVALID_CONFIG', async () => {
      const encoder = createEncoder({ preset: 'tiny', tokenizer, seed: 1 });
      const head = new MlmHead(encoder, undefined, { seed: 2 });
      const withHead = path.join(dir, 'with-head');
      const plain = path.join(dir, 'plain');
      await savePretrained(encoder, withHead, { mlmHead: head });
      await savePretrained(encoder, plain);
      head.dispose();
      const config = resolveConfig({ method: 'carl', perturbStrategy: 'generator' });

      const fresh = await rejection(trainingModelOptions(config, encoder));
      expect(isCarlError(fresh, 'INVALID_CONFIG')).toBe(true);
      expect((fresh as Error).message).toMatch(/a fresh encoder has none.*--init/);

      const missing = await rejection(trainingModelOptions({ ...config, init: plain }, encoder));
      expect(isCarlError(missing, 'INVALID_CONFIG')).toBe(true);
      expect((missing as Error).message).toMatch(/needs an MLM head, and this model folder has none/);
      expect((missing as Error).message).toContain(plain);

      // Methods without PTD, and the other strategies, need nothing.
      expect(await trainingModelOptions({ ...config, method: 'carl-no-ptd' }, encoder)).toEqual({});
      expect(await trainingModelOptions({ ...config, perturbStrategy: 'random' }, encoder)).toEqual({});

      const options = await trainingModelOptions({ ...config, init: withHead }, encoder);
      expect(options.mlmHead).toBeInstanceOf(MlmHead);
      const model = new TrainingModel(encoder, { ...config, init: withHead }, 3, options);
      model.dispose(); // disposes the MLM head too
      expect(() => new TrainingModel(encoder, config, 3)).toThrow(/perturbStrategy "generator" samples replacements from an MLM head, and this run has none/);
      encoder.dispose();
    });
  },
  ['wasm'],
);
