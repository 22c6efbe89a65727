import * as path from 'node:path';
import { loadTable } from './table';
import { SAM_1_5, SCALE_1_9 } from './loaders';
import { expectCarlError, tmpTree } from '@carl/core/testing';

const VA_COLS = { valence: 'V', arousal: 'A', scale: SAM_1_5 } as const;

function write(name: string, content: string | Uint8Array): string {
  return path.join(tmpTree({ [name]: content }), name);
}

describe('loadTable: formats', () => {
  it('reads an RFC-4180 CSV, maps 1–5 ratings to [-1, 1] and keeps quotes, commas and line breaks in text', async () => {
    const file = write('posts.csv', 'id,V,A,text\r\na1,4,2,"Great, really ""great"""\r\na2,1,5,"line one\nline two"\r\na3,3,3.5,plain\r\n');
    const ds = await loadTable({ file, textColumn: 'text', idColumn: 'id', va: VA_COLS });
    expect(ds.name).toBe('posts');
    expect(ds.splits.train).toEqual([
      { id: 'a1', text: 'Great, really "great"', va: { valence: 0.5, arousal: -0.5 }, source: 'posts' },
      { id: 'a2', text: 'line one\nline two', va: { valence: -1, arousal: 1 }, source: 'posts' },
      { id: 'a3', text: 'plain', va: { valence: 0, arousal: 0.25 }, source: 'posts' },
    ]);
    expect(ds.scale).toBe(SAM_1_5);
    expect(ds.officialSplits).toBe(false);
    expect(ds.report).toEqual({ files: [file], rowsRead: 3, rowsKept: 3, skipped: [], notes: [] });
  });

  it('averages several rating columns per axis (two annotators)', async () => {
    const file = write('fb.csv', 'msg,v1,v2,a1,a2\nhello,9,8,1,2\n');
    const ds = await loadTable({ file, textColumn: 'msg', va: { valence: ['v1', 'v2'], arousal: ['a1', 'a2'], scale: SCALE_1_9 } });
    // mean V 8.5 → (8.5 − 1)/4 − 1 = 0.875; mean A 1.5 → −0.875
    expect(ds.splits.train[0]?.va).toEqual({ valence: 0.875, arousal: -0.875 });
    expect(ds.splits.train[0]?.id).toBe('fb:1');
  });

  it('reads header-less TSV by column position with multi-label ids, quotes as plain text', async () => {
    const file = write('go.tsv', '"Wow" I said\t0,2\tc1\nmeh\t1\tc2\n');
    const ds = await loadTable({ file, header: false, textColumn: 0, labelColumn: 1, labelSeparator: ',', labelMap: { 0: 'joy', 1: 'neutral', 2: 'surprise' }, idColumn: 2 });
    expect(ds.splits.train.map((r) => [r.id, r.text, r.labels])).toEqual([
      ['c1', '"Wow" I said', ['joy', 'surprise']],
      ['c2', 'meh', ['neutral']],
    ]);
    expect(ds.multiLabel).toBe(true);
    expect(ds.labelNames).toEqual(['joy', 'neutral', 'surprise']);
  });

  it('reads pipe-separated files and a split column (validation → dev)', async () => {
    const file = write('x.psv', 'split|text|label\ntrain|a|pos\nvalidation|b|neg\nTEST|c|pos\n');
    const ds = await loadTable({ file, textColumn: 'text', labelColumn: 'label', splitColumn: 'split' });
    expect(ds.splits.train.map((r) => r.text)).toEqual(['a']);
    expect(ds.splits.dev?.map((r) => r.text)).toEqual(['b']);
    expect(ds.splits.test?.map((r) => r.text)).toEqual(['c']);
    expect(ds.officialSplits).toBe(true);
    expect(ds.labelNames).toEqual(['neg', 'pos']);
  });

  it('reads JSON Lines with string, numeric-index and array labels', async () => {
    const file = write('t.jsonl', '{"text":"a","label":"joy"}\n{"text":"b","label":1}\n{"text":"c","label":["joy","fear"]}\n');
    const ds = await loadTable({ file, textColumn: 'text', labelColumn: 'label', labelNames: ['fear', 'joy'] });
    expect(ds.splits.train.map((r) => r.labels)).toEqual([['joy'], ['joy'], ['joy', 'fear']]);
    expect(ds.labelNames).toEqual(['fear', 'joy']);
  });

  it('reads JSON Lines ratings given as numbers or numeric strings', async () => {
    const file = write('r.jsonl', '{"t":"a","v":4,"a":"2.5"}\n');
    const ds = await loadTable({ file, textColumn: 't', va: { valence: 'v', arousal: 'a', scale: SAM_1_5 } });
    expect(ds.splits.train[0]?.va).toEqual({ valence: 0.5, arousal: -0.25 });
  });

  it('reads Latin-1 when told, and refuses it as UTF-8 with the line', async () => {
    const file = write('l.csv', new Uint8Array([...new TextEncoder().encode('text\nok\nna'), 0xef, 0x76, 0x65, 0x0a]));
    await expectCarlError(loadTable({ file, textColumn: 'text' }), 'INVALID_DATA', /l\.csv:3: invalid UTF-8 byte 0xef/);
    const ds = await loadTable({ file, textColumn: 'text', encoding: 'latin1' });
    expect(ds.splits.train.map((r) => r.text)).toEqual(['ok', 'naïve']);
  });

  it('needs a known extension or an explicit format', async () => {
    const file = write('data.txt', 'text\nx\n');
    await expectCarlError(loadTable({ file, textColumn: 'text' }), 'INVALID_ARGUMENT', /format/);
    expect((await loadTable({ file, format: 'csv', textColumn: 'text' })).splits.train).toHaveLength(1);
  });
});

