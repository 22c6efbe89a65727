import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AFFECT_SAMPLE } from '../__fixtures__/affect-sample';
import { testDataDir } from '../__fixtures__/data-dir';
import { EXIT_CODES, exitCodeFor, runCli, type CliIO } from './main';
import { CarlError } from '@carl/core';
import { withEnv } from '@carl/core/testing';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function carl(...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (c: string) => (stdout += c), isTTY: false, columns: 100 },
    stderr: { write: (c: string) => (stderr += c), isTTY: false },
    env: {},
    cwd: root,
    onInterrupt: () => () => undefined,
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

// The hand-written sample as a user's CSV (valence/arousal on the 1–9 scale, as many rating studies use).
const sampleCsv = path.join(root, 'rated.csv');
fs.writeFileSync(
  sampleCsv,
  `text,valence,arousal\n${AFFECT_SAMPLE.map((r) => `"${r.text}",${(1 + ((r.va?.valence ?? 0) + 1) * 4).toFixed(2)},${(1 + ((r.va?.arousal ?? 0) + 1) * 4).toFixed(2)}`).join('\n')}\n`,
);
const tiny = ['--preset', 'tiny', '--vocab-size', '100', '--steps', '2', '--batch-size', '8', '--max-length', '16', '--queue-size', '16', '--backend', 'wasm'];

