import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkStartSteps, modelName, parseModelName } from './repro-common';

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

describe('checkStartSteps', () => {
  it('refuses a cached start pre-trained for another number of steps, naming the folder and both counts', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-start-'));
    try {
      // Not built yet: nothing to compare.
      expect(() => checkStartSteps(dir, 6000)).not.toThrow();
      fs.writeFileSync(path.join(dir, 'mlm-losses.json'), JSON.stringify([7.1, 6.9, 6.4]));
      expect(() => checkStartSteps(dir, 3)).not.toThrow();
      expect(() => checkStartSteps(dir, 6)).toThrow(`${dir} was pre-trained for 3 MLM steps, but this run asks for 6`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
