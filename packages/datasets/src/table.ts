import * as path from 'node:path';
import { CarlError, toUnitRange, type LabeledText, type RatingScale, type VA } from '@carl/core';
import { decodeText, readBytes, type TextEncoding } from './decode';
import { parseDelimited, parseJsonLines, type Quoting } from './delimited';
import { RowIssues } from './report';
import type { Dataset, DatasetInfo, SplitName } from './types';

/** A column by header name, or by 0-based position (needed for header-less files). */
export type ColumnRef = string | number;

/** Rating columns. Several columns per axis are averaged (e.g. two annotators). */
export interface VAColumns {
  readonly valence: ColumnRef | readonly ColumnRef[];
  readonly arousal: ColumnRef | readonly ColumnRef[];
  readonly dominance?: ColumnRef | readonly ColumnRef[];
  /** The scale the ratings are on; every rating is checked against it and mapped to [−1, 1]. */
  readonly scale: RatingScale;
}

/** Options shared by every loader. */
export interface RowOptions {
  /**
   * Default `false`: the first bad row throws `INVALID_DATA` naming file, line and field. With
   * `true`, bad rows are dropped and listed (file, line, reason) in `dataset.report.skipped`.
   */
  readonly skipBadRows?: boolean;
}

/** The file formats {@link loadTable} reads. `psv` is pipe-separated. */
export type TableFormat = 'csv' | 'tsv' | 'psv' | 'jsonl';

export interface LoadTableOptions extends RowOptions {
  readonly file: string;
  /** Default: from the extension (`.csv`, `.tsv`/`.tab`, `.psv`, `.jsonl`/`.ndjson`). */
  readonly format?: TableFormat;
  /** Overrides the format's delimiter (`,`, tab, `|`). */
  readonly delimiter?: string;
  /**
   * Default `rfc4180` for CSV and `none` for TSV/PSV, whose texts often hold bare `"` (GoEmotions:
   * "read them with quoting disabled").
   */
  readonly quoting?: Quoting;
  /** Whether the first line names the columns; default true (ignored for JSONL). */
  readonly header?: boolean;
  /** Default `utf-8` (strict: undecodable bytes are reported with their line). */
  readonly encoding?: TextEncoding;
  readonly textColumn: ColumnRef;
  /** Row ids; default `<name>:<record number>`. Ids must be unique. */
  readonly idColumn?: ColumnRef;
  readonly va?: VAColumns;
  /** A categorical label column. */
  readonly labelColumn?: ColumnRef;
  /** Splits a label field into several labels (multi-label), e.g. `,`. */
  readonly labelSeparator?: string;
  /** Raw label value → label name, e.g. `{ '0': 'negative', '1': 'positive' }`. */
  readonly labelMap?: Readonly<Record<string, string>>;
  /**
   * The declared label set, in order. A label outside it is a bad row; a numeric label in JSONL is
   * read as an index into it. Default: the labels found, sorted.
   */
  readonly labelNames?: readonly string[];
  /** A column holding `train` / `dev` (or `validation`, `val`) / `test`. Without it every row is `train`. */
  readonly splitColumn?: ColumnRef;
  /** Dataset name, also each row's `source`; default the file's base name without extension. */
  readonly name?: string;
}

/** Internal knobs the built-in loaders add on top of the public options. */
export interface TableSpec extends Omit<LoadTableOptions, 'file' | 'format' | 'name' | 'skipBadRows'> {
  readonly format: TableFormat;
  readonly name: string;
  /** Prefix of generated ids; default `<name>:`. */
  readonly idPrefix?: string;
  /** Split for every row when there is no split column. */
  readonly split?: SplitName;
  /** Known quirk of a published corpus: empty texts are skipped and reported even in strict mode. */
  readonly emptyText?: 'error' | 'skip';
  /** Exact number of fields per record for header-less files (with a header, the header's length). */
  readonly fieldCount?: number;
  /** Without `idColumn`: take ids from this column when the file has it (header or first JSON record). */
  readonly idColumnIfPresent?: string;
  /** Generated ids are the line the record starts on (stable when blank lines come and go), not its number. */
  readonly lineIds?: boolean;
}

