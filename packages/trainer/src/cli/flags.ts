// The flag codec of `carl train`: every row of the option table (config.ts) becomes one flag, so a
// hyperparameter added to the table gets its flag, help line and parsing without touching the CLI.
import { CarlError } from '@carl/core';
import { CONFIG_OPTIONS, DEFAULT_CONFIG, checkPartialConfig, type OptionSpec, type TrainConfig } from '../config';
import { suggest } from '../suggest';
import type { FlagSpec } from './args';

/**
 * The command-line flag of a config key: `batchSize` → `batch-size`.
 *
 * @example
 * ```ts
 * toFlagName('learningRate'); // 'learning-rate'
 * ```
 */
export function toFlagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * The config key of a command-line flag: `batch-size` → `batchSize`.
 *
 * @example
 * ```ts
 * fromFlagName('learning-rate'); // 'learningRate'
 * ```
 */
export function fromFlagName(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Errors about values from flags name the flag, not the JSON key. */
const FLAG_FIELD = (key: string): string => `--${toFlagName(key)}`;

/**
 * Parses flag strings (`{ 'batch-size': '16' }`) into a checked partial config. Numbers, booleans
 * and comma-separated lists are parsed by each option's kind; errors name the flag.
 *
 * @example
 * ```ts
 * parseConfigFlags({ 'batch-size': '16', data: 'emobank' }); // { batchSize: 16, data: ['emobank'] }
 * ```
 */
export function parseConfigFlags(flags: Readonly<Record<string, string | boolean | readonly string[] | undefined>>): Partial<TrainConfig> {
  const values: Record<string, unknown> = {};
  for (const [flag, raw] of Object.entries(flags)) {
    if (raw === undefined) continue;
    const key = fromFlagName(flag);
    if (!Object.hasOwn(CONFIG_OPTIONS, key)) {
      const hint = suggest(key, Object.keys(CONFIG_OPTIONS), { ignoreCase: true });
      throw new CarlError('INVALID_CONFIG', `unknown option --${flag}${hint === undefined ? '' : ` (did you mean --${toFlagName(hint)}?)`}`, { field: `--${flag}` });
    }
    const spec = CONFIG_OPTIONS[key as keyof TrainConfig];
    const text = Array.isArray(raw) ? raw.join(',') : raw;
    values[key] = parseFlagValue(spec, text as string | boolean);
  }
  return checkPartialConfig(values, { fieldName: FLAG_FIELD });
}

/** The config source to use for values parsed by {@link parseConfigFlags} (errors name flags). */
export const FLAG_SOURCE = { fieldName: FLAG_FIELD } as const;

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function parseFlagValue(spec: OptionSpec, raw: string | boolean): unknown {
  if (typeof raw === 'boolean') return raw;
  const text = raw.trim();
  switch (spec.kind) {
    case 'number':
      return text === '' || !NUMBER.test(text) ? text : Number(text);
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'string-list':
      return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
    case 'number-list':
      return text.split(',').map((s) => (NUMBER.test(s.trim()) ? Number(s.trim()) : s));
    case 'string':
      return spec.nullable === true && (text === 'null' || text === 'none') ? null : text;
    case 'enum':
      return text;
  }
}

/**
 * One flag per option of the table (`--drop-last` and `--no-drop-last` for booleans), documented
 * with the option's text and default.
 *
 * @example
 * ```ts
 * configFlagSpecs()['batch-size']; // { type: 'string', value: 'N', doc: 'Sentences per step … (default: 32)' }
 * ```
 */
export function configFlagSpecs(): Record<string, FlagSpec> {
  const specs: Record<string, FlagSpec> = {};
  for (const [key, spec] of Object.entries(CONFIG_OPTIONS) as Array<[keyof TrainConfig, OptionSpec]>) {
    const flag = toFlagName(key);
    const fallback: unknown = DEFAULT_CONFIG[key];
    const def = `(default: ${Array.isArray(fallback) ? fallback.join(',') : fallback === null ? 'none' : String(fallback)})`;
    if (spec.kind === 'boolean') {
      specs[flag] = { type: 'boolean', doc: `${spec.doc} ${def}` };
      specs[`no-${flag}`] = { type: 'boolean', doc: `Set ${flag} to false.` };
    } else {
      const value = spec.kind === 'enum' ? spec.values.join('|') : spec.kind === 'number' ? 'N' : spec.kind.endsWith('list') ? 'A,B' : 'VALUE';
      specs[flag] = { type: 'string', value, doc: `${spec.doc} ${def}`, ...(spec.kind === 'string-list' ? { multiple: true } : {}) };
    }
  }
  return specs;
}

/** The option-table row behind a flag of `carl train` (`--no-drop-last` → `dropLast`), if any. */
export function optionOfFlag(flag: string): OptionSpec | undefined {
  const key = fromFlagName(flag.replace(/^no-/, ''));
  return Object.hasOwn(CONFIG_OPTIONS, key) ? CONFIG_OPTIONS[key as keyof TrainConfig] : undefined;
}
