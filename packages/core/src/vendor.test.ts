import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

describe('vendored tfjs gradients', () => {
  it('match a fresh bundle of the installed @tensorflow/tfjs-core', () => {
    const script = path.join(__dirname, '..', 'scripts', 'bundle-gradients.mjs');
    expect(execFileSync(process.execPath, [script, '--check'], { encoding: 'utf8' })).toMatch(/up to date/);
  });
});
