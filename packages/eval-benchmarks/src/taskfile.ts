import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError, type RatingScale } from '@carl/core';
import { loadTable, type ColumnRef, type LoadTableOptions, type TableFormat } from '@carl/datasets';
import { defineScale, SAM_1_5, SCALE_1_9, UNIT_SCALE } from '@carl/va-labeling';
import { validateSplit, type SplitRule, type TaskKind, type TaskSpec } from './tasks';

/**
 * One task in a task file (JSON). Paths are relative to the task file.
 *
 * ```json
 * {
 *   "name": "support-tickets",
 *   "file": "tickets.csv",
 *   "textColumn": "body",
 *   "va": { "valence": ["v1", "v2"], "arousal": "a", "scale": { "min": 1, "max": 9 } },
 *   "split": { "type": "kfold", "k": 5 }
 * }
 * ```
 */
export interface TaskFileEntry {
  readonly name: string;
  readonly file: string;
  readonly textColumn: ColumnRef;
  /** `va`, `classification` or `align-uniform`; default from the label given (`va` → va, `labelColumn` → classification). */
  readonly kind?: TaskKind;
  readonly format?: TableFormat;
  readonly delimiter?: string;
  readonly quoting?: 'rfc4180' | 'none';
  readonly header?: boolean;
  readonly encoding?: 'utf-8' | 'latin1' | 'windows-1252';
  readonly idColumn?: ColumnRef;
  /** Rating columns (several per axis are averaged) and their scale: `{min, max}` or `sam-1-5`, `scale-1-9`, `unit`. */
  readonly va?: { readonly valence: ColumnRef | readonly ColumnRef[]; readonly arousal: ColumnRef | readonly ColumnRef[]; readonly scale: string | { readonly min: number; readonly max: number; readonly name?: string } };
  readonly labelColumn?: ColumnRef;
  readonly labelNames?: readonly string[];
  readonly labelMap?: Readonly<Record<string, string>>;
  /** `{type: "column", column}` (values train/dev/test), `{type: "kfold", k}` or `{type: "holdout", testFraction}`. */
  readonly split: { readonly type: 'column'; readonly column: ColumnRef } | SplitRule;
  /** align-uniform: VA distance under which a pair is positive. */
  readonly threshold?: number;
  readonly skipBadRows?: boolean;
  readonly description?: string;
}

const KEYS: readonly string[] = [
  'name', 'file', 'textColumn', 'kind', 'format', 'delimiter', 'quoting', 'header', 'encoding', 'idColumn', 'va', 'labelColumn', 'labelNames',
  'labelMap', 'split', 'threshold', 'skipBadRows', 'description',
];
const NAMED_SCALES: Readonly<Record<string, RatingScale>> = { 'sam-1-5': SAM_1_5, 'scale-1-9': SCALE_1_9, unit: UNIT_SCALE };

/**
 * Reads custom tasks from a JSON file — one task object, an array of them, or `{ "tasks": [...] }` —
 * so users can evaluate on their own CSV / TSV / JSONL data. Everything is checked up front (unknown
 * keys, missing columns settings, scale, split rule, that the data file exists) and reported as
 * `INVALID_CONFIG` naming the file and the field (and the line for JSON syntax errors). The data file
 * itself is read when the task runs, by @carl/datasets' `loadTable`.
 *
 * @example
 * ```ts
 * const tasks = loadTaskFile('eval/my-tasks.json');
 * const report = await evaluate({ embed, tasks: ['emobank-va', ...tasks] });
 * ```
 */
