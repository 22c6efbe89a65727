import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDelimited, readTextFile } from './text-input';

describe('readTextFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-input-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  it('reads CSV with quoted commas, quotes and newlines, and counts lines', () => {
    const file = write('a.csv', '\ufeffid,body\nr1,"Loved it, really"\nr2,"He said ""no""\nthen left"\nr3,plain\n');
    expect(readTextFile(file, { textColumn: 'body', idColumn: 'id' })).toEqual([
      { text: 'Loved it, really', id: 'r1', line: 2 },
      { text: 'He said "no"\nthen left', id: 'r2', line: 3 },
      { text: 'plain', id: 'r3', line: 5 },
    ]);
  });

  it('reads TSV, JSON Lines and plain text', () => {
    expect(readTextFile(write('b.tsv', 'text\tx\nhello\t1\n'))).toEqual([{ text: 'hello', id: '1', line: 2 }]);
    expect(readTextFile(write('c.jsonl', '{"text":"a"}\n\n{"text":"b","k":3}\n'), { idColumn: undefined })).toEqual([
      { text: 'a', id: '1', line: 1 },
      { text: 'b', id: '2', line: 3 },
    ]);
    expect(readTextFile(write('d.txt', 'first\n\n  second  \r\n'))).toEqual([
      { text: 'first', id: '1', line: 1 },
      { text: 'second', id: '2', line: 3 },
    ]);
  });

  it('names file, line and column in errors', () => {
    const csv = write('e.csv', 'id,body\n1,ok\n2,ok,extra\n');
    expect(() => readTextFile(csv, { textColumn: 'text' })).toThrow(`${csv}:1 [text]: no column "text" in the header (columns: id, body)`);
    expect(() => readTextFile(csv, { textColumn: 'body' })).toThrow(`${csv}:3: has 3 fields, the header has 2`);
    const jsonl = write('f.jsonl', '{"text":"a"}\n{"body":"b"}\n');
    expect(() => readTextFile(jsonl)).toThrow(`${jsonl}:2 [text]: no "text" field (fields: body)`);
    const broken = write('g.jsonl', '{"text":\n');
    expect(() => readTextFile(broken)).toThrow(/g.jsonl:1: not valid JSON/);
    expect(() => readTextFile(path.join(dir, 'missing.csv'))).toThrow(/input file not found/);
    expect(() => readTextFile(dir)).toThrow(/is a folder/);
    expect(() => readTextFile(write('h.csv', 'text\n"open\n'))).toThrow(/h.csv:2: a quoted field is never closed/);
  });
});

describe('parseDelimited', () => {
  it('handles CRLF and a missing final newline', () => {
    expect(parseDelimited('a,b\r\n1,"2"', ',')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
  });
});
