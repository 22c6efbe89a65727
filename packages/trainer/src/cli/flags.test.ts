import { DEFAULT_CONFIG } from '../config';
import { configFlagSpecs, fromFlagName, optionOfFlag, parseConfigFlags, toFlagName } from './flags';
import { errorOf } from '../__fixtures__/errors';

describe('the flag codec of carl train', () => {
  it('maps keys to kebab-case flags and back', () => {
    for (const key of Object.keys(DEFAULT_CONFIG)) expect(fromFlagName(toFlagName(key))).toBe(key);
    expect(toFlagName('ptdPositiveWeight')).toBe('ptd-positive-weight');
  });

  it('parses flag strings by each option’s kind', () => {
    expect(
      parseConfigFlags({ 'batch-size': '16', data: ['emobank,fb-valence-arousal'], 'drop-last': true, 'axis-weights': '1,0.5', init: 'none', 'learning-rate': '3e-5' }),
    ).toEqual({ batchSize: 16, data: ['emobank', 'fb-valence-arousal'], dropLast: true, axisWeights: [1, 0.5], init: null, learningRate: 3e-5 });
  });

  it('names the flag in errors', () => {
    const error = errorOf(() => parseConfigFlags({ 'batch-size': 'sixteen' }));
    expect(error.field).toBe('--batch-size');
    expect(error.message).toMatch(/must be an integer, got "sixteen"/);
    expect(errorOf(() => parseConfigFlags({ 'batch-sise': '3' })).message).toMatch(/did you mean --batch-size/);
  });

  it('gives every option of the table a documented flag (and --no- for booleans)', () => {
    const specs = configFlagSpecs();
    for (const key of Object.keys(DEFAULT_CONFIG)) expect(specs[toFlagName(key)]?.doc).toMatch(/\(default: /);
    expect(specs['no-drop-last']).toEqual({ type: 'boolean', doc: 'Set drop-last to false.' });
    expect(specs['batch-size']).toMatchObject({ type: 'string', value: 'N' });
    expect(optionOfFlag('no-drop-last')?.group).toBe('data');
    expect(optionOfFlag('out')).toBeUndefined();
  });
});
