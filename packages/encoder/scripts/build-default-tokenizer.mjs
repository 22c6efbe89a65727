// Rebuilds assets/wordpiece-8k/ (the tokenizer bundled for the tiny and mini presets) with this
// package's deterministic trainer: same corpus → byte-identical vocabulary.
// Corpus: the TRAINING splits only of EmoBank (emobank.csv, split == train) and GoEmotions
// (original/train.tsv) from $CARL_DATA_DIR (default ../shared/data). No test or dev text is read.
// Usage (from the repo root):
//   npx tsc -p packages/encoder/tsconfig.build.json && node packages/encoder/scripts/build-default-tokenizer.mjs
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { trainWordPiece } = require('../dist/index.js');

const dataDir = process.env.CARL_DATA_DIR ?? path.resolve(here, '..', '..', '..', '..', 'shared', 'data');
const out = path.resolve(here, '..', 'assets', 'wordpiece-8k');

function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (ch === '"') quoted = false; else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field); rows.push(row); row = []; field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

const [header, ...rows] = parseCsv(fs.readFileSync(path.join(dataDir, 'emobank', 'emobank.csv'), 'utf8'));
const emobank = rows.filter((r) => r[header.indexOf('split')] === 'train').map((r) => r[header.indexOf('text')]);
const goemotions = fs.readFileSync(path.join(dataDir, 'goemotions', 'original', 'train.tsv'), 'utf8')
  .split('\n').filter((l) => l !== '').map((l) => l.split('\t')[0]);
const texts = [...emobank, ...goemotions];
const t0 = Date.now();
const tokenizer = trainWordPiece(texts, { vocabSize: 8000, minFrequency: 2, lowercase: true });
fs.mkdirSync(out, { recursive: true });
tokenizer.save(out);
console.log(JSON.stringify({ texts: texts.length, emobank: emobank.length, goemotions: goemotions.length, vocab: tokenizer.vocabSize, ms: Date.now() - t0, out }));
