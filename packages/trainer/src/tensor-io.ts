import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { CarlError } from '@carl/core';
import { readSafetensorsFile, writeSafetensors } from '@carl/encoder';

/**
 * Writes named variables (or tensors) to a safetensors file, exactly (float32), for checkpoints.
 *
 * @example
 * ```ts
 * saveTensors('ckpt/heads.safetensors', head.variables());
 * ```
 */
export function saveTensors(file: string, tensors: ReadonlyMap<string, tf.Tensor>, metadata: Readonly<Record<string, string>> = {}): void {
  saveArrays(file, new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, values: Float32Array.from(t.dataSync()) }] as const)), metadata);
}

/**
 * Writes named float32 arrays to a safetensors file, for state that lives outside tensors (optimizer moments).
 *
 * @example
 * ```ts
 * saveArrays('ckpt/optimizer.safetensors', new Map([['m.w', { shape: [2], values: new Float32Array(2) }]]));
 * ```
 */
export function saveArrays(file: string, arrays: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>, metadata: Readonly<Record<string, string>> = {}): void {
  fs.writeFileSync(file, writeSafetensors(arrays, metadata));
}

/**
 * Reads every tensor of a safetensors file as float32 arrays by name.
 *
 * @example
 * ```ts
 * const values = loadTensors('ckpt/heads.safetensors');
 * ```
 */
export function loadTensors(file: string): Map<string, { shape: readonly number[]; values: Float32Array }> {
  const { tensors } = readSafetensorsFile(file);
  const out = new Map<string, { shape: readonly number[]; values: Float32Array }>();
  for (const [name, entry] of tensors) {
    const values = entry.read();
    out.set(name, { shape: entry.shape, values: values instanceof Float32Array ? values : Float32Array.from(values) });
  }
  return out;
}

/**
 * Assigns saved values to variables by name (with an optional name prefix in the file), checking
 * that every variable is present with the right size.
 *
 * @example
 * ```ts
 * assignVariables(target.variables(), loadTensors(file), file, 'target.');
 * ```
 */
export function assignVariables(
  variables: ReadonlyMap<string, tf.Variable>,
  values: ReadonlyMap<string, { shape: readonly number[]; values: Float32Array }>,
  file: string,
  prefix = '',
): void {
  for (const [name, variable] of variables) {
    const saved = values.get(prefix + name);
    if (saved === undefined) throw new CarlError('INVALID_CHECKPOINT', 'tensor missing from the checkpoint', { file, field: prefix + name });
    if (saved.values.length !== variable.size) {
      throw new CarlError('INVALID_CHECKPOINT', `has ${saved.values.length} values, the model expects ${variable.size} ([${variable.shape.join(', ')}])`, {
        file,
        field: prefix + name,
      });
    }
    tf.tidy(() => variable.assign(tf.tensor(saved.values, variable.shape, 'float32')));
  }
}
