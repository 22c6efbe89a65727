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
  const entries = new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, values: Float32Array.from(t.dataSync()) }] as const));
  fs.writeFileSync(file, writeSafetensors(entries, metadata));
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

/**
 * The variables of a map with a name prefix (for storing several modules in one file).
 *
 * @example
 * ```ts
 * prefixed('target.', target.variables());
 * ```
 */
export function prefixed<T>(prefix: string, map: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...map].map(([name, value]) => [prefix + name, value] as const));
}
