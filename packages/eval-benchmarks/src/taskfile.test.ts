import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError } from '@carl/core';
import { loadTaskFile, taskFromEntry } from './taskfile';
import { runTask } from './tasks';

const FIXTURES = path.join(__dirname, '__fixtures__', 'taskfile');

/** A deterministic bag-of-characters embedding: enough signal for a probe on toy data. */
const charEmbed = (texts: readonly string[]): number[][] =>
  texts.map((t) => {
    const v = new Array<number>(8).fill(0);
    for (const ch of t.toLowerCase()) v[ch.charCodeAt(0) % 8] = (v[ch.charCodeAt(0) % 8] as number) + 1;
    return v.map((x) => x / Math.max(1, t.length));
  });

function expectConfigError(fn: () => unknown, field: string | undefined, message?: RegExp, line?: number): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isCarlError(caught)).toBe(true);
  if (!isCarlError(caught)) return;
  expect(caught.code).toBe('INVALID_CONFIG');
  expect(caught.location.field).toBe(field);
  if (message !== undefined) expect(caught.message).toMatch(message);
  if (line !== undefined) expect(caught.location.line).toBe(line);
}

describe('loadTaskFile', () => {
  it('reads a task list with a VA task (split column, two annotators) and a class task (k-fold)', async () => {
    const [posts, tweets] = loadTaskFile(path.join(FIXTURES, 'tasks.json'));
    expect(posts).toMatchObject({ name: 'fb-style-posts', kind: 'va', split: { type: 'official' }, description: 'toy posts with two annotators' });
    expect(tweets).toMatchObject({ name: 'toy-tweets', kind: 'classification', split: { type: 'kfold', k: 2 } });

    const rows = await posts?.load({});
    expect(rows?.train).toHaveLength(8);
    expect(rows?.test).toHaveLength(4);
    // p1: valence mean(8, 9) = 8.5 on 1–9 → (8.5 − 1)/4 − 1 = 0.875; arousal mean(6, 7) = 6.5 → 0.375
    expect(rows?.train[0]).toMatchObject({ id: 'p1', text: 'I love this, truly', va: { valence: 0.875, arousal: 0.375 } });
    expect(rows?.train[2]?.text).toBe('He said "never again"');

    const result = await runTask(posts as NonNullable<typeof posts>, charEmbed, { keepPredictions: true, ridge: { alphas: [1] } });
    if (result.kind !== 'va') throw new Error('kind');
    expect(result.protocol).toMatchObject({ train: 8, test: 4 });
    expect(result.predictions?.ids).toEqual(['p9', 'p10', 'p11', 'p12']);
    expect(result.predictions?.truth[1]).toEqual([0, -0.625]); // p10: V (5,5) → 0, A (2,3) → 2.5 → −0.625

    const cls = await runTask(tweets as NonNullable<typeof tweets>, charEmbed, { logistic: { l2: 0.1, folds: 2 } });
    if (cls.kind !== 'classification') throw new Error('kind');
    expect(cls.labels).toEqual(['fear', 'joy']);
    expect(cls.protocol).toMatchObject({ split: 'kfold', folds: 2, train: 4, test: 4 });
  });

  describe('bad files', () => {
    let dir: string;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-taskfile-'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, content: unknown): string => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return file;
    };
    const base = { name: 't', file: path.join(FIXTURES, 'tweets.jsonl'), textColumn: 'text', labelColumn: 'emotion', split: { type: 'kfold', k: 2 } };

    it('points at the line of a JSON syntax error', () => {
      const file = write('syntax.json', '{\n  "name": "t",\n  "file": "x.csv",\n}\n');
      expectConfigError(() => loadTaskFile(file), undefined, /not valid JSON/, 4);
    });

    it('names the field of each semantic error', () => {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ ...base, textcolumn: 'text' }, 'textcolumn', /did you mean "textColumn"/],
        [{ ...base, split: undefined }, 'split', /required/],
        [{ ...base, split: { type: 'kfold', k: 1 } }, 'split.k', /k must be an integer/],
        [{ ...base, split: { type: 'holdout', testFraction: 1.5 } }, 'split.testFraction', /\(0, 1\)/],
        [{ ...base, split: { type: 'official' } }, 'split.type', /"column"/],
        [{ ...base, split: { type: 'random' } }, 'split.type', /unknown split type/],
        [{ ...base, file: 'missing.csv' }, 'file', /not found/],
        [{ ...base, labelColumn: undefined }, 'va', /give "va"/],
        [{ ...base, va: { valence: 'v', arousal: 'a', scale: 'sam-1-5' } }, 'kind', /both/],
        [{ ...base, labelColumn: undefined, va: { valence: 'v', arousal: 'a', scale: { min: 5, max: 1 } } }, 'va.scale', /min" < "max/],
        [{ ...base, labelColumn: undefined, va: { valence: 'v', arousal: 'a', scale: 'percent' } }, 'va.scale', /unknown scale/],
        [{ ...base, labelColumn: undefined, va: { valence: 'v', scale: 'unit' } }, 'va.arousal', /required/],
        [{ ...base, kind: 'va' }, 'va', /needs "va"/],
        [{ ...base, textColumn: -1 }, 'textColumn', /header name or a 0-based index/],
        [{ ...base, format: 'xlsx' }, 'format', /csv, tsv, psv, jsonl/],
      ];
      cases.forEach(([entry, field, message], i) => {
        const file = write(`case${i}.json`, entry);
        expectConfigError(() => loadTaskFile(file), field, message);
      });
    });

    it('prefixes fields with the task position in a list, and rejects duplicate names', () => {
      const list = write('list.json', [base, { ...base, name: 'u', split: { type: 'kfold', k: 0 } }]);
      expectConfigError(() => loadTaskFile(list), '[1].split.k');
      const dup = write('dup.json', { tasks: [base, base] });
      expectConfigError(() => loadTaskFile(dup), 'tasks[1].name', /used twice/);
      expectConfigError(() => loadTaskFile(write('empty.json', [])), undefined, /no task/);
    });

    it('reports a missing task file as NOT_FOUND with its path', () => {
      let caught: unknown;
      try {
        loadTaskFile(path.join(dir, 'nope.json'));
      } catch (e) {
        caught = e;
      }
      expect(isCarlError(caught, 'NOT_FOUND')).toBe(true);
      expect(isCarlError(caught) && caught.location.file).toBe(path.join(dir, 'nope.json'));
    });

    it('resolves data files relative to the task file', () => {
      fs.copyFileSync(path.join(FIXTURES, 'tweets.jsonl'), path.join(dir, 'local.jsonl'));
      const [spec] = loadTaskFile(write('relative.json', { ...base, file: 'local.jsonl' }));
      expect(spec?.name).toBe('t');
      expect(() => taskFromEntry({ ...base, file: 'local.jsonl' }, os.tmpdir())).toThrow(/not found/);
    });
  });
});