describe('carl (usage)', () => {
  it('prints an overview, the version and per-command help', async () => {
    const none = await carl();
    expect(none.code).toBe(EXIT_CODES.usage);
    expect(none.stdout).toMatch(/Usage: carl <command>/);
    for (const name of ['pretrain', 'train', 'refit-head', 'embed', 'predict-va', 'eval', 'explain']) expect(none.stdout).toContain(`  ${name}`);
    expect((await carl('--help')).code).toBe(0);
    expect((await carl('--version')).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    for (const name of ['pretrain', 'train', 'refit-head', 'embed', 'predict-va', 'eval', 'explain']) {
      const help = await carl(name, '--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: carl ${name}`));
    }
    const train = (await carl('help', 'train')).stdout;
    expect(train).toMatch(/Hyperparameters: PTD/);
    expect(train).toMatch(/--batch-size N\s+Sentences per step/);
    expect(train).toMatch(/\(default: 32\)/);
    expect(train).toMatch(/carl-random-tokens\s+CARL perturbing uniformly random tokens/);
    // Every command that computes takes --threads (passed to initBackend).
    for (const name of ['pretrain', 'train', 'refit-head', 'embed', 'predict-va', 'eval', 'explain']) expect((await carl(name, '--help')).stdout).toMatch(/--threads N/);
  });

  it('names unknown commands and options with a suggestion', async () => {
    const unknown = await carl('trian');
    expect(unknown).toMatchObject({ code: EXIT_CODES.usage, stderr: 'carl: unknown command "trian" (did you mean "train"?); run carl --help for the list\n' });
    const flag = await carl('train', '--out', 'x', '--batch-sise', '3');
    expect(flag.code).toBe(EXIT_CODES.usage);
    expect(flag.stderr).toBe('carl train: [--batch-sise]: unknown option --batch-sise for `carl train` (did you mean --batch-size?); see carl train --help\n');
  });

  it('validates configuration up front, naming the flag or the file and line', async () => {
    expect(await carl('train', '--steps', '3')).toMatchObject({ code: EXIT_CODES.usage, stderr: 'carl train: [--out]: `carl train` needs --out; see carl train --help\n' });
    const range = await carl('train', '--out', 'r', '--batch-size', '1');
    expect(range).toMatchObject({ code: EXIT_CODES.usage, stderr: 'carl train: [--batch-size]: must be an integer ≥ 2 and ≤ 65536, got 1\n' });
    const type = await carl('train', '--out', 'r', '--method', 'moco');
    expect(type.stderr).toMatch(/\[--method\]: must be one of carl, carl-no-ptd, .*, got "moco"/);
    const file = path.join(root, 'bad.json');
    fs.writeFileSync(file, '{\n  "steps": 10,\n  "temprature": 0.1\n}\n');
    const config = await carl('train', '--out', 'r', '--config', 'bad.json');
    expect(config).toMatchObject({ code: EXIT_CODES.usage, stderr: `carl train: ${file}:3 [temprature]: unknown option "temprature" (did you mean "temperature"?)\n` });
    const negative = await carl('train', '--out', 'r', '--rating-scale', '-1,1');
    expect(negative).toMatchObject({ code: EXIT_CODES.usage, stderr: 'carl train: [--rating-scale]: --rating-scale needs a value; for a value that starts with "-" write --rating-scale=-0.5\n' });
    expect((await carl('train', '--out', 'r', '--steps')).stderr).toMatch(/\[--steps\]: Option '--steps <value>' argument missing; see carl train --help/);
    const corpus = await carl('train', '--out', 'r', '--data', 'emobank,imdb');
    expect(corpus.code).toBe(EXIT_CODES.usage);
    expect(corpus.stderr).toMatch(/\[data\]: unknown corpus "imdb" \(known: emobank, fb-valence-arousal/);
    expect((await carl('train', '--out', 'r', '--config', 'missing.json')).code).toBe(EXIT_CODES.input);
    expect(fs.existsSync(path.join(root, 'r'))).toBe(false); // nothing was created for a rejected command
  });

  it('reports missing inputs with exit code 3', async () => {
    const model = await carl('predict-va', '--model', 'nowhere', 'hello');
    expect(model).toMatchObject({ code: EXIT_CODES.input, stderr: `carl predict-va: ${path.join(root, 'nowhere')}: model folder not found\n` });
    const input = await carl('embed', '--model', 'nowhere', '--input', 'none.csv', '--out', 'e.jsonl');
    expect(input).toMatchObject({ code: EXIT_CODES.input, stderr: `carl embed: ${path.join(root, 'none.csv')}: input file not found\n` });
    expect((await carl('predict-va', '--model', 'nowhere')).code).toBe(EXIT_CODES.usage);
  });

  it('maps every error code to an exit code', () => {
    expect(exitCodeFor(new CarlError('FILE_EXISTS', 'x'))).toBe(4);
    expect(exitCodeFor(new CarlError('NUMERIC_INSTABILITY', 'x'))).toBe(5);
    expect(exitCodeFor(new CarlError('BACKEND_UNAVAILABLE', 'x'))).toBe(6);
    expect(exitCodeFor(new Error('boom'))).toBe(1);
  });
});

describe('carl (end to end on a tiny encoder)', () => {
  const out = path.join(root, 'run');
  const model = path.join(out, 'model');

  it('trains on a user file, then predicts, embeds and explains with the saved model', async () => {
    const train = await carl('train', '--out', 'run', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny);
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const lines = train.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l['event'] === 'progress').map((l) => l['step'])).toEqual([2]);
    expect(lines.at(-1)).toMatchObject({ event: 'summary', method: 'carl', steps: 2, model });
    for (const file of ['config.json', 'model.safetensors', 'carl.json']) expect(fs.existsSync(path.join(model, file))).toBe(true);

    const predicted = await carl('predict-va', '--model', 'run/model', '--json', '--scale', '1-9', 'i am so happy today', 'the funeral was quiet and sad');
    expect(predicted.code).toBe(0);
    const rows = predicted.stdout.trim().split('\n').map((l) => JSON.parse(l) as { valence: number; arousal: number; scale: string });
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.scale).toBe('1-9');
      expect(r.valence).toBeGreaterThanOrEqual(1);
      expect(r.valence).toBeLessThanOrEqual(9);
    }
    const table = await carl('predict-va', '--model', 'run/model', 'what a day');
    expect(table.stdout).toMatch(/^ valence  arousal {2}text \(unit scale\)\n +-?\d\.\d{3} +-?\d\.\d{3} {2}what a day\n$/);

    const inputFile = path.join(root, 'texts.txt');
    fs.writeFileSync(inputFile, 'so happy\nso sad\n');
    const embedded = await carl('embed', '--model', 'run/model', '--input', 'texts.txt', '--out', 'emb.jsonl');
    expect(embedded.code).toBe(0);
    const vectors = fs.readFileSync(path.join(root, 'emb.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; embedding: number[] });
    expect(vectors.map((v) => [v.id, v.text, v.embedding.length])).toEqual([
      ['1', 'so happy', 128],
      ['2', 'so sad', 128],
    ]);
    // Never overwrite without --force.
    const again = await carl('embed', '--model', 'run/model', '--input', 'texts.txt', '--out', 'emb.jsonl');
    expect(again).toMatchObject({ code: EXIT_CODES.exists, stderr: `carl embed: ${path.join(root, 'emb.jsonl')}: the output file exists; use --force to overwrite it\n` });
    expect((await carl('embed', '--model', 'run/model', '--input', 'texts.txt', '--out', 'emb.jsonl', '--force')).code).toBe(0);

    const explained = await carl('explain', '--model', 'run/model', '--json', '--html', 'heat.html', 'i love this song');
    expect(explained.code).toBe(0);
    const explanation = JSON.parse(explained.stdout) as { target: string; tokens: Array<{ token: string; normalized: number }> };
    expect(explanation.target).toBe('valence');
    expect(explanation.tokens.map((t) => t.token).join(' ')).toMatch(/i/);
    expect(Math.max(...explanation.tokens.map((t) => t.normalized))).toBeCloseTo(1, 5);
    // A full page (issue 15): doctype, charset, legend, sign colours, the predicted VA, and a "wrote" line.
    const page = fs.readFileSync(path.join(root, 'heat.html'), 'utf8');
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
    expect(page).toMatch(/red raises it.*blue lowers it/);
    expect(page).toMatch(/valence <b>[+−]\d\.\d{3}<\/b> · arousal <b>[+−]\d\.\d{3}<\/b>/);
    expect(page).toMatch(/background-color:rgba\((215,48,39|69,117,180),/);
    expect(explained.stderr).toBe('wrote heat.html\n');

    // Without --out, embed writes JSON lines to stdout (so it can be piped).
    const piped = await carl('embed', '--model', 'run/model', '--input', 'texts.txt');
    expect(piped.code).toBe(0);
    expect(piped.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['1', '2']);
  }, 120_000);

  it('refuses to overwrite a run, resumes it, and replaces it with --force', async () => {
    const again = await carl('train', '--out', 'run', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny);
    expect(again.code).toBe(EXIT_CODES.exists);
    expect(again.stderr).toMatch(/already holds a training run \(checkpoints, model\); use --resume to continue it or --force to replace it/);
    const changed = await carl('train', '--out', 'run', '--resume', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny, '--temperature', '0.2');
    expect(changed.code).toBe(EXIT_CODES.usage);
    expect(changed.stderr).toMatch(/\[temperature\]: is 0.2 but the run being resumed used 0.07/);
    const otherData = await carl('train', '--out', 'run', '--resume', '--train-file', 'rated.csv', '--rating-scale', '0,10', ...tiny);
    expect(otherData.code).toBe(EXIT_CODES.input);
    expect(otherData.stderr).toMatch(/the training data differs from the data this run was trained on/);
    // Resuming a finished run returns at once and leaves its model as it was.
    const before = fs.statSync(path.join(root, 'run', 'model', 'carl.json')).mtimeMs;
    const finished = await carl('train', '--out', 'run', '--resume', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny);
    expect(finished.code).toBe(0);
    expect(fs.statSync(path.join(root, 'run', 'model', 'carl.json')).mtimeMs).toBe(before);
    const forced = await carl('train', '--out', 'run', '--force', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny, '--method', 'simcse');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout.trim().split('\n').at(-1) as string)).toMatchObject({ method: 'simcse' });
  }, 120_000);
});

