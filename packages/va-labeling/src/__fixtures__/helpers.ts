// Test-only helpers (excluded from the build).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Writes `files` (relative path → text or bytes) under a fresh temporary folder and returns it. */
export function tmpTree(files: Record<string, string | Uint8Array>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-va-'));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

/**
 * The real corpora: `$CARL_DATA_DIR`, else `<repo>/../shared/data` when it exists, else undefined
 * (tests that need them then skip with a message).
 */
export function realDataDir(): string | undefined {
  const fromEnv = process.env.CARL_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '' && fs.existsSync(fromEnv)) return fromEnv;
  const fallback = path.resolve(__dirname, '../../../..', '../shared/data');
  return fs.existsSync(fallback) ? fallback : undefined;
}

/** `describe` when the real data is there, otherwise a skipped block that says why. */
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

/** Runs `fn` (sync or async) with environment variables temporarily set (undefined = unset). */
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
