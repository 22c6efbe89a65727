import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { STATE_FILE } from './checkpoint';
import { RunInterrupted, abortOnSignals } from './interrupt';
import { LOCK_FILE, acquireRunLock } from './run-dir';

interface Child {
  readonly lines: string[];
  /** Resolves when a stdout line matches. */
  waitFor(pattern: RegExp): Promise<string>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** The training script in a real Node process (signals and exit codes need one). */
function trainInChild(out: string, mode = ''): Child {
  const child = spawn(process.execPath, [path.join(__dirname, '__fixtures__', 'ts-child.cjs'), path.join(__dirname, '__fixtures__', 'interrupt-child.ts'), out, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let buffer = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.pattern.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    lines,
    exit,
    waitFor: (pattern) => {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return Promise.race([
        new Promise<string>((resolve) => waiters.push({ pattern, resolve })),
        exit.then(({ code, signal, stderr: err }) => {
          throw new Error(`child exited (${code ?? signal}) before printing ${pattern}: ${err}`);
        }),
      ]);
    },
    kill: (signal) => child.kill(signal),
  };
}

describe('Ctrl-C in a real process', () => {
  let out: string;
  beforeEach(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-sigint-'));
  });
  afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

  it('a first SIGINT finishes the step, writes a checkpoint and exits 130', async () => {
    const child = trainInChild(out);
    await child.waitFor(/^step 3$/);
    child.kill('SIGINT');
    const { code, signal, stderr } = await child.exit;
    expect({ code, signal }).toEqual({ code: 130, signal: null });
    expect(stderr).not.toMatch(/error/i);
    const result = child.lines.find((l) => l.startsWith('result ')) as string;
    const [, status, step, checkpoint] = result.split(' ');
    expect(status).toBe('interrupted');
    expect(checkpoint).toBe(step);
    expect(Number(step)).toBeGreaterThanOrEqual(3);
    expect(child.lines).toContain('stopping on SIGINT');
    const state = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', `step-${String(step).padStart(8, '0')}`, STATE_FILE), 'utf8')) as { step: number };
    expect(state.step).toBe(Number(step));
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('a second SIGINT ends the process at once, even while it is busy', async () => {
    const child = trainInChild(out, 'hang-on-first');
    await child.waitFor(/^step 2$/);
    child.kill('SIGINT');
    await child.waitFor(/^stopping on SIGINT$/);
    child.kill('SIGINT');
    const { code, signal } = await child.exit;
    // Killed by the signal itself (a shell reports 130): no result line, no checkpoint written.
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGINT' });
    expect(child.lines.some((l) => l.startsWith('result '))).toBe(false);
    expect(fs.existsSync(path.join(out, 'checkpoints'))).toBe(false);
    // The lock of the killed process is stale: the next trainer takes it over.
    expect(fs.existsSync(path.join(out, LOCK_FILE))).toBe(true);
    acquireRunLock(out).release();
  }, 120_000);
});

describe('abortOnSignals', () => {
  it('aborts with a RunInterrupted reason on the first signal and then stops listening', () => {
    const before = process.listenerCount('SIGUSR2');
    const seen: string[] = [];
    const stop = abortOnSignals({ signals: ['SIGUSR2'], onFirst: (s) => seen.push(s) });
    expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(stop.signal.aborted).toBe(true);
    expect(stop.signal.reason).toBeInstanceOf(RunInterrupted);
    expect((stop.signal.reason as RunInterrupted).signal).toBe('SIGUSR2');
    expect(seen).toEqual(['SIGUSR2']);
    expect(process.listenerCount('SIGUSR2')).toBe(before);
    stop.dispose();
  });
});
