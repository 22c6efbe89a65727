import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeWithData } from '@carl/core/testing';
import { formatDemoTable, missingDependencies, runDemo, type DemoRow } from './index';

describe('demo prerequisites and table', () => {
  it('finds every dependency of the demo in this repository', () => {
    expect(missingDependencies()).toEqual([]);
  });

  it('says exactly what is missing', () => {
    const fake = (name: string): unknown => {
      if (name === '@carl/encoder') throw new Error("Cannot find module '@carl/encoder'\nRequire stack: …");
      if (name === '@carl/eval-benchmarks') return { evaluate: () => undefined };
      return require(name);
    };
    expect(missingDependencies(fake)).toEqual([
      "@carl/encoder: cannot be loaded (Cannot find module '@carl/encoder'); run `npm run build` (and `npm install` if it is not linked)",
      '@carl/eval-benchmarks: does not export fitRidge yet',
    ]);
  });

  it('prints an aligned table with a dash for the untrained row’s time', () => {
    const row = (method: string, steps: number, v: number, a: number): DemoRow => ({
      method,
      steps,
      seconds: 125,
      finalLoss: null,
      valence: { pearson: v, rmse: 0.16 },
      arousal: { pearson: a, rmse: 0.12 },
    });
    const table = formatDemoTable([row('untrained', 0, 0.2, 0.3), row('carl', 250, 0.45678, 0.3)], 1000, (s) => `${s}s`).split('\n');
    expect(table[0]).toMatch(/^EmoBank test \(1000 sentences\)/);
    expect(table[1]).toBe('method     steps  time  valence r  arousal r  valence RMSE  arousal RMSE');
    expect(table[3]).toBe('untrained      0     –      0.200      0.300         0.160         0.120');
    expect(table[4]).toBe('carl         250  125s      0.457      0.300         0.160         0.120');
  });
});

describeWithData('runDemo (tiny budget)', (dataDir) => {
  it('trains the baseline and CARL on the same budget and scores both on the EmoBank test split', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-demo-'));
    let printed = '';
    const rows = await runDemo({
      steps: 2,
      maxExamples: 48,
      evalRows: 120,
      untrained: false,
      out,
      dataDir,
      stdout: { write: (c: string) => (printed += c) },
      stderr: { write: () => true, isTTY: false },
    });
    expect(rows.map((r) => [r.method, r.steps])).toEqual([
      ['mse-regression', 2],
      ['carl', 2],
    ]);
    for (const r of rows) {
      expect(r.valence.pearson).toBeGreaterThanOrEqual(-1);
      expect(r.valence.pearson).toBeLessThanOrEqual(1);
      expect(r.arousal.rmse).toBeGreaterThan(0);
    }
    expect(printed).toMatch(/mse-regression +2 /);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'))).toMatchObject({ steps: 2, rows: [{ method: 'mse-regression' }, { method: 'carl' }] });
    fs.rmSync(out, { recursive: true, force: true });
  }, 300_000);
});