describe('carl pretrain and carl eval', () => {
  it('pre-trains with MLM on a user file, and carl train starts from it with --init', async () => {
    const pre = await carl('pretrain', '--out', 'mlm', '--input', 'rated.csv', '--preset', 'tiny', '--vocab-size', '100', '--steps', '2', '--batch-size', '4', '--max-length', '16', '--backend', 'wasm');
    expect(pre.stderr).toBe('');
    expect(pre.code).toBe(0);
    const progress = pre.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(progress.at(-1)).toMatchObject({ event: 'done', step: 2, total: 2 });
    expect(fs.existsSync(path.join(root, 'mlm', 'config.json'))).toBe(true);
    const again = await carl('pretrain', '--out', 'mlm', '--input', 'rated.csv', '--steps', '2');
    expect(again).toMatchObject({ code: EXIT_CODES.exists, stderr: `carl pretrain: ${path.join(root, 'mlm')}: the output folder is not empty; use --resume to continue or --force to replace it\n` });
    const train = await carl('train', '--out', 'from-mlm', '--init', 'mlm', '--train-file', 'rated.csv', '--rating-scale', '1,9', '--steps', '1', '--batch-size', '8', '--max-length', '16', '--backend', 'wasm');
    expect(train.stderr).toBe('');
    expect(train.code).toBe(0);
    const missing = await carl('train', '--out', 'x', '--init', 'no-such-model', '--train-file', 'rated.csv', '--rating-scale', '1,9');
    expect(missing).toMatchObject({ code: EXIT_CODES.input, stderr: `carl train: ${path.join(root, 'no-such-model')}: encoder folder not found\n` });
  }, 120_000);

  const dataDir = testDataDir();
  (dataDir === undefined ? it.skip : it)('evaluates a model on EmoBank VA and prints a table or JSON (needs CARL_DATA_DIR)', async () => {
    const model = path.join(root, 'run', 'model');
    if (!fs.existsSync(model)) await carl('train', '--out', 'run', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny);
    const json = await carl('eval', '--model', 'run/model', '--tasks', 'emobank-va', '--max-train', '120', '--max-test', '60', '--data-dir', dataDir as string, '--json', '--backend', 'wasm');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { tasks: Array<{ task: string; metrics: { valence: { pearson: number } } }> };
    expect(report.tasks.map((t) => t.task)).toEqual(['emobank-va']);
    expect(Math.abs(report.tasks[0]?.metrics.valence.pearson ?? 2)).toBeLessThanOrEqual(1);
    const table = await carl('eval', '--model', 'run/model', '--tasks', 'emobank-va', '--max-train', '120', '--max-test', '60', '--data-dir', dataDir as string);
    expect(table.stdout).toMatch(/emobank-va/);
    // Not a terminal: a handful of progress lines (one per task and a last one), not one per batch and fold.
    expect(table.stderr).toMatch(/^eval: task 1\/1 emobank-va\neval: done, 1 task in \d+s\n$/);
    const unknown = await carl('eval', '--model', 'run/model', '--tasks', 'imdb');
    expect(unknown.code).toBe(EXIT_CODES.usage);
    expect(unknown.stderr).toMatch(/unknown task "imdb"/);
  }, 120_000);
});

