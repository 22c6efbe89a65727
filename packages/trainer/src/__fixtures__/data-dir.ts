import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The corpora folder for tests that need real data: `$CARL_DATA_DIR`, else `../shared/data` beside the
 * repository when it holds EmoBank; undefined (tests skip with a message) otherwise.
 */
export function testDataDir(): string | undefined {
  const env = process.env['CARL_DATA_DIR'];
  if (env !== undefined && env !== '') return env;
  const shared = path.resolve(__dirname, '..', '..', '..', '..', '..', 'shared', 'data');
  return fs.existsSync(path.join(shared, 'emobank')) ? shared : undefined;
}

/** `describe`, or `describe.skip` with a console note saying why. */
export function describeWithData(name: string, body: (dataDir: string) => void): void {
  const dir = testDataDir();
  if (dir === undefined) {
    describe.skip(`${name} (skipped: set CARL_DATA_DIR to a folder holding the corpora)`, () => {
      it('needs the corpora', () => undefined);
    });
    console.warn(`${name}: skipped — CARL_DATA_DIR is not set and ../shared/data has no EmoBank`);
    return;
  }
  describe(name, () => body(dir));
}
