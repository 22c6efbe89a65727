// Test helpers for code that reads files and the real corpora.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isCarlError, type CarlError, type CarlErrorCode } from '../errors';

declare const describe: { (name: string, body: () => void): void; skip: (name: string, body: () => void) => void };
declare const it: (name: string, fn: () => unknown) => void;

const created: string[] = [];
const removeCreated = (): void => {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
};
// Under jest (or vitest with globals) the folders go when the test file is done: the hook is registered when the
// file imports this module; elsewhere, when the process exits.
declare const afterAll: ((fn: () => void) => void) | undefined;
if (typeof afterAll === 'function') afterAll(removeCreated);
else process.once('exit', removeCreated);

/**
 * A fresh, empty temporary folder, removed after the test file (or when the process exits).
 *
 * @example
 * ```ts
 * const out = tempDir(); // e.g. /tmp/carl-test-Xa81Qz
 * ```
 */
export function tempDir(prefix = 'carl-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/**
 * Writes `files` (relative path → text or bytes) under a fresh {@link tempDir} and returns it.
 *
 * @example
 * ```ts
 * const dir = tmpTree({ 'emobank/emobank.csv': 'id,split,V,A,D,text\n' });
 * ```
 */
export function tmpTree(files: Record<string, string | Uint8Array>): string {
  const root = tempDir();
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
  // CI keeps a copy of the corpora in shared/data beside the clone.
  const fallback = path.resolve(repoRoot, '../shared/data');
  return fs.existsSync(fallback) ? fallback : undefined;
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

/** What a `CarlError` must say besides its code: a message pattern and/or the field it names. */
export interface CarlErrorExpectation {
  readonly message?: RegExp;
  /** `location.field`, exactly. */
  readonly field?: string;
}

/**
 * Runs `action` (a function, or a promise to await) and returns the `CarlError` it throws (rejects with),
 * checking its code (any code when `undefined`) and its message (a RegExp) or `{ message?, field? }`.
 *
 * @example
 * ```ts
 * const e = await expectCarlError(loadTable({ file }), 'INVALID_DATA', /line 3/);
 * expectCarlError(() => infoNCE({ queries, keys, temperature: 0 }), 'INVALID_ARGUMENT', { field: 'temperature' });
 * ```
 */
export function expectCarlError(action: () => unknown, code: CarlErrorCode | undefined, expected?: RegExp | CarlErrorExpectation): CarlError;
export function expectCarlError(action: Promise<unknown>, code: CarlErrorCode | undefined, expected?: RegExp | CarlErrorExpectation): Promise<CarlError>;
export function expectCarlError(action: Promise<unknown> | (() => unknown), code: CarlErrorCode | undefined, expected?: RegExp | CarlErrorExpectation): CarlError | Promise<CarlError> {
  if (typeof action === 'function') {
    let thrown: unknown = NOTHING;
    try {
      action();
    } catch (error) {
      thrown = error;
    }
    return checkCarlError(thrown, code, expected);
  }
  return action.then(
    () => checkCarlError(NOTHING, code, expected),
    (error: unknown) => checkCarlError(error, code, expected),
  );
}

const NOTHING = Symbol('nothing thrown');

function checkCarlError(outcome: unknown, code: CarlErrorCode | undefined, expected: RegExp | CarlErrorExpectation | undefined): CarlError {
  const want = code ?? 'any code';
  if (outcome === NOTHING) throw new Error(`expected a CarlError (${want}), but nothing was thrown`);
  if (!isCarlError(outcome) || (code !== undefined && outcome.code !== code)) throw new Error(`expected a CarlError (${want}), got ${String(outcome)}`);
  const { message, field } = expected instanceof RegExp ? { message: expected, field: undefined } : (expected ?? {});
  if (message !== undefined && !message.test(outcome.message)) throw new Error(`error message "${outcome.message}" does not match ${String(message)}`);
  if (field !== undefined && outcome.location.field !== field) throw new Error(`expected the error to name field "${field}", it names ${JSON.stringify(outcome.location.field)} ("${outcome.message}")`);
  return outcome;
}
