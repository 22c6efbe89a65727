import * as path from 'node:path';
import { readTextTable } from './text-table';
import { expectCarlError, tmpTree } from '@carl/core/testing';

/** The error must be INVALID_DATA at exactly this place (file, line, and column when given). */
async function expectAt(promise: Promise<unknown>, code: 'INVALID_DATA', location: { file: string; line: number; field?: string }): Promise<Error> {
  const error = await expectCarlError(promise, code);
  expect(error.location).toEqual(location);
  return error;
}

function write(name: string, content: string | Uint8Array): string {
  return path.join(tmpTree({ [name]: content }), name);
}

describe('readTextTable: formats and ids', () => {
  it('reads CSV texts with ids from an `id` column found automatically', async () => {
    const file = write('r.csv', 'id,body\nr1,"Loved it, really"\nr2,"two\nlines"\n');
    const { rows, report } = await readTextTable(file, { textColumn: 'body' });
    expect(rows).toEqual([
      { id: 'r1', text: 'Loved it, really', line: 2 },
      { id: 'r2', text: 'two\nlines', line: 3 },
    ]);
    expect(report).toMatchObject({ rowsRead: 2, rowsKept: 2, skipped: [] });
  });

  it('numbers rows by the line they start on, so blank lines do not renumber them', async () => {
    const txt = write('t.txt', 'first\n\nsecond\r\n\n\nthird');
    expect((await readTextTable(txt)).rows).toEqual([
      { id: '1', text: 'first', line: 1 },
      { id: '3', text: 'second', line: 3 },
      { id: '6', text: 'third', line: 6 },
    ]);
    const csv = write('n.csv', 'text\nhello\n\nworld\n');
    expect((await readTextTable(csv)).rows.map((r) => r.id)).toEqual(['2', '4']);
  });

  it('reads JSON Lines and TSV, with an explicit id column or the `id` key', async () => {
    const jsonl = write('a.jsonl', '{"id": 7, "text": "a"}\n\n{"id": "x", "text": "b"}\n');
    expect((await readTextTable(jsonl)).rows).toEqual([
      { id: '7', text: 'a', line: 1 },
      { id: 'x', text: 'b', line: 3 },
    ]);
    const tsv = write('b.tsv', 'key\ttext\nk1\thello "there"\n');
    expect((await readTextTable(tsv, { idColumn: 'key' })).rows).toEqual([{ id: 'k1', text: 'hello "there"', line: 2 }]);
  });
});

describe('readTextTable: the faults the old reader let through (issue 15)', () => {
  it('refuses invalid UTF-8 naming the line, instead of turning it into U+FFFD', async () => {
    const file = write('bad.txt', Buffer.concat([Buffer.from('fine\ncaf'), Buffer.from([0xe9]), Buffer.from('\nok\n')]));
    await expectAt(readTextTable(file), 'INVALID_DATA', { file, line: 2 });
    const skipped = await readTextTable(file, { skipBadRows: true });
    expect(skipped.rows.map((r) => r.text)).toEqual(['fine', 'ok']);
    expect(skipped.report.skipped).toMatchObject([{ line: 2, reason: 'undecodable' }]);
  });

  it('refuses an unbalanced quote, which would swallow the next lines, even when skipping bad rows', async () => {
    const file = write('q.csv', 'text\n"open quote\nnext line\n');
    await expectAt(readTextTable(file), 'INVALID_DATA', { file, line: 2 });
    await expectAt(readTextTable(file, { skipBadRows: true }), 'INVALID_DATA', { file, line: 2 });
  });

  it('refuses empty texts, in tables and in text files', async () => {
    const csv = write('e.csv', 'id,text\na,hello\nb,"  "\n');
    await expectAt(readTextTable(csv), 'INVALID_DATA', { file: csv, line: 3, field: 'text' });
    const txt = write('e.txt', 'hello\n   \n');
    await expectAt(readTextTable(txt), 'INVALID_DATA', { file: txt, line: 2 });
    const { rows, report } = await readTextTable(csv, { skipBadRows: true });
    expect(rows.map((r) => r.id)).toEqual(['a']);
    expect(report.skipped).toEqual([{ file: csv, line: 3, field: 'text', reason: 'empty-text', message: 'empty text' }]);
  });

  it('refuses duplicate ids, naming the first occurrence', async () => {
    const file = write('d.csv', 'id,text\na,one\nb,two\na,three\n');
    const error = await expectAt(readTextTable(file), 'INVALID_DATA', { file, line: 4 });
    expect(error.message).toMatch(/duplicate id "a" \(first seen at .*d\.csv:2\)/);
    expect(error.message).toMatch(/--skip-bad-rows/);
    expect((await readTextTable(file, { skipBadRows: true })).rows.map((r) => r.text)).toEqual(['one', 'two']);
  });

  it('refuses a row with the wrong number of fields and a missing text column', async () => {
    const file = write('f.csv', 'id,text\na,one,extra\n');
    await expectAt(readTextTable(file), 'INVALID_DATA', { file, line: 2 });
    await expectAt(readTextTable(file, { textColumn: 'body' }), 'INVALID_DATA', { file, line: 1, field: 'body' });
  });
});
