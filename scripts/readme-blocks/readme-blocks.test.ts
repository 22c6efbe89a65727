// Every README code block runs as written, in a default CommonJS project:
// - ts/js blocks are type-checked together (strict, module nodenext, no "type": "module"; `@carl/*` resolves to the
//   packages' sources) and each is bundled with esbuild to CommonJS and run by node in a fresh folder;
// - shell blocks run with bash from the repository root (node_modules/.bin on PATH) only when marked
//   `<!-- readme-test: run -->`; an unmarked one fails (it must say run or skip (why): never `npm ci` by accident);
// - json blocks must parse.
// A block opts out only through a marker on the last non-blank line above its fence, with the reason printed:
// `<!-- readme-test: skip (why) -->`, `<!-- readme-test: typecheck-only (why) -->`, `<!-- readme-test: needs-data -->`
// (runs only when $CARL_DATA_DIR is set).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { languageClass, parseBlocks, readmeFiles, type ReadmeBlock } from './blocks';
import { bundleBlock } from './bundle';

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const RUN_TIMEOUT_MS = 60_000;
const dataDir = process.env['CARL_DATA_DIR'] !== undefined && process.env['CARL_DATA_DIR'] !== '' && fs.existsSync(process.env['CARL_DATA_DIR']) ? process.env['CARL_DATA_DIR'] : undefined;

const blocks: ReadmeBlock[] = readmeFiles(ROOT).flatMap((file) => parseBlocks(file, fs.readFileSync(path.join(ROOT, file), 'utf8')));
const programs = blocks.filter((b) => languageClass(b.lang) === 'program');
const nameOf = (b: ReadmeBlock): string => `${b.readme}:${b.line} (${b.lang})`;

/** Blocks that must fail: a wrong option name, and top-level await in a CommonJS project. */
const PROBES: Record<string, string> = {
  'probe-wrong-api.ts': "import { initBackend } from '@carl/core';\nasync function main(): Promise<void> { await initBackend({ backnd: 'cpu' }); }\nvoid main();\n",
  'probe-top-level-await.ts': "import { initBackend } from '@carl/core';\nawait initBackend();\n",
};

let work = '';
const sourceFile = new Map<ReadmeBlock, string>();
let diagnostics = new Map<string, string[]>();

beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'carl-readme-'));
  // A user's project: its own package.json (CommonJS by default) and the installed packages.
  fs.writeFileSync(path.join(work, 'package.json'), `${JSON.stringify({ name: 'readme-blocks', private: true }, null, 1)}\n`);
  fs.symlinkSync(NODE_MODULES, path.join(work, 'node_modules'), 'dir');
  programs.forEach((block, i) => {
    const file = path.join(work, `block-${i}.${block.lang.startsWith('j') ? 'js' : 'ts'}`);
    fs.writeFileSync(file, block.code);
    sourceFile.set(block, file);
  });
  // js blocks are only run (the compiler would also check the packages' vendored JavaScript).
  // Probes that prove the harness can fail: checked in the same program as the blocks (one compile).
  for (const [name, code] of Object.entries(PROBES)) fs.writeFileSync(path.join(work, name), code);
  diagnostics = typeCheck([...Object.keys(PROBES).map((name) => path.join(work, name)), ...programs.filter((b) => b.mode.kind !== 'skip' && sourceFile.get(b)?.endsWith('.ts') === true).map((b) => sourceFile.get(b) as string)]);
});

afterAll(() => {
  if (work !== '') fs.rmSync(work, { recursive: true, force: true });
});