/** Accumulates rows over the files of one dataset (ids must be unique across all of them). */
export class RowCollector {
  readonly splits: Record<SplitName, LabeledText[]> = { train: [], dev: [], test: [] };
  readonly seenIds = new Map<string, { file: string; line: number }>();
  readonly labelsFound = new Set<string>();
  multiLabel = false;

  constructor(readonly issues: RowIssues) {}

  /** Adds a row after the duplicate-id check; returns false if it was rejected. */
  add(row: LabeledText, split: SplitName, where: { file: string; line: number; field?: string }): boolean {
    const first = this.seenIds.get(row.id);
    if (first !== undefined) {
      this.issues.fail('duplicate-id', `duplicate id "${row.id}" (first seen at ${first.file}:${first.line})`, where);
      return false;
    }
    this.seenIds.set(row.id, { file: where.file, line: where.line });
    for (const label of row.labels ?? []) this.labelsFound.add(label);
    if ((row.labels?.length ?? 0) > 1) this.multiLabel = true;
    this.splits[split].push(row);
    this.issues.rowsKept++;
    return true;
  }

  /** Builds the {@link Dataset}; `dev`/`test` appear only when they have rows. */
  finish(init: { name: string; officialSplits: boolean; labelNames?: readonly string[]; multiLabel?: boolean; scale?: RatingScale; info?: DatasetInfo }): Dataset {
    const { train, dev, test } = this.splits;
    const labelNames = init.labelNames ?? (this.labelsFound.size > 0 ? [...this.labelsFound].sort() : undefined);
    return Object.freeze({
      name: init.name,
      splits: Object.freeze({ train, ...(dev.length > 0 ? { dev } : {}), ...(test.length > 0 ? { test } : {}) }),
      officialSplits: init.officialSplits,
      ...(labelNames === undefined ? {} : { labelNames }),
      multiLabel: init.multiLabel ?? this.multiLabel,
      ...(init.scale === undefined ? {} : { scale: init.scale }),
      ...(init.info === undefined ? {} : { info: init.info }),
      report: this.issues.report(),
    });
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

const SPLIT_ALIASES: Readonly<Record<string, SplitName>> = { train: 'train', training: 'train', dev: 'dev', validation: 'dev', valid: 'dev', val: 'dev', test: 'test' };

function formatFromExtension(file: string): TableFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.psv') return 'psv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new CarlError('INVALID_ARGUMENT', `cannot tell the format from the extension "${ext}"; pass format: 'csv' | 'tsv' | 'psv' | 'jsonl'`, { file, field: 'format' });
}

/** A record with typed cell access, whatever the file format. */
interface CellRecord {
  readonly line: number;
  readonly endLine: number;
  readonly problem?: string;
  cell(ref: ColumnRef): unknown;
  has(ref: ColumnRef): boolean;
}

/**
 * Reads one file into `collector` according to `spec` (the engine behind {@link loadTable} and the
 * corpus loaders).
 */
export async function readTableInto(file: string, tableSpec: TableSpec, collector: RowCollector): Promise<void> {
  let spec = tableSpec;
  const issues = collector.issues;
  issues.addFile(file);
  const decoded = decodeText(await readBytes(file), spec.encoding ?? 'utf-8', file, issues);
  const records: CellRecord[] = [];
  if (spec.format === 'jsonl') {
    for (const r of parseJsonLines(decoded.text)) {
      const value = r.value ?? {};
      records.push({
        line: r.line,
        endLine: r.line,
        ...(r.problem === undefined ? {} : { problem: r.problem }),
        cell: (ref) => value[String(ref)],
        has: (ref) => Object.prototype.hasOwnProperty.call(value, String(ref)),
      });
    }
    const optionalId = spec.idColumn === undefined ? spec.idColumnIfPresent : undefined;
    if (optionalId !== undefined && records.find((r) => r.problem === undefined)?.has(optionalId) === true) spec = { ...spec, idColumn: optionalId };
    for (const ref of referencedColumns(spec)) {
      if (typeof ref === 'number') throw new CarlError('INVALID_ARGUMENT', `JSON Lines columns are keys, not positions (got ${ref})`, { file, field: String(ref) });
    }
  } else {
    const delimiter = spec.delimiter ?? (spec.format === 'csv' ? ',' : spec.format === 'tsv' ? '\t' : '|');
    const quoting = spec.quoting ?? (spec.format === 'csv' ? 'rfc4180' : 'none');
    const raw = parseDelimited(decoded.text, delimiter, quoting, file);
    const hasHeader = spec.header ?? true;
    let header: readonly string[] | undefined;
    if (hasHeader) {
      const first = raw.shift();
      if (first === undefined) throw new CarlError('INVALID_DATA', 'the file is empty (no header line)', { file, line: 1 });
      header = first.fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
      if (spec.idColumn === undefined && spec.idColumnIfPresent !== undefined && header.includes(spec.idColumnIfPresent)) spec = { ...spec, idColumn: spec.idColumnIfPresent };
    }
    const index = new Map<ColumnRef, number>();
    for (const ref of referencedColumns(spec)) {
      if (typeof ref === 'number') {
        if (!Number.isInteger(ref) || ref < 0) throw new CarlError('INVALID_ARGUMENT', `column positions are 0-based integers, got ${ref}`, { file, field: String(ref) });
        index.set(ref, ref);
      } else if (header === undefined) {
        throw new CarlError('INVALID_ARGUMENT', `column "${ref}" is named, but the file has no header (header: false); use a 0-based position`, { file, field: ref });
      } else {
        const i = header.indexOf(ref);
        if (i < 0) throw new CarlError('INVALID_DATA', `missing column "${ref}" (the header has: ${header.join(', ')})`, { file, line: 1, field: ref });
        index.set(ref, i);
      }
    }
    for (const r of raw) {
      let problem = r.problem;
      const expected = header?.length ?? spec.fieldCount;
      if (problem === undefined && expected !== undefined && r.fields.length !== expected) {
        problem = `expected ${expected} fields${header === undefined ? '' : ' (as in the header)'}, found ${r.fields.length}`;
      }
      records.push({
        line: r.line,
        endLine: r.endLine,
        ...(problem === undefined ? {} : { problem }),
        cell: (ref) => r.fields[index.get(ref) as number],
        has: (ref) => (index.get(ref) as number) < r.fields.length,
      });
    }
  }
  let recordNumber = 0;
  // Undecodable lines were blanked by the decoder (and reported there); count them as rows read.
  issues.rowsRead += decoded.badLines.size;
  for (const record of records) {
    recordNumber++;
    let overlapsBadBytes = false;
    for (let l = record.line; l <= record.endLine && !overlapsBadBytes; l++) overlapsBadBytes = decoded.badLines.has(l);
    if (overlapsBadBytes) continue;
    issues.rowsRead++;
    const result = buildRow(record, recordNumber, file, spec, issues);
    if (result !== undefined) collector.add(result.row, result.split, { file, line: record.line });
  }
}

function referencedColumns(spec: TableSpec): ColumnRef[] {
  const refs: ColumnRef[] = [spec.textColumn];
  if (spec.idColumn !== undefined) refs.push(spec.idColumn);
  if (spec.labelColumn !== undefined) refs.push(spec.labelColumn);
  if (spec.splitColumn !== undefined) refs.push(spec.splitColumn);
  if (spec.va !== undefined) {
    for (const axis of [spec.va.valence, spec.va.arousal, spec.va.dominance]) {
      if (axis === undefined) continue;
      refs.push(...(Array.isArray(axis) ? (axis as readonly ColumnRef[]) : [axis as ColumnRef]));
    }
  }
  return refs;
}

function buildRow(record: CellRecord, recordNumber: number, file: string, spec: TableSpec, issues: RowIssues): { row: LabeledText; split: SplitName } | undefined {
  const where = (field?: ColumnRef): { file: string; line: number; field?: string } =>
    field === undefined ? { file, line: record.line } : { file, line: record.line, field: String(field) };
  if (record.problem !== undefined) {
    issues.fail('malformed', record.problem, where());
    return undefined;
  }
  for (const ref of referencedColumns(spec)) {
    if (!record.has(ref)) {
      issues.fail('missing-value', `no value for column ${JSON.stringify(ref)}`, where(ref));
      return undefined;
    }
  }
  const text = record.cell(spec.textColumn);
  if (typeof text !== 'string') {
    issues.fail('malformed', `text must be a string, got ${JSON.stringify(text)}`, where(spec.textColumn));
    return undefined;
  }
  if (text.trim() === '') {
    if (spec.emptyText === 'skip') issues.skip('empty-text', 'empty text', where(spec.textColumn));
    else issues.fail('empty-text', 'empty text', where(spec.textColumn));
    return undefined;
  }
  let id = `${spec.idPrefix ?? `${spec.name}:`}${spec.lineIds === true ? record.line : recordNumber}`;
  if (spec.idColumn !== undefined) {
    const raw = record.cell(spec.idColumn);
    const value = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
    if (value === '') {
      issues.fail('missing-value', 'empty id', where(spec.idColumn));
      return undefined;
    }
    id = spec.idPrefix === undefined ? value : `${spec.idPrefix}${value}`;
  }
  let va: VA | undefined;
  if (spec.va !== undefined) {
    const scale = spec.va.scale;
    const axis = (refs: ColumnRef | readonly ColumnRef[]): number | undefined => {
      const list = Array.isArray(refs) ? (refs as readonly ColumnRef[]) : [refs as ColumnRef];
      let sum = 0;
      for (const ref of list) {
        const value = parseRating(record.cell(ref));
        if (value === undefined) {
          const raw = record.cell(ref);
          const shown = raw === undefined || raw === null || String(raw).trim() === '' ? 'empty rating' : `rating ${JSON.stringify(raw)} is not a number`;
          issues.fail(shown === 'empty rating' ? 'missing-value' : 'non-numeric', shown, where(ref));
          return undefined;
        }
        if (value < scale.min || value > scale.max) {
          issues.fail('out-of-scale', `rating ${value} is outside the ${scale.name} scale [${scale.min}, ${scale.max}]`, where(ref));
          return undefined;
        }
        sum += value;
      }
      return toUnitRange(sum / list.length, scale);
    };
    const valence = axis(spec.va.valence);
    if (valence === undefined) return undefined;
    const arousal = axis(spec.va.arousal);
    if (arousal === undefined) return undefined;
    if (spec.va.dominance !== undefined) {
      const dominance = axis(spec.va.dominance);
      if (dominance === undefined) return undefined;
      va = { valence, arousal, dominance };
    } else va = { valence, arousal };
  }
  let labels: string[] | undefined;
  if (spec.labelColumn !== undefined) {
    labels = parseLabels(record.cell(spec.labelColumn), spec, (reason, message) => issues.fail(reason, message, where(spec.labelColumn)));
    if (labels === undefined) return undefined;
  }
  let split: SplitName = spec.split ?? 'train';
  if (spec.splitColumn !== undefined) {
    const raw = record.cell(spec.splitColumn);
    const named = typeof raw === 'string' ? SPLIT_ALIASES[raw.trim().toLowerCase()] : undefined;
    if (named === undefined) {
      issues.fail('malformed', `unknown split ${JSON.stringify(raw)} (expected train, dev/validation or test)`, where(spec.splitColumn));
      return undefined;
    }
    split = named;
  }
  const row: LabeledText = { id, text, ...(va === undefined ? {} : { va }), ...(labels === undefined ? {} : { labels }), source: spec.name };
  return { row, split };
}

function parseRating(raw: unknown): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim();
  return NUMBER.test(s) ? Number(s) : undefined;
}

