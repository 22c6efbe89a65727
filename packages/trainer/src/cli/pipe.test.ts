// The real `carl` process (not runCli with fake streams): what a shell sees when the reader of its
// output goes away (`carl embed … | head`). The sources run through the fixtures' ts-child loader, so
// the test needs no build.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainTinyModel } from '@carl/trainer/testing';
import { EXIT_CODES } from './exit-codes';

const carl = [path.join(__dirname, '..', '__fixtures__', 'ts-child.cjs'), path.join(__dirname, '..', 'cli.ts')];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-pipe-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('carl with its output pipe closed (issue 15: no EPIPE stack trace)', () => {
  it('exits quietly with 141, as a Unix tool killed by SIGPIPE, when nobody reads stdout', async () => {
    const child = spawn(process.execPath, [...carl, 'help', 'train'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader is gone before carl writes anything
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(EXIT_CODES.brokenPipe);
  }, 60_000);

  it('carl embed | head -c 100: the pipeline gets 100 bytes and carl stops with 141, no stack trace', async () => {
    const model = await trainTinyModel();
    try {
      const input = path.join(work, 'texts.txt');
      // ~200 KB of embeddings: more than a pipe buffer (64 KB), so carl is still writing when head leaves.
      fs.writeFileSync(input, `${Array.from({ length: 120 }, (_, i) => `sentence number ${i} is rather pleasant`).join('\n')}\n`);
      const script = `set -o pipefail; "${process.execPath}" ${carl.map((a) => `"${a}"`).join(' ')} embed --model "${model.dir}" --input "${input}" --backend wasm 2>"${work}/stderr.txt" | head -c 100 >"${work}/head.txt"`;
      const result = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
      // stderr holds the progress lines, and no error or stack trace.
      const stderr = fs.readFileSync(path.join(work, 'stderr.txt'), 'utf8');
      expect(stderr).toMatch(/"event":"done","label":"embed","step":120/);
      expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
      expect(fs.readFileSync(path.join(work, 'head.txt'), 'utf8')).toMatch(/^\{"id":"1","text":"sentence number 0 is rather pleasant","embedding":\[/);
      expect(result.status).toBe(EXIT_CODES.brokenPipe);
    } finally {
      model.cleanup();
    }
  }, 120_000);
});
