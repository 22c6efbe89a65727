import { modelName, parseModelName } from './repro-common';

describe('report row names', () => {
  it('names a base-preset row by its method and a larger preset row with the preset in brackets', () => {
    expect(modelName('carl', 'tiny', 'tiny')).toBe('carl');
    expect(modelName('carl-no-ptd', 'mini', 'tiny')).toBe('carl-no-ptd (mini)');
  });

  it('parses back what it names, hyphens and all', () => {
    for (const [method, preset] of [['carl', 'tiny'], ['mse-regression', 'mini'], ['tfidf', 'tiny'], ['carl-discrete', 'bert-base']] as const) {
      const parsed = parseModelName(modelName(method, preset, 'tiny'));
      expect(parsed).toEqual(preset === 'tiny' ? { method } : { method, preset });
    }
  });

  it('takes only a trailing bracket as the preset', () => {
    expect(parseModelName('a (b) c')).toEqual({ method: 'a (b) c' });
    expect(parseModelName('none')).toEqual({ method: 'none' });
  });
});