describe('loadTable: bad input is an error with file, line and field', () => {
  const cases: Array<[string, string, Parameters<typeof loadTable>[0] extends infer O ? Partial<O> : never, RegExp]> = [
    ['missing column', 'id,V,text\n1,3,x\n', { va: VA_COLS }, /bad\.csv:1 \[A\]: missing column "A" \(the header has: id, V, text\)/],
    ['non-numeric rating', 'id,V,A,text\n1,3,3,x\n2,high,3,y\n', { va: VA_COLS }, /bad\.csv:3 \[V\]: rating "high" is not a number/],
    ['out-of-scale rating', 'id,V,A,text\n1,3,7,x\n', { va: VA_COLS }, /bad\.csv:2 \[A\]: rating 7 is outside the sam-1-5 scale \[1, 5\]/],
    ['missing rating', 'id,V,A,text\n1,3,,x\n', { va: VA_COLS }, /bad\.csv:2 \[A\]: empty rating/],
    ['empty text', 'id,V,A,text\n1,3,3,"  "\n', { va: VA_COLS }, /bad\.csv:2 \[text\]: empty text/],
    ['duplicate id', 'id,V,A,text\n1,3,3,x\n2,3,3,y\n1,3,3,z\n', { va: VA_COLS }, /bad\.csv:4: duplicate id "1" \(first seen at .*bad\.csv:2\)/],
    ['wrong field count', 'id,V,A,text\n1,3,3,x,extra\n', { va: VA_COLS }, /bad\.csv:2: expected 4 fields \(as in the header\), found 5/],
    ['text after closing quote', 'id,V,A,text\n1,3,3,"x"y\n', { va: VA_COLS }, /bad\.csv:2: unexpected "y" after the closing quote/],
    ['unknown label', 'id,label,text\n1,joy,x\n2,glee,y\n', { labelColumn: 'label', labelNames: ['joy'] }, /bad\.csv:3 \[label\]: unknown label "glee" \(declared: joy\)/],
    ['unknown split', 'id,split,text\n1,train,x\n2,holdout,y\n', { splitColumn: 'split' }, /bad\.csv:3 \[split\]: unknown split "holdout"/],
    ['empty id', 'id,text\n,x\n', {}, /bad\.csv:2 \[id\]: empty id/],
  ];

  it.each(cases)('%s', async (_name, content, extra, message) => {
    const file = write('bad.csv', content);
    const e = await expectCarlError(loadTable({ file, textColumn: 'text', idColumn: 'id', ...extra }), 'INVALID_DATA', message);
    expect(e.location.file).toBe(file);
  });

  it('an unterminated quote is fatal even when skipping bad rows (it would swallow the file)', async () => {
    const file = write('bad.csv', 'text\nok\n"open\nmore\n');
    await expectCarlError(loadTable({ file, textColumn: 'text', skipBadRows: true }), 'INVALID_DATA', /bad\.csv:3: unterminated/);
  });

  it('positions beyond a header-less row are missing values', async () => {
    const file = write('short.tsv', 'only-text\n');
    await expectCarlError(loadTable({ file, header: false, textColumn: 0, labelColumn: 1 }), 'INVALID_DATA', /short\.tsv:1 \[1\]: no value for column 1/);
  });

  it('names that need a header are refused for header-less files', async () => {
    const file = write('h.tsv', 'x\t1\n');
    await expectCarlError(loadTable({ file, header: false, textColumn: 'text' }), 'INVALID_ARGUMENT', /has no header/);
  });
});

describe('loadTable: skipBadRows', () => {
  it('drops every bad row, keeps the good ones, and lists each with file, line, field and reason', async () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('id,V,A,text\n1,4,2,good\n2,x,2,bad number\n3,4,9,bad scale\n4,4,2," "\n1,4,2,dup\n5,4,2,caf'),
      0xe9,
      ...new TextEncoder().encode('\n6,4,2,"also ""good"""\n7,4,2\n'),
    ]);
    const file = write('mixed.csv', bytes);
    const ds = await loadTable({ file, textColumn: 'text', idColumn: 'id', va: VA_COLS, skipBadRows: true });
    expect(ds.splits.train.map((r) => r.id)).toEqual(['1', '6']);
    expect(ds.report.rowsRead).toBe(8);
    expect(ds.report.rowsKept).toBe(2);
    expect(ds.report.skipped.map((s) => [s.line, s.reason, s.field])).toEqual([
      [7, 'undecodable', undefined],
      [3, 'non-numeric', 'V'],
      [4, 'out-of-scale', 'A'],
      [5, 'empty-text', 'text'],
      [6, 'duplicate-id', undefined],
      [9, 'malformed', undefined],
    ]);
    expect(ds.report.skipped.every((s) => s.file === file)).toBe(true);
  });
});
