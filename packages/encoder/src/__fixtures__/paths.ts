// Test-only helpers: where the shared fixtures and corpora live, and small file utilities.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..', '..', '..');

/** `$CARL_SHARED_DIR`, else `<repo>/../shared` (CI puts a copy of shared/ beside the clone). */
export const sharedDir = process.env['CARL_SHARED_DIR'] ?? path.resolve(repoRoot, '..', 'shared');

/** The tiny random BERT checkpoint with PyTorch reference outputs, or undefined when absent. */
export const tinyBertDir: string | undefined = fs.existsSync(path.join(sharedDir, 'fixtures', 'tiny-bert', 'expected.json'))
  ? path.join(sharedDir, 'fixtures', 'tiny-bert')
  : undefined;

/** `$CARL_DATA_DIR`, else `<repo>/../shared/data` when it exists. */
export const dataDir: string | undefined =
  process.env['CARL_DATA_DIR'] ?? (fs.existsSync(path.resolve(repoRoot, '..', 'shared', 'data')) ? path.resolve(repoRoot, '..', 'shared', 'data') : undefined);

const created: string[] = [];
// Registered when a test file imports this module: every folder made by tempDir goes when the file is done.
afterAll(() => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh temporary folder, removed after the test file. */
export function tempDir(prefix = 'carl-encoder-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** A describe that skips itself, with the reason in its name, when `reason` is set. */
export function describeIf(reason: string | undefined): jest.Describe {
  if (reason === undefined) return describe;
  const skip = ((name: string, fn: () => void) => describe.skip(`${name} (skipped: ${reason})`, fn)) as unknown as jest.Describe;
  return skip;
}

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