describe('carl predict-va and embed read files strictly, through @carl/datasets (issue 15)', () => {
  const write = (name: string, content: string | Buffer): string => {
    fs.writeFileSync(path.join(root, name), content);
    return path.join(root, name);
  };
  // The model is never reached: every fault is found while reading the input, before any tensor work.
  const predict = (file: string, ...more: string[]): Promise<Captured> => carl('predict-va', '--model', 'nowhere', '--input', file, ...more);

  it('refuses invalid UTF-8 with its line instead of scoring U+FFFD', async () => {
    const file = write('latin1.txt', Buffer.concat([Buffer.from('fine\ncaf'), Buffer.from([0xe9]), Buffer.from(' au lait\n')]));
    const result = await predict('latin1.txt');
    expect(result.code).toBe(EXIT_CODES.input);
    expect(result.stderr).toMatch(new RegExp(`^carl predict-va: ${file}:2: invalid UTF-8 byte 0xe9`));
  });

  it('refuses an unbalanced quote instead of swallowing the next lines', async () => {
    const file = write('quote.csv', 'text\n"never closed\nsecond text\n');
    const result = await predict('quote.csv', '--skip-bad-rows');
    expect(result.code).toBe(EXIT_CODES.input);
    expect(result.stderr).toMatch(new RegExp(`^carl predict-va: ${file}:2: unterminated quoted field`));
  });

  it('refuses empty texts and duplicate ids, and skips them with --skip-bad-rows, listing each', async () => {
    const empty = write('empty.csv', 'id,text\na,good day\nb,\nc,bad day\n');
    expect(await predict('empty.csv')).toMatchObject({ code: EXIT_CODES.input, stderr: expect.stringMatching(new RegExp(`^carl predict-va: ${empty}:3 \\[text\\]: empty text \\(.*--skip-bad-rows`)) });
    const dup = write('dup.jsonl', '{"id": "x", "text": "one"}\n{"id": "x", "text": "two"}\n');
    expect((await predict('dup.jsonl')).stderr).toBe(`carl predict-va: ${dup}:2: duplicate id "x" (first seen at ${dup}:1) (to skip such rows and get them listed in the report: skipBadRows: true in code, --skip-bad-rows on the carl command line)\n`);
    // Skipping gets past the input (the missing model is the next error) and lists what was skipped.
    const skipped = await predict('empty.csv', '--skip-bad-rows');
    expect(skipped.code).toBe(EXIT_CODES.input);
    expect(skipped.stderr).toBe(`carl: skipped 1 bad row:\n  ${empty}:3 [text]: empty text\ncarl predict-va: ${path.join(root, 'nowhere')}: model folder not found\n`);
  });

  it('takes ids from an id column by itself, and line numbers that survive blank lines', async () => {
    const model = path.join(root, 'run', 'model');
    if (!fs.existsSync(model)) await carl('train', '--out', 'run', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny);
    write('ids.csv', 'text,id\nhappy,h1\nsad,s1\n');
    const byColumn = await carl('predict-va', '--model', 'run/model', '--input', 'ids.csv', '--json');
    expect(byColumn.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['h1', 's1']);
    write('gaps.txt', 'happy\n\n\nsad\n');
    const byLine = await carl('embed', '--model', 'run/model', '--input', 'gaps.txt');
    expect(byLine.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { id: string; text: string })).map((r) => [r.id, r.text])).toEqual([
      ['1', 'happy'],
      ['4', 'sad'],
    ]);
  }, 120_000);
});