function typeCheck(files: string[]): Map<string, string[]> {
  const base = ts.readConfigFile(path.join(ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(
    {
      ...(base.config as object),
      compilerOptions: {
        ...((base.config as { compilerOptions: object }).compilerOptions),
        noEmit: true,
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        // A snippet may leave a value unused (`const { hiddenStates, pooled } = …` to show the shape).
        noUnusedLocals: false,
        types: ['node'],
        paths: {
          '@carl/core/testing': [path.join(ROOT, 'packages/core/src/testing/index.ts')],
          '@carl/trainer/testing': [path.join(ROOT, 'packages/trainer/src/testing/index.ts')],
          '@carl/*': [path.join(ROOT, 'packages/*/src/index.ts')],
        },
      },
      files,
    },
    ts.sys,
    work,
  );
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const byFile = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const file = d.file?.fileName ?? '(config)';
    const pos = d.file !== undefined && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const list = byFile.get(file) ?? [];
    list.push(`${pos === undefined ? '' : `line ${pos.line + 1}: `}TS${d.code} ${message}`);
    byFile.set(file, list);
  }
  return byFile;
}

/** Type errors of one block (the packages' own type errors are `npm run typecheck`'s business, not the snippet's). */
function errorsOf(file: string): string[] {
  return diagnostics.get(path.resolve(file)) ?? diagnostics.get(file) ?? [];
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    env: { ...process.env, PATH: `${path.join(NODE_MODULES, '.bin')}${path.delimiter}${process.env['PATH'] ?? ''}` },
  });
  if (result.error !== undefined) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}\n${result.stderr}`);
  if (result.status !== 0) {
    const tail = (s: string): string => s.split('\n').slice(-25).join('\n');
    throw new Error(`exit ${result.status ?? result.signal}\n--- stdout\n${tail(result.stdout)}\n--- stderr\n${tail(result.stderr)}`);
  }
}

function skipReason(block: ReadmeBlock): string | undefined {
  if (block.mode.kind === 'skip') return block.mode.reason;
  if (block.mode.kind === 'needs-data' && dataDir === undefined) return 'needs the corpora: set CARL_DATA_DIR';
  return undefined;
}

describe('README code blocks', () => {
  it('finds the blocks (and every marker is well-formed)', () => {
    expect(programs.length).toBeGreaterThan(5);
    const skipped = blocks.map((b) => [b, skipReason(b) ?? (b.mode.kind === 'typecheck-only' ? `not run: ${b.mode.reason}` : undefined)] as const).filter(([, r]) => r !== undefined);
    if (skipped.length > 0) console.log(`README blocks not run:\n${skipped.map(([b, r]) => `  ${nameOf(b)}: ${r}`).join('\n')}`);
  });

  it('fails a block with a wrong API, top-level await, a syntax error or a throw', async () => {
    expect(errorsOf(path.join(work, 'probe-wrong-api.ts')).join('\n')).toMatch(/TS2353|TS2561/);
    expect(errorsOf(path.join(work, 'probe-top-level-await.ts')).join('\n')).toMatch(/TS1309|TS1378/);
    const broken = path.join(work, 'probe-syntax.ts');
    fs.writeFileSync(broken, 'const x = ;\n');
    await expect(bundleBlock(broken, path.join(work, 'probe-syntax.cjs'), ROOT)).rejects.toThrow(/Unexpected/);
    const tla = await bundleBlock(path.join(work, 'probe-top-level-await.ts'), path.join(work, 'probe-tla.cjs'), ROOT).then(
      () => 'bundled',
      (error: unknown) => String(error),
    );
    expect(tla).toMatch(/[Tt]op-level await/);
    const throws = path.join(work, 'probe-throws.js');
    fs.writeFileSync(throws, "async function main() { throw new Error('boom'); }\nvoid main();\n");
    expect(() => run(process.execPath, [throws], work)).toThrow(/boom/);
  });

  for (const block of blocks) {
    const cls = languageClass(block.lang);
    if (cls === 'text') continue;
    const reason = skipReason(block);
    if (reason !== undefined) {
      it.skip(`${nameOf(block)} — skipped: ${reason}`, () => undefined);
      continue;
    }
    if (cls === 'json') {
      it(`${nameOf(block)} parses`, () => {
        expect(() => JSON.parse(block.code)).not.toThrow();
      });
    } else if (cls === 'shell') {
      it(`${nameOf(block)} runs`, () => {
        if (block.mode.kind !== 'run' && block.mode.kind !== 'needs-data') {
          throw new Error(`${nameOf(block)}: a shell block needs a marker on the line above its fence: <!-- readme-test: run --> (cheap, safe to run from the repository root) or <!-- readme-test: skip (why) -->`);
        }
        run('bash', ['-euo', 'pipefail', '-c', block.code], ROOT);
      });
    } else {
      it(`${nameOf(block)} type-checks${block.mode.kind === 'typecheck-only' ? '' : ' and runs'}`, async () => {
        const file = sourceFile.get(block) as string;
        const errors = errorsOf(file);
        if (errors.length > 0) throw new Error(`type errors:\n${errors.join('\n')}\n--- block\n${block.code}`);
        if (block.mode.kind === 'typecheck-only') return;
        const cwd = fs.mkdtempSync(path.join(work, 'run-'));
        fs.symlinkSync(NODE_MODULES, path.join(cwd, 'node_modules'), 'dir');
        const bundle = await bundleBlock(file, path.join(cwd, 'main.cjs'), ROOT);
        run(process.execPath, [bundle], cwd);
      });
    }
  }
});
