import * as path from 'node:path';
import { CarlError } from '@carl/core';
import { decodeText, readBytes, type TextEncoding } from './decode';
import type { Quoting } from './delimited';
import { RowIssues, type LoadReport } from './report';
import { RowCollector, readTableInto, type ColumnRef, type RowOptions, type TableFormat } from './table';

/** The formats {@link readTextTable} reads: the table formats, or `txt` (one text per line). */
export type TextTableFormat = TableFormat | 'txt';

/** Options of {@link readTextTable}. */
export interface ReadTextTableOptions extends RowOptions {
  /**
   * Default: from the extension (`.csv`, `.tsv`/`.tab`, `.psv`, `.jsonl`/`.ndjson`); any other file
   * (`.txt`, `/dev/stdin`, …) is `txt`: one text per line.
   */
  readonly format?: TextTableFormat;
  /** Column (header name, JSON key, or 0-based position) holding the text. Default `text`; ignored for `txt`. */
  readonly textColumn?: ColumnRef;
  /**
   * Column holding each row's id. Default: the `id` column when the file has one (header or first
   * JSON record), else the line the record starts on. Ids must be unique.
   */
  readonly idColumn?: ColumnRef;
  readonly delimiter?: string;
  readonly quoting?: Quoting;
  readonly header?: boolean;
  /** Default `utf-8`, decoded strictly: a bad byte is an error naming its line. */
  readonly encoding?: TextEncoding;
}

/** One text of a file, with its id and the line its record starts on. */
export interface TextRow {
  readonly id: string;
  readonly text: string;
  readonly line: number;
}

/** What {@link readTextTable} read: the rows in file order and what was skipped (with `skipBadRows`). */
export interface TextTable {
  readonly rows: readonly TextRow[];
  readonly report: LoadReport;
}

/**
 * Reads the texts of a file without labels — for prediction and embedding — as strictly as
 * {@link loadTable} reads labelled ones: undecodable UTF-8, an unterminated quote, an empty text, a
 * duplicate id or a wrong field count is an `INVALID_DATA` error naming file, line and column; with
 * `skipBadRows` such rows (except an unterminated quote, which is always fatal) are dropped and
 * listed in `report.skipped`. Completely empty lines are not records.
 *
 * @example
 * ```ts
 * const { rows } = await readTextTable('reviews.csv', { textColumn: 'body' }); // ids from an `id` column if there is one
 * rows[0]; // { id: 'r1', text: 'Loved it', line: 2 }
 * ```
 */
export async function readTextTable(file: string, options: ReadTextTableOptions = {}): Promise<TextTable> {
  if (typeof file !== 'string' || file === '') throw new CarlError('INVALID_ARGUMENT', 'readTextTable needs a file', { field: 'file' });
  const format = options.format ?? formatOf(file);
  const collector = new RowCollector(new RowIssues(options.skipBadRows ?? false));
  if (format === 'txt') await readLines(file, options.encoding ?? 'utf-8', collector);
  else {
    const { textColumn = 'text', idColumn, delimiter, quoting, header, encoding } = options;
    await readTableInto(
      file,
      {
        format,
        name: path.basename(file),
        idPrefix: '',
        lineIds: true,
        textColumn,
        ...(idColumn === undefined ? { idColumnIfPresent: 'id' } : { idColumn }),
        ...(delimiter === undefined ? {} : { delimiter }),
        ...(quoting === undefined ? {} : { quoting }),
        ...(header === undefined ? {} : { header }),
        ...(encoding === undefined ? {} : { encoding }),
      },
      collector,
    );
  }
  const rows = collector.splits.train.map((r) => ({ id: r.id, text: r.text, line: collector.seenIds.get(r.id)?.line ?? 0 }));
  return { rows, report: collector.issues.report() };
}

function formatOf(file: string): TextTableFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.psv') return 'psv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'txt';
}

/** One text per line; the id is the line number, so ids do not shift when blank lines are added or removed. */
async function readLines(file: string, encoding: TextEncoding, collector: RowCollector): Promise<void> {
  const issues = collector.issues;
  issues.addFile(file);
  const decoded = decodeText(await readBytes(file), encoding, file, issues);
  issues.rowsRead += decoded.badLines.size;
  decoded.text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text === '' || decoded.badLines.has(line)) return;
    issues.rowsRead++;
    if (text.trim() === '') {
      issues.fail('empty-text', 'empty text (a line of only spaces)', { file, line });
      return;
    }
    collector.add({ id: String(line), text }, 'train', { file, line });
  });
}
