import * as fs from 'node:fs/promises';
import { CarlError } from '@carl/core';
import type { RowIssues } from './report';

/**
 * Text encodings the corpora really use. `latin1` is ISO-8859-1 byte-for-byte; `windows-1252` is
 * the same except that bytes 0x80–0x9F are typographic characters (the en/em dashes and curly
 * quotes in MR and SUBJ), which ISO-8859-1 would turn into invisible control characters.
 */
export type TextEncoding = 'utf-8' | 'latin1' | 'windows-1252';

/** Decoded text plus the 1-based lines whose bytes could not be decoded (blanked out). */
export interface DecodedText {
  readonly text: string;
  readonly badLines: ReadonlySet<number>;
}

// Windows-1252 bytes 0x80–0x9F; the five unassigned ones map to the C1 code point, as in the WHATWG table.
const CP1252_HIGH: readonly string[] = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
].map((code) => String.fromCharCode(code));

/** Reads a file, naming it when it cannot be read. */
export async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new CarlError('NOT_FOUND', `cannot read file: ${(error as Error).message}`, { file }, { cause: error });
  }
}

/**
 * Decodes `bytes`. UTF-8 is decoded strictly: a malformed sequence is an `undecodable` row problem on
 * its line (the message suggests the single-byte encodings), never a silent U+FFFD. A UTF-8 BOM is
 * dropped. In skip mode the bad lines are blanked and returned in `badLines`.
 */
export function decodeText(bytes: Uint8Array, encoding: TextEncoding, file: string, issues: RowIssues): DecodedText {
  if (encoding === 'latin1') return { text: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1'), badLines: new Set() };
  if (encoding === 'windows-1252') {
    // Not TextDecoder: Node's 'windows-1252' decoder (up to at least v20) is plain ISO-8859-1.
    const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return { text: latin1.replace(/[\u0080-\u009f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80] as string), badLines: new Set() };
  }
  if (encoding !== 'utf-8') throw new CarlError('INVALID_ARGUMENT', `unknown encoding "${String(encoding)}" (use utf-8, latin1 or windows-1252)`, { file, field: 'encoding' });
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), badLines: new Set() };
  } catch {
    // Slow path only on failure: find the offending lines so the error can name them.
    const strict = new TextDecoder('utf-8', { fatal: true });
    const lines: string[] = [];
    const badLines = new Set<number>();
    let start = 0;
    let line = 1;
    for (let i = 0; i <= body.length; i++) {
      if (i < body.length && body[i] !== 0x0a) continue;
      const chunk = body.subarray(start, i);
      try {
        lines.push(strict.decode(chunk));
      } catch {
        const offset = firstInvalidByte(chunk);
        issues.fail('undecodable', `invalid UTF-8 byte 0x${(chunk[offset] ?? 0).toString(16).padStart(2, '0')} at byte ${offset + 1} of the line; if the file is Latin-1 or Windows-1252, pass encoding: 'latin1' or 'windows-1252' in code, or convert it first (iconv -f windows-1252 -t utf-8)`, { file, line });
        badLines.add(line);
        lines.push('');
      }
      start = i + 1;
      line++;
    }
    return { text: lines.join('\n'), badLines };
  }
}

function firstInvalidByte(chunk: Uint8Array): number {
  // A minimal UTF-8 validator (lead byte, continuation count, overlong/surrogate ranges) to point
  // at the first bad byte; only called on lines TextDecoder already rejected.
  let i = 0;
  while (i < chunk.length) {
    const b = chunk[i] as number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = chunk[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return chunk.length;
}