describe('carl refit-head and the missing-data message', () => {
  it('refits the VA head of a finished run', async () => {
    if (!fs.existsSync(path.join(root, 'run', 'model'))) await carl('train', '--out', 'run', '--train-file', 'rated.csv', '--rating-scale', '1,9', ...tiny);
    const refit = await carl('refit-head', '--out', 'run', '--train-file', 'rated.csv', '--rating-scale', '1,9', '--ridge-alpha', '10', '--backend', 'wasm');
    expect(refit.stderr).toMatch(/refit-head: ridge α 10, 10/);
    expect(refit).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Refitted the VA head of run from its model \(ridge α 10, 10\)\.\nModel: /) });
    const info = JSON.parse(fs.readFileSync(path.join(root, 'run', 'model', 'carl.json'), 'utf8')) as { vaHead: { alpha: number[] } };
    expect(info.vaHead.alpha).toEqual([10, 10]);
    expect((await carl('refit-head', '--out', 'no-run')).code).toBe(EXIT_CODES.input);
    expect((await carl('refit-head', '--out', 'run', '--ridge-alpha', '-1')).code).toBe(EXIT_CODES.usage);
  }, 120_000);

  it('tells a command-line user about --data-dir and CARL_DATA_DIR when a corpus is missing', async () => {
    fs.mkdirSync(path.join(root, 'no-corpora'), { recursive: true });
    const result = await withEnv({ CARL_OFFLINE: '1', XDG_CACHE_HOME: path.join(root, 'no-cache') }, () =>
      carl('pretrain', '--out', 'mlm-missing', '--data', 'emobank', '--data-dir', 'no-corpora', '--steps', '1'),
    );
    expect(result.code).toBe(EXIT_CODES.input);
    expect(result.stderr).toMatch(/dataset "emobank" not found/);
    expect(result.stderr).toMatch(/set CARL_DATA_DIR to a folder containing emobank\/ \(on the carl command line: --data-dir DIR/);
  });
});
