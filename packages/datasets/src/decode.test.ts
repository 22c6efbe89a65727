import { decodeText } from './decode';
import { RowIssues } from './report';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('decodeText', () => {
  it('decodes UTF-8 and drops a byte-order mark', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8('naïve,ok\n')]);
    expect(decodeText(bytes, 'utf-8', 'f', new RowIssues(false)).text).toBe('naïve,ok\n');
  });

  it('throws on invalid UTF-8, naming the file, line and offending byte, and suggests an encoding', () => {
    // Line 2 holds a lone Latin-1 "é" (0xE9), as in MR's files.
    const bytes = new Uint8Array([...utf8('fine\ncaf'), 0xe9, ...utf8(' au lait\nok\n')]);
    expect(() => decodeText(bytes, 'utf-8', 'mr.txt', new RowIssues(false))).toThrow(/mr\.txt:2: invalid UTF-8 byte 0xe9 at byte 4 of the line; .*windows-1252/);
  });

  it('rejects truncated and overlong sequences too', () => {
    expect(() => decodeText(new Uint8Array([0x61, 0xe2, 0x82]), 'utf-8', 'f', new RowIssues(false))).toThrow(/byte 0xe2 at byte 2/);
    expect(() => decodeText(new Uint8Array([0xc0, 0xaf]), 'utf-8', 'f', new RowIssues(false))).toThrow(/byte 0xc0 at byte 1/);
  });

  it('in skip mode, blanks the bad lines and reports them', () => {
    const issues = new RowIssues(true);
    const bytes = new Uint8Array([...utf8('a\n'), 0xff, ...utf8('b\nc\n')]);
    const decoded = decodeText(bytes, 'utf-8', 'f', issues);
    expect(decoded.text).toBe('a\n\nc\n');
    expect([...decoded.badLines]).toEqual([2]);
    expect(issues.skipped).toEqual([expect.objectContaining({ file: 'f', line: 2, reason: 'undecodable' })]);
  });

  it('distinguishes ISO-8859-1 from Windows-1252 in the 0x80–0x9F range', () => {
    const bytes = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x96, 0x20, 0x93, 0x78, 0x94]);
    expect(decodeText(bytes, 'windows-1252', 'f', new RowIssues(false)).text).toBe('café – “x”');
    expect(decodeText(bytes, 'latin1', 'f', new RowIssues(false)).text).toBe('café \u0096 \u0093x\u0094');
  });

  it('rejects an unknown encoding name', () => {
    expect(() => decodeText(utf8('x'), 'utf-16' as 'utf-8', 'f', new RowIssues(false))).toThrow(/unknown encoding/);
  });
});
