import { CarlError } from '@carl/core';

/** How quotes are treated: RFC 4180 (quoted fields may hold delimiters, `""` and newlines) or not at all. */
export type Quoting = 'rfc4180' | 'none';

/** One parsed record with the physical lines it spans (1-based). */
export interface RawRecord {
  readonly line: number;
  readonly endLine: number;
  readonly fields: readonly string[];
  /** Set when the record is syntactically broken; the caller reports it as a `malformed` row. */
  readonly problem?: string;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits delimited text into records. Completely empty lines are not records. Under `rfc4180`:
 * quoted fields may contain the delimiter, doubled quotes and line breaks; a quote inside an
 * unquoted field is kept literally (as Python's csv and pandas do); text after a closing quote
 * marks the record malformed; an unterminated quote is a file-level error naming the line it opened on
 * (it would otherwise swallow the rest of the file). CRLF and LF are both accepted.
 */
export function parseDelimited(text: string, delimiter: string, quoting: Quoting, file: string): RawRecord[] {
  if (delimiter.length !== 1) throw new CarlError('INVALID_ARGUMENT', `the delimiter must be one character, got ${JSON.stringify(delimiter)}`, { file, field: 'delimiter' });
  return quoting === 'none' ? splitPlain(text, delimiter) : splitRfc4180(text, delimiter.charCodeAt(0), file);
}

function splitPlain(text: string, delimiter: string): RawRecord[] {
  const records: RawRecord[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    records.push({ line: i + 1, endLine: i + 1, fields: line.split(delimiter) });
  });
  return records;
}

function splitRfc4180(text: string, delim: number, file: string): RawRecord[] {
  const records: RawRecord[] = [];
  const n = text.length;
  let fields: string[] = [];
  let field = '';
  let fieldStart = true; // at the first character of a field
  let afterQuote = false; // just closed a quoted field
  let anyQuoted = false; // the record had a quoted field (so `""` alone is a record)
  let problem: string | undefined;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endRecord = (): void => {
    fields.push(field);
    const blank = fields.length === 1 && fields[0] === '' && !anyQuoted;
    if (!blank) records.push(problem === undefined ? { line: recordLine, endLine: line, fields } : { line: recordLine, endLine: line, fields, problem });
    fields = [];
    field = '';
    fieldStart = true;
    afterQuote = false;
    anyQuoted = false;
    problem = undefined;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === delim) {
      fields.push(field);
      field = '';
      fieldStart = true;
      afterQuote = false;
      i++;
    } else if (c === LF || c === CR) {
      endRecord();
      i += c === CR && text.charCodeAt(i + 1) === LF ? 2 : 1;
      line++;
      recordLine = line;
    } else if (c === QUOTE && fieldStart) {
      const openLine = line;
      anyQuoted = true;
      i++;
      // Scan to the closing quote in chunks (fast on long quoted texts), unescaping "".
      for (;;) {
        const j = text.indexOf('"', i);
        if (j < 0) throw new CarlError('INVALID_DATA', 'unterminated quoted field: a quote opened here is never closed, so the rest of the file would be read as one field', { file, line: openLine });
        const chunk = text.slice(i, j);
        for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) line++;
        field += chunk;
        if (text.charCodeAt(j + 1) === QUOTE) {
          field += '"';
          i = j + 2;
          continue;
        }
        i = j + 1;
        break;
      }
      fieldStart = false;
      afterQuote = true;
    } else {
      if (afterQuote && problem === undefined) {
        problem = `unexpected ${JSON.stringify(text[i])} after the closing quote of field ${fields.length + 1} (a quote inside a quoted field must be doubled)`;
      }
      // Append the run of ordinary characters in one go.
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === delim || d === LF || d === CR) break;
        j++;
      }
      field += text.slice(i, j);
      fieldStart = false;
      i = j;
    }
  }
  if (!(fields.length === 0 && field === '' && !anyQuoted)) endRecord();
  return records;
}

/** One JSON Lines record. */
export interface JsonRecord {
  readonly line: number;
  readonly value?: Readonly<Record<string, unknown>>;
  readonly problem?: string;
}

/**
 * Parses JSON Lines: one object per non-empty line. A line that is not valid JSON, or not an object,
 * becomes a record with a `problem` (reported as `malformed` by the caller).
 */
export function parseJsonLines(text: string): JsonRecord[] {
  const out: JsonRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      const value: unknown = JSON.parse(line);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) out.push({ line: i + 1, problem: 'the line is valid JSON but not an object' });
      else out.push({ line: i + 1, value: value as Record<string, unknown> });
    } catch (error) {
      out.push({ line: i + 1, problem: `invalid JSON: ${(error as Error).message}` });
    }
  });
  return out;
}
