import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TEXTS, saliencyHeatmap } from './index';
import { trainTinyModel } from '@carl/trainer/testing';

describe('saliency heat map (smoke, tiny model)', () => {
  it('explains every token and writes HTML and SVG', async () => {
    const model = await trainTinyModel();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-heatmap-'));
    const out = path.join(dir, 'heatmap');
    const { explanations } = await saliencyHeatmap({ model: model.dir, out, target: 'arousal' });
    expect(explanations.map((e) => e.text)).toEqual(DEFAULT_TEXTS);
    for (const e of explanations) {
      const real = e.tokens.filter((t) => !t.special);
      expect(real.length).toBeGreaterThan(3);
      expect(real.every((t) => Number.isFinite(t.attribution))).toBe(true);
    }
    const page = fs.readFileSync(`${out}.html`, 'utf8');
    expect(page).toMatch(/^<!doctype html>.*<meta charset="utf-8">.*red raises it.*<span/s);
    expect(page).toMatch(/arousal <b>[+−]\d\.\d{3}<\/b>/); // the predicted values beside each sentence
    expect(fs.readFileSync(`${out}.svg`, 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    model.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
   }, 120_000);
});
