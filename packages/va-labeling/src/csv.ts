import { CarlError } from '@carl/core';

/**
 * A small RFC-4180 reader for the norm tables this package reads (quoted fields, doubled quotes,
 * CRLF or LF). Internal: the full-featured, line-reporting parser lives in @carl/datasets, which this
 * leaf may not import.
 */
export function parseCsv(text: string, file: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let line = 1;
  let startLine = 1;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"') {
        if (body[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      startLine = line;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      record.push(field);
      if (!(record.length === 1 && record[0] === '')) records.push(record);
      record = [];
      field = '';
      line++;
    } else field += c;
  }
  if (quoted) throw new CarlError('INVALID_DATA', 'unterminated quoted field', { file, line: startLine });
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}