export function loadTaskFile(file: string): TaskSpec[] {
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CarlError('NOT_FOUND', `cannot read the task file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { file }, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const at = /position (\d+)/.exec(message);
    const line = at === null ? undefined : raw.slice(0, Number(at[1])).split('\n').length;
    throw new CarlError('INVALID_CONFIG', `not valid JSON: ${message}`, line === undefined ? { file } : { file, line }, { cause: error });
  }
  const entries: unknown[] = Array.isArray(parsed)
    ? parsed
    : isObject(parsed) && Array.isArray(parsed['tasks'])
      ? (parsed['tasks'] as unknown[])
      : [parsed];
  const prefix = Array.isArray(parsed) ? '' : isObject(parsed) && Array.isArray(parsed['tasks']) ? 'tasks' : undefined;
  if (entries.length === 0) throw new CarlError('INVALID_CONFIG', 'the task file lists no task', { file });
  const specs = entries.map((entry, i) => taskFromEntry(entry, path.dirname(path.resolve(file)), file, prefix === undefined ? '' : `${prefix}[${i}].`));
  const seen = new Set<string>();
  specs.forEach((s, i) => {
    if (seen.has(s.name)) throw new CarlError('INVALID_CONFIG', `task name "${s.name}" is used twice`, { file, field: prefix === undefined ? 'name' : `${prefix}[${i}].name` });
    seen.add(s.name);
  });
  return specs;
}

/**
 * Checks one task-file entry and turns it into a {@link TaskSpec}; `baseDir` resolves its relative `file`.
 *
 * @example
 * ```ts
 * const spec = taskFromEntry({ name: 't', file: 'a.jsonl', textColumn: 'text', labelColumn: 'label', split: { type: 'kfold', k: 5 } }, process.cwd());
 * ```
 */
export function taskFromEntry(entry: unknown, baseDir: string, sourceFile?: string, fieldPrefix = ''): TaskSpec {
  const fail = (field: string, message: string): never => {
    throw new CarlError('INVALID_CONFIG', message, sourceFile === undefined ? { field: fieldPrefix + field } : { file: sourceFile, field: fieldPrefix + field });
  };
  if (!isObject(entry)) return fail('', 'a task must be a JSON object');
  for (const key of Object.keys(entry)) {
    if (!KEYS.includes(key)) {
      const near = KEYS.find((k) => k.toLowerCase() === key.toLowerCase());
      fail(key, `unknown key "${key}"${near === undefined ? '' : ` (did you mean "${near}"?)`}`);
    }
  }
  const str = (key: string, required: boolean): string | undefined => {
    const v = entry[key];
    if (v === undefined) return required ? fail(key, `"${key}" is required`) : undefined;
    if (typeof v !== 'string' || v.trim() === '') return fail(key, `"${key}" must be a non-empty string`);
    return v;
  };
  const column = (value: unknown, field: string): ColumnRef => {
    if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isInteger(value) && value >= 0)) return value;
    return fail(field, 'a column is a header name or a 0-based index');
  };
  const columns = (value: unknown, field: string): ColumnRef | ColumnRef[] =>
    Array.isArray(value) ? (value.length === 0 ? fail(field, 'lists no column') : value.map((v, i) => column(v, `${field}[${i}]`))) : column(value, field);

  const name = str('name', true) as string;
  const fileName = str('file', true) as string;
  const dataFile = path.resolve(baseDir, fileName);
  if (!fs.existsSync(dataFile)) fail('file', `data file not found: ${dataFile}`);
  if (entry['textColumn'] === undefined) fail('textColumn', '"textColumn" is required');
  const textColumn = column(entry['textColumn'], 'textColumn');

  let va: LoadTableOptions['va'];
  if (entry['va'] !== undefined) {
    const v = entry['va'];
    if (!isObject(v)) return fail('va', '"va" must be an object with valence, arousal and scale');
    for (const key of Object.keys(v)) if (!['valence', 'arousal', 'scale'].includes(key)) fail(`va.${key}`, `unknown key "${key}"`);
    if (v['valence'] === undefined) fail('va.valence', 'the valence column is required');
    if (v['arousal'] === undefined) fail('va.arousal', 'the arousal column is required');
    va = { valence: columns(v['valence'], 'va.valence'), arousal: columns(v['arousal'], 'va.arousal'), scale: scaleOf(v['scale'], fail) };
  }
  const labelColumn = entry['labelColumn'] === undefined ? undefined : column(entry['labelColumn'], 'labelColumn');
  let kind = entry['kind'] as TaskKind | undefined;
  if (kind !== undefined && !['va', 'classification', 'align-uniform'].includes(kind)) fail('kind', `unknown kind "${String(kind)}"; expected va, classification or align-uniform`);
  if (kind === undefined) {
    if (va !== undefined && labelColumn !== undefined) fail('kind', 'both "va" and "labelColumn" are given: say which to evaluate with "kind"');
    if (va === undefined && labelColumn === undefined) fail('va', 'give "va" (rating columns) or "labelColumn" (classes)');
    kind = va !== undefined ? 'va' : 'classification';
  }
  if ((kind === 'va' || kind === 'align-uniform') && va === undefined) fail('va', `a ${kind} task needs "va" rating columns`);
  if (kind === 'classification' && labelColumn === undefined) fail('labelColumn', 'a classification task needs "labelColumn"');

  const rawSplit = entry['split'];
  if (rawSplit === undefined) fail('split', '"split" is required: {"type":"column","column":…}, {"type":"kfold","k":10} or {"type":"holdout","testFraction":0.2}');
  let split: SplitRule;
  let splitColumn: ColumnRef | undefined;
  if (isObject(rawSplit) && rawSplit['type'] === 'column') {
    splitColumn = column(rawSplit['column'], 'split.column');
    split = { type: 'official' };
  } else {
    validateSplit(rawSplit as SplitRule, `${fieldPrefix}split`, sourceFile);
    split = rawSplit as SplitRule;
    if (split.type === 'official') fail('split.type', 'use {"type":"column","column":…} to name the column that holds train/test');
  }
  const threshold = entry['threshold'];
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold > 0)) fail('threshold', 'must be a positive number');

  const optional = <K extends string>(key: K, check: (v: unknown) => boolean, what: string): Record<string, unknown> => {
    const v = entry[key];
    if (v === undefined) return {};
    if (!check(v)) fail(key, `must be ${what}`);
    return { [key]: v };
  };
  const tableOptions: LoadTableOptions = {
    file: dataFile,
    name,
    textColumn,
    ...(va === undefined ? {} : { va }),
    ...(labelColumn === undefined || kind !== 'classification' ? {} : { labelColumn }),
    ...(splitColumn === undefined ? {} : { splitColumn }),
    ...(entry['idColumn'] === undefined ? {} : { idColumn: column(entry['idColumn'], 'idColumn') }),
    ...optional('format', (v) => ['csv', 'tsv', 'psv', 'jsonl'].includes(v as string), 'one of csv, tsv, psv, jsonl'),
    ...optional('delimiter', (v) => typeof v === 'string' && v.length === 1, 'a single character'),
    ...optional('quoting', (v) => v === 'rfc4180' || v === 'none', '"rfc4180" or "none"'),
    ...optional('header', (v) => typeof v === 'boolean', 'true or false'),
    ...optional('encoding', (v) => ['utf-8', 'latin1', 'windows-1252'].includes(v as string), 'one of utf-8, latin1, windows-1252'),
    ...optional('labelNames', (v) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string'), 'a non-empty array of strings'),
    ...optional('labelMap', (v) => isObject(v) && Object.values(v).every((x) => typeof x === 'string'), 'an object of strings'),
    ...optional('skipBadRows', (v) => typeof v === 'boolean', 'true or false'),
  };
  const description = optional('description', (v) => typeof v === 'string', 'a string')['description'] as string | undefined;
  return {
    name,
    kind,
    split,
    ...(typeof threshold === 'number' ? { threshold } : {}),
    description: description ?? `${kind} task on ${fileName}`,
    load: async () => {
      const dataset = await loadTable(tableOptions);
      const { train, dev = [], test = [] } = dataset.splits;
      const labelNames = dataset.labelNames === undefined ? {} : { labelNames: dataset.labelNames };
      // With a split column, dev rows are not used (probe settings are cross-validated on train).
      return splitColumn === undefined ? { train: [...train, ...dev, ...test], ...labelNames } : { train, test, ...labelNames };
    },
  };
}

function scaleOf(value: unknown, fail: (field: string, message: string) => never): RatingScale {
  if (typeof value === 'string') {
    const named = NAMED_SCALES[value];
    return named ?? fail('va.scale', `unknown scale "${value}"; use ${Object.keys(NAMED_SCALES).join(', ')} or {"min": …, "max": …}`);
  }
  if (!isObject(value)) return fail('va.scale', 'the rating scale is required: {"min": 1, "max": 9} or a name like "sam-1-5"');
  const { min, max } = value;
  if (typeof min !== 'number' || typeof max !== 'number' || !(max > min)) return fail('va.scale', 'needs numbers "min" < "max"');
  const name = typeof value['name'] === 'string' ? value['name'] : `${min}-${max}`;
  return defineScale(name, min, max);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
