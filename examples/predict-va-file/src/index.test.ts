import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { predictFile } from './index';
import { trainTinyModel } from '@carl/trainer/testing';

describe('predict VA for a file (smoke, tiny model)', () => {
  it('writes one CSV row per input text, on the requested scale', async () => {
    const model = await trainTinyModel();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-predict-'));
    const input = path.join(dir, 'posts.csv');
    fs.writeFileSync(input, 'id,body\np1,"What a wonderful, happy day"\np2,I am furious\n');
    const out = path.join(dir, 'va.csv');
    const n = await predictFile({ model: model.dir, input, textColumn: 'body', idColumn: 'id', out, scale: '1-9' });
    expect(n).toBe(2);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('id,text,valence,arousal');
    expect(lines[1]).toMatch(/^p1,"What a wonderful, happy day",\d\.\d{4},\d\.\d{4}$/);
    for (const line of lines.slice(1)) {
      const [v, a] = line.split(',').slice(-2).map(Number);
      expect(v).toBeGreaterThanOrEqual(1);
      expect(v).toBeLessThanOrEqual(9);
      expect(a).toBeGreaterThanOrEqual(1);
      expect(a).toBeLessThanOrEqual(9);
    }
    model.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
   }, 120_000);
});
