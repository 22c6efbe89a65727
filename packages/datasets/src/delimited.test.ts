import { parseDelimited, parseJsonLines } from './delimited';

describe('parseDelimited (RFC 4180)', () => {
  it('handles commas, doubled quotes and line breaks inside quoted fields, with correct line numbers', () => {
    const text = 'id,text\n1,"Hello, world"\n2,"She said ""hi"""\n3,"two\nlines"\n4,plain\n';
    const records = parseDelimited(text, ',', 'rfc4180', 'x.csv');
    expect(records.map((r) => r.fields)).toEqual([['id', 'text'], ['1', 'Hello, world'], ['2', 'She said "hi"'], ['3', 'two\nlines'], ['4', 'plain']]);
    expect(records.map((r) => [r.line, r.endLine])).toEqual([[1, 1], [2, 2], [3, 3], [4, 5], [6, 6]]);
  });

  it('reads EmoBank\'s trap: a field that is only an escaped quote, `"Remember … letter? """`', () => {
    const [, row] = parseDelimited('id,text\na,"Remember what she said in my last letter? """\n', ',', 'rfc4180', 'x.csv');
    expect(row?.fields).toEqual(['a', 'Remember what she said in my last letter? "']);
  });

  it('accepts CRLF, a missing final newline, empty quoted fields, and skips empty lines', () => {
    const records = parseDelimited('a,b\r\n"",x\r\n\r\n1,""\r\nlast,row', ',', 'rfc4180', 'x.csv');
    expect(records.map((r) => r.fields)).toEqual([['a', 'b'], ['', 'x'], ['1', ''], ['last', 'row']]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 4, 5]);
    expect(parseDelimited('""\n', ',', 'rfc4180', 'x.csv').map((r) => r.fields)).toEqual([['']]);
    expect(parseDelimited('', ',', 'rfc4180', 'x.csv')).toEqual([]);
  });

  it('keeps a quote inside an unquoted field literally, but flags text after a closing quote', () => {
    const records = parseDelimited('a,b\n5" tall,ok\n"closed"junk,2\n', ',', 'rfc4180', 'x.csv');
    expect(records[1]?.fields).toEqual(['5" tall', 'ok']);
    expect(records[1]?.problem).toBeUndefined();
    expect(records[2]?.problem).toMatch(/unexpected "j" after the closing quote of field 1/);
  });

  it('names the line where an unterminated quote opened', () => {
    expect(() => parseDelimited('a,b\n1,ok\n2,"never closed\n3,x\n', ',', 'rfc4180', 'f.csv')).toThrow(/f\.csv:3: unterminated quoted field/);
  });

  it('with quoting off, quotes are text (GoEmotions TSV) and fields split on every delimiter', () => {
    const records = parseDelimited('"Oh no" she said\t3,14\tid1\r\nsecond\t2\tid2\n', '\t', 'none', 'x.tsv');
    expect(records.map((r) => r.fields)).toEqual([['"Oh no" she said', '3,14', 'id1'], ['second', '2', 'id2']]);
    expect(parseDelimited('a|b||c|', '|', 'none', 'x.psv')[0]?.fields).toEqual(['a', 'b', '', 'c', '']);
  });

  it('rejects multi-character delimiters', () => {
    expect(() => parseDelimited('a', '::', 'none', 'x')).toThrow(/one character/);
  });
});

describe('parseJsonLines', () => {
  it('parses objects, skips blank lines, and marks broken or non-object lines with their line', () => {
    const records = parseJsonLines('{"text": "a \\"quoted\\" word", "label": "joy"}\n\n{"text": broken}\n[1,2]\n{"text":"é"}');
    expect(records.map((r) => r.line)).toEqual([1, 3, 4, 5]);
    expect(records[0]?.value).toEqual({ text: 'a "quoted" word', label: 'joy' });
    expect(records[1]?.problem).toMatch(/invalid JSON/);
    expect(records[2]?.problem).toMatch(/not an object/);
    expect(records[3]?.value).toEqual({ text: 'é' });
  });
});
