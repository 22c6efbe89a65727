// Test helpers for code that reads files and the real corpora.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError, type CarlError, type CarlErrorCode } from '../errors';

declare const describe: { (name: string, body: () => void): void; skip: (name: string, body: () => void) => void };
declare const it: (name: string, fn: () => unknown) => void;

/**
 * Writes `files` (relative path → text or bytes) under a fresh temporary folder and returns it.
 *
 * @example
 * ```ts
 * const dir = tmpTree({ 'emobank/emobank.csv': 'id,split,V,A,D,text\n' });
 * ```
 */
export function tmpTree(files: Record<string, string | Uint8Array>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-test-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

/** The repository root (this file lives in packages/core/{src,dist}/testing). */
const repoRoot = path.resolve(__dirname, '../../../..');

/**
 * The folder of shared fixtures and corpora: `$CARL_SHARED_DIR`, else `<repo>/../shared` when it exists.
 *
 * @example
 * ```ts
 * const fixture = sharedDir() && path.join(sharedDir()!, 'fixtures/tiny-bert');
 * ```
 */
export function sharedDir(): string | undefined {
  const fromEnv = process.env['CARL_SHARED_DIR'];
  if (fromEnv !== undefined && fromEnv !== '' && fs.existsSync(fromEnv)) return fromEnv;
  const fallback = path.resolve(repoRoot, '../shared');
  return fs.existsSync(fallback) ? fallback : undefined;
}

/**
 * The real corpora: `$CARL_DATA_DIR`, else `<repo>/../shared/data` when it exists, else undefined.
 *
 * @example
 * ```ts
 * const dir = realDataDir(); // e.g. '/work/shared/data'
 * ```
 */
export function realDataDir(): string | undefined {
  const fromEnv = process.env['CARL_DATA_DIR'];
  if (fromEnv !== undefined && fromEnv !== '' && fs.existsSync(fromEnv)) return fromEnv;
  const shared = sharedDir();
  const fallback = shared === undefined ? undefined : path.join(shared, 'data');
  return fallback !== undefined && fs.existsSync(fallback) ? fallback : undefined;
}

/**
 * `describe` when the real corpora are there, otherwise a skipped block whose title says why.
 *
 * @example
 * ```ts
 * describeWithData('EmoBank sizes', (dataDir) => { it('has 10,062 rows', async () => { ... }); });
 * ```
 */
export function describeWithData(name: string, body: (dataDir: string) => void): void {
  const dir = realDataDir();
  if (dir === undefined) {
    describe.skip(`${name} (skipped: set CARL_DATA_DIR to the folder of real corpora)`, () => {
      it('needs real data', () => undefined);
    });
    return;
  }
  describe(name, () => body(dir));
}

/**
 * Runs `fn` (sync or async) with environment variables temporarily set (`undefined` = unset).
 *
 * @example
 * ```ts
 * await withEnv({ CARL_DATA_DIR: undefined }, () => resolveDataset('emobank'));
 * ```
 */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    apply(saved);
    throw error;
  }
  // For async callbacks, restore only once the promise settles.
  if (result instanceof Promise) return result.finally(() => apply(saved)) as T;
  apply(saved);
  return result;
}

/**
 * Awaits `promise` and returns the `CarlError` it rejects with, checking its code and message.
 *
 * @example
 * ```ts
 * const e = await expectCarlError(loadTable({ file }), 'INVALID_DATA', /line 3/);
 * ```
 */
export async function expectCarlError(promise: Promise<unknown>, code: CarlErrorCode, message?: RegExp): Promise<CarlError> {
  let outcome: unknown;
  try {
    await promise;
  } catch (error) {
    outcome = error;
  }
  if (outcome === undefined) throw new Error(`expected a CarlError ${code}, but nothing was thrown`);
  if (!isCarlError(outcome, code)) throw new Error(`expected a CarlError ${code}, got ${String(outcome)}`);
  if (message !== undefined && !message.test(outcome.message)) throw new Error(`error message "${outcome.message}" does not match ${String(message)}`);
  return outcome;
}
