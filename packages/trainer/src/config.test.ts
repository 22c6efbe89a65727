import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CONFIG_OPTIONS,
  DEFAULT_CONFIG,
  changedOptions,
  checkPartialConfig,
  readConfigFile,
  resolveConfig,
} from './config';
import { errorOf } from './__fixtures__/errors';

describe('TrainConfig', () => {
  it('documents and checks every default', () => {
    expect(Object.keys(CONFIG_OPTIONS).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
    // The defaults must pass their own validation.
    expect(resolveConfig(DEFAULT_CONFIG as unknown as Record<string, unknown>)).toEqual(DEFAULT_CONFIG);
    for (const spec of Object.values(CONFIG_OPTIONS)) expect(spec.doc.length).toBeGreaterThan(10);
  });

  it('layers defaults < file < flags', () => {
    const config = resolveConfig({ batchSize: 8, steps: 3 }, { steps: 5 });
    expect(config.batchSize).toBe(8);
    expect(config.steps).toBe(5);
    expect(config.learningRate).toBe(DEFAULT_CONFIG.learningRate);
    expect(changedOptions(config)).toEqual({ batchSize: 8, steps: 5 });
  });

  it.each([
    [{ lerningRate: 0.1 }, 'lerningRate', /unknown option "lerningRate" \(did you mean "learningRate"\?\)/],
    [{ zzzzzzzzzz: 1 }, 'zzzzzzzzzz', /unknown option "zzzzzzzzzz"$/],
    [{ batchSize: 1 }, 'batchSize', /must be an integer ≥ 2 and ≤ 65536, got 1/],
    [{ batchSize: 2.5 }, 'batchSize', /must be an integer ≥ 2/],
    [{ batchSize: '32' }, 'batchSize', /must be an integer, got "32"/],
    [{ learningRate: 0 }, 'learningRate', /must be a number > 0 and ≤ 1, got 0/],
    [{ learningRate: Number.NaN }, 'learningRate', /finite number/],
    [{ method: 'moco' }, 'method', /must be one of carl, carl-no-ptd/],
    [{ dropLast: 'yes' }, 'dropLast', /must be true or false, got "yes"/],
    [{ data: [] }, 'data', /at least 1 item/],
    [{ data: 'emobank' }, 'data', /list of non-empty strings/],
    [{ axisWeights: [1] }, 'axisWeights', /list of 2 finite numbers/],
    [{ axisWeights: [0, 0] }, 'axisWeights', /all zero/],
    [{ init: '' }, 'init', /non-empty string or null/],
    [{ perturbRatio: 1.5 }, 'perturbRatio', /≤ 1, got 1.5/],
    [{ momentum: -0.1 }, 'momentum', /≥ 0/],
  ])('rejects %j naming %s', (input, field, message) => {
    const error = errorOf(() => resolveConfig(input));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });

  it('checks rules between options', () => {
    expect(errorOf(() => resolveConfig({ perturbMin: 3, perturbMax: 2 })).field).toBe('perturbMax');
    expect(errorOf(() => resolveConfig({ momentumSchedule: 'cosine', momentum: 0.99, momentumEnd: 0.9 })).field).toBe('momentumEnd');
    expect(errorOf(() => resolveConfig({ data: ['emobank', 'emobank'] })).message).toMatch(/twice/);
    expect(resolveConfig({ perturbMin: 3, perturbMax: 0 }).perturbMax).toBe(0);
  });

  it('rejects a configuration that is not an object', () => {
    expect(errorOf(() => checkPartialConfig([1, 2])).message).toMatch(/must be a JSON object, got a list/);
    expect(errorOf(() => checkPartialConfig(null)).message).toMatch(/got null/);
  });
});

describe('readConfigFile', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-config-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a JSON file and names file and line of a bad key', () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '{\n  "steps": 10,\n  "temperature": -1\n}\n');
    const error = errorOf(() => readConfigFile(file));
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', file, line: 3, field: 'temperature' });
    expect(error.message).toBe(`${file}:3 [temperature]: must be a number > 0 and ≤ 10, got -1`);
  });

  it('explains JSON syntax errors and missing files', () => {
    const file = path.join(dir, 'syntax.json');
    fs.writeFileSync(file, '{\n  "steps": 10,\n  oops\n}\n');
    const error = errorOf(() => readConfigFile(file));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/not valid JSON/);
    expect(error.line).toBe(3);
    expect(errorOf(() => readConfigFile(path.join(dir, 'none.json'))).code).toBe('NOT_FOUND');
  });

  it('feeds resolveConfig with its source', () => {
    const file = path.join(dir, 'good.json');
    fs.writeFileSync(file, JSON.stringify({ method: 'simcse', data: ['emobank'] }));
    const config = resolveConfig(readConfigFile(file), { steps: 4 });
    expect(config).toMatchObject({ method: 'simcse', data: ['emobank'], steps: 4 });
  });
});