function parseLabels(raw: unknown, spec: TableSpec, fail: (reason: 'missing-value' | 'unknown-label' | 'malformed', message: string) => void): string[] | undefined {
  let parts: string[];
  if (Array.isArray(raw)) parts = raw.map((x) => (typeof x === 'number' ? String(x) : typeof x === 'string' ? x : JSON.stringify(x)));
  else if (typeof raw === 'number' && spec.labelMap === undefined && spec.labelNames !== undefined) {
    const name = Number.isInteger(raw) ? spec.labelNames[raw] : undefined;
    if (name === undefined) {
      fail('unknown-label', `label index ${raw} is outside 0…${spec.labelNames.length - 1}`);
      return undefined;
    }
    parts = [name];
  } else if (typeof raw === 'string' || typeof raw === 'number') {
    const s = String(raw);
    parts = spec.labelSeparator === undefined ? [s] : s.split(spec.labelSeparator);
  } else {
    fail('malformed', `label must be a string, number or array, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const labels: string[] = [];
  for (const part of parts) {
    const key = part.trim();
    if (key === '') {
      fail('missing-value', 'empty label');
      return undefined;
    }
    const name = spec.labelMap === undefined ? key : spec.labelMap[key];
    if (name === undefined) {
      fail('unknown-label', `unknown label ${JSON.stringify(key)} (known: ${Object.keys(spec.labelMap ?? {}).join(', ')})`);
      return undefined;
    }
    if (spec.labelNames !== undefined && !spec.labelNames.includes(name)) {
      fail('unknown-label', `unknown label ${JSON.stringify(name)} (declared: ${spec.labelNames.join(', ')})`);
      return undefined;
    }
    if (!labels.includes(name)) labels.push(name);
  }
  return labels;
}

/**
 * Bring your own corpus: loads a CSV / TSV / pipe-separated / JSON Lines file into a {@link Dataset},
 * with continuous ratings (checked against their scale, mapped to [−1, 1], several columns averaged)
 * and/or a categorical (optionally multi-label) column. Every bad row is an `INVALID_DATA` error naming
 * file, line and column — or, with `skipBadRows`, an entry in `report.skipped`.
 *
 * @example
 * ```ts
 * const ds = await loadTable({
 *   file: 'my-posts.csv', textColumn: 'message', idColumn: 'post_id',
 *   va: { valence: ['v1', 'v2'], arousal: ['a1', 'a2'], scale: SCALE_1_9 },
 * });
 * const tweets = await loadTable({ file: 'tweets.jsonl', textColumn: 'text', labelColumn: 'emotion' });
 * ```
 */
export async function loadTable(options: LoadTableOptions): Promise<Dataset> {
  const { file, skipBadRows, name, format, ...rest } = options;
  if (typeof file !== 'string' || file === '') throw new CarlError('INVALID_ARGUMENT', 'loadTable needs a file', { field: 'file' });
  const datasetName = name ?? path.basename(file, path.extname(file));
  const collector = new RowCollector(new RowIssues(skipBadRows ?? false));
  await readTableInto(file, { ...rest, format: format ?? formatFromExtension(file), name: datasetName }, collector);
  return collector.finish({
    name: datasetName,
    officialSplits: options.splitColumn !== undefined,
    ...(options.labelNames === undefined ? {} : { labelNames: options.labelNames }),
    ...(options.labelSeparator === undefined ? {} : { multiLabel: true }),
    ...(options.va === undefined ? {} : { scale: options.va.scale }),
  });
}
