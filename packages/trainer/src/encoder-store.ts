import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, type Encoder } from '@carl/core';
import { TransformerEncoder, createEncoder, loadPretrained, savePretrained, trainWordPiece, type PresetName } from '@carl/encoder';
import type { TrainConfig } from './config';
import { assignVariables, loadTensors, saveTensors } from './tensor-io';

/** How the trainer writes and reads encoders (checkpoints, the final model, `init`). */
export interface EncoderStore {
  /** Writes the encoder into `dir` (created if needed). */
  save(encoder: Encoder, dir: string): void | Promise<void>;
  /** Reads an encoder written by `save` (or any folder the store understands). */
  load(dir: string): Encoder | Promise<Encoder>;
}

/**
 * The Hugging Face layout through @carl/encoder (`config.json`, `model.safetensors`, tokenizer files).
 *
 * @example
 * ```ts
 * const store = defaultEncoderStore();
 * store.save(encoder, 'out/model');
 * ```
 */
export function defaultEncoderStore(): EncoderStore {
  return {
    async save(encoder, dir) {
      if (!(encoder instanceof TransformerEncoder)) {
        throw new CarlError('INVALID_ARGUMENT', `cannot save a "${encoder.architecture}" encoder in the Hugging Face layout; pass an encoderStore (e.g. variablesStore(encoder))`, {
          field: 'encoderStore',
        });
      }
      await savePretrained(encoder, dir);
    },
    load: (dir) => loadEncoderDir(dir),
  };
}

/** `loadPretrained` with a clear error for a folder that is missing or holds no model. */
async function loadEncoderDir(dir: string, pooling?: 'mean' | 'cls'): Promise<TransformerEncoder> {
  if (!fs.existsSync(dir)) throw new CarlError('NOT_FOUND', 'encoder folder not found', { file: dir });
  if (!fs.existsSync(path.join(dir, 'config.json'))) {
    throw new CarlError('NOT_FOUND', 'not an encoder folder: config.json is missing (expected the Hugging Face layout written by `carl pretrain` / `carl train`)', { file: dir });
  }
  return loadPretrained(dir, pooling === undefined ? {} : { pooling });
}

/**
 * A store for an encoder the caller built (any `Encoder`): `save` writes its variables by name to
 * `model.safetensors`; `load` assigns them back into that same encoder object, so a resumed run
 * only needs the caller to construct the encoder the same way again.
 *
 * @example
 * ```ts
 * await trainCarl(config, { out, encoder: myEncoder, encoderStore: variablesStore(myEncoder) });
 * ```
 */
export function variablesStore(encoder: Encoder): EncoderStore {
  return {
    save(e, dir) {
      fs.mkdirSync(dir, { recursive: true });
      saveTensors(path.join(dir, 'model.safetensors'), e.variables(), { format: 'carl-variables', architecture: e.architecture });
    },
    load(dir) {
      const file = path.join(dir, 'model.safetensors');
      assignVariables(encoder.variables(), loadTensors(file), file);
      return encoder;
    },
  };
}

/**
 * A fresh encoder for a run: from `config.init` (a saved encoder folder) or, without it, the
 * `preset` shape with a WordPiece vocabulary of `vocabSize` trained on the training texts.
 */
export async function buildEncoder(config: TrainConfig, texts: readonly string[], store?: EncoderStore): Promise<Encoder> {
  if (config.init !== null) return store === undefined ? loadEncoderDir(config.init, config.pooling) : store.load(config.init);
  const tokenizer = trainWordPiece(texts, { vocabSize: config.vocabSize });
  return createEncoder({ preset: config.preset as PresetName, tokenizer, pooling: config.pooling, seed: config.seed });
}
