import * as fs from 'node:fs';
import * as path from 'node:path';
import { CarlError } from '@carl/core';

/** One text read from a user's file, with where it came from. */
export interface InputText {
  readonly text: string;
  /** The id column's value, or the 1-based record number when there is no id column. */
  readonly id: string;
  /** 1-based line of the record in the file (for error messages). */
  readonly line: number;
}

/** Options of {@link readTextFile}. */
export interface ReadTextOptions {
  /** Column (CSV/TSV header name) or field (JSON Lines) holding the text. Default `text`; ignored for `.txt`. */
  readonly textColumn?: string;
  /** Optional column or field holding an id to carry into the output. */
  readonly idColumn?: string;
  /** Force a format instead of guessing from the extension. */
  readonly format?: 'csv' | 'tsv' | 'jsonl' | 'txt';
}

/**
 * Reads the texts of a user's file: CSV (RFC 4180: quoted fields may hold commas, quotes and
 * newlines), TSV, JSON Lines, or plain text with one text per line. Blank `.txt` lines are skipped.
 * Errors name the file, line and column.
 *
 * @example
 * ```ts
 * const rows = readTextFile('reviews.csv', { textColumn: 'body', idColumn: 'id' });
 * rows[0]; // { text: 'Loved it', id: 'r1', line: 2 }
 * ```
 */
export function readTextFile(file: string, options: ReadTextOptions = {}): InputText[] {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CarlError('NOT_FOUND', 'input file not found', { file });
    if (code === 'EISDIR') throw new CarlError('INVALID_ARGUMENT', 'input is a folder, expected a file', { file });
    throw new CarlError('NOT_FOUND', `cannot read input file (${code ?? String(error)})`, { file });
  }
  if (content.charCodeAt(0) === 0xfeff) content = content.slice(1);
  const format = options.format ?? guessFormat(file);
  switch (format) {
    case 'txt':
      return content
        .split(/\r?\n/)
        .map((text, i) => ({ text: text.trim(), id: String(i + 1), line: i + 1 }))
        .filter((row) => row.text !== '')
        .map((row, i) => ({ ...row, id: String(i + 1) }));
    case 'jsonl':
      return readJsonLines(file, content, options);
    case 'csv':
    case 'tsv':
      return readDelimited(file, content, format === 'csv' ? ',' : '\t', options);
  }
}

function guessFormat(file: string): 'csv' | 'tsv' | 'jsonl' | 'txt' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  return 'txt';
}

function readJsonLines(file: string, content: string, options: ReadTextOptions): InputText[] {
  const textField = options.textColumn ?? 'text';
  const out: InputText[] = [];
  content.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (error) {
      throw new CarlError('INVALID_DATA', `not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { file, line });
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new CarlError('INVALID_DATA', 'each line must be a JSON object', { file, line });
    const fields = record as Record<string, unknown>;
    const text = fields[textField];
    if (typeof text !== 'string') {
      throw new CarlError('INVALID_DATA', text === undefined ? `no "${textField}" field (fields: ${Object.keys(fields).join(', ')})` : `"${textField}" is not a string`, {
        file,
        line,
        field: textField,
      });
    }
    const id = options.idColumn === undefined ? String(out.length + 1) : fields[options.idColumn];
    if (id === undefined || id === null) throw new CarlError('INVALID_DATA', `no "${options.idColumn}" field`, { file, line, field: options.idColumn as string });
    out.push({ text, id: String(id), line });
  });
  return out;
}

function readDelimited(file: string, content: string, delimiter: string, options: ReadTextOptions): InputText[] {
  const records = parseDelimited(content, delimiter, file);
  const header = records.shift();
  if (header === undefined) throw new CarlError('INVALID_DATA', 'the file is empty; expected a header row', { file });
  const names = header.fields.map((f) => f.trim());
  const column = (name: string): number => {
    const index = names.indexOf(name);
    if (index < 0) throw new CarlError('INVALID_DATA', `no column "${name}" in the header (columns: ${names.join(', ')})`, { file, line: header.line, field: name });
    return index;
  };
  const textIndex = column(options.textColumn ?? 'text');
  const idIndex = options.idColumn === undefined ? undefined : column(options.idColumn);
  return records
    .filter((r) => !(r.fields.length === 1 && r.fields[0] === ''))
    .map((r, i) => {
      if (r.fields.length !== names.length) {
        throw new CarlError('INVALID_DATA', `has ${r.fields.length} fields, the header has ${names.length}`, { file, line: r.line });
      }
      return { text: r.fields[textIndex] as string, id: idIndex === undefined ? String(i + 1) : (r.fields[idIndex] as string), line: r.line };
    });
}

/**
 * Splits delimited text into records (RFC 4180 quoting), each with the line it starts on.
 *
 * @example
 * ```ts
 * parseDelimited('a,b\n"x, y",2\n', ','); // [{ fields: ['a','b'], line: 1 }, { fields: ['x, y','2'], line: 2 }]
 * ```
 */
export function parseDelimited(content: string, delimiter: string, file = '<input>'): Array<{ fields: string[]; line: number }> {
  const records: Array<{ fields: string[]; line: number }> = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let atFieldStart = true;
  for (let i = 0; i < content.length; i++) {
    const c = content[i] as string;
    if (quoted) {
      if (c === '"') {
        if (content[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (c === delimiter) {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && content[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ fields, line: recordLine });
      fields = [];
      field = '';
      atFieldStart = true;
      line++;
      recordLine = line;
    } else {
      field += c;
      atFieldStart = false;
    }
  }
  if (quoted) throw new CarlError('INVALID_DATA', 'a quoted field is never closed', { file, line: recordLine });
  if (field !== '' || fields.length > 0) {
    fields.push(field);
    records.push({ fields, line: recordLine });
  }
  return records;
}
