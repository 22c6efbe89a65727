// Test-only helpers: where the fixtures and corpora live, and small file utilities.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { realDataDir } from '@carl/core/testing';

/**
 * The tiny random BERT checkpoint with PyTorch reference outputs (a copy of shared/fixtures/tiny-bert: random
 * weights and a synthetic vocabulary, 52 kB), kept in the repository so `npm test` needs nothing beside the clone.
 */
export const tinyBertDir: string = path.join(__dirname, 'tiny-bert');

/** `$CARL_DATA_DIR`, else `<repo>/../shared/data` when it exists (undefined: data tests skip). */
export const dataDir: string | undefined = realDataDir();

// A fresh temporary folder, removed when the test process exits.
export { tempDir } from '@carl/core/testing';

/** Minimal RFC-4180 CSV parser (quotes, doubled quotes, commas and newlines inside quotes). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** EmoBank sentences of one split (`train`, `dev`, `test`), or undefined without the corpus. */
export function emobankTexts(split: 'train' | 'dev'): string[] | undefined {
  if (dataDir === undefined) return undefined;
  const file = path.join(dataDir, 'emobank', 'emobank.csv');
  if (!fs.existsSync(file)) return undefined;
  const [header, ...rows] = parseCsv(fs.readFileSync(file, 'utf8'));
  const splitCol = (header as string[]).indexOf('split');
  const textCol = (header as string[]).indexOf('text');
  return rows.filter((r) => r[splitCol] === split).map((r) => r[textCol] as string);
}
