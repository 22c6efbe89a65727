// What every command shares: the common flags, the backend start, the guards that keep a command from
// overwriting files, the one reader of users' text files, and the process's stdio.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BACKEND_PREFERENCE, CarlError, initBackend, type BackendName } from '@carl/core';
import { readTextTable, type TextRow } from '@carl/datasets';
import { loadCarlModel, type CarlModel } from '../model';
import type { ProgressStream } from '../progress';
import { optionalInteger, optionalString, requireString, type FlagSpec, type ParsedArgs } from './args';
import { EXIT_CODES } from './exit-codes';

/** Where the command line reads and writes (tests pass their own). */
export interface CliIO {
  readonly stdout: ProgressStream;
  readonly stderr: ProgressStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder relative paths are resolved against. */
  readonly cwd: string;
  /** Registers a Ctrl-C handler; returns its removal. Default: the process's SIGINT and SIGTERM (see `abortOnSignals`). */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** Flags several commands share, documented once. */
export const COMMON = {
  help: { type: 'boolean', short: 'h', doc: 'Show this help.' },
  backend: { type: 'string', value: 'NAME', doc: `Tensor backend: auto (default), ${BACKEND_PREFERENCE.join(', ')} ($CARL_BACKEND also works).` },
  threads: { type: 'string', value: 'N', doc: 'Threads of the native kernels (default: every core; $CARL_NATIVE_THREADS also works).' },
  logJson: { type: 'boolean', doc: 'Progress as JSON lines even on a terminal (the default when output is not a terminal).' },
  force: { type: 'boolean', doc: 'Overwrite the output.' },
  skipBadRows: { type: 'boolean', doc: 'Skip rows of the input that are invalid (empty text, duplicate id, bad bytes, wrong field count) and list them on stderr, instead of stopping at the first.' },
  textColumn: { type: 'string', value: 'C', doc: 'Column/field of --input holding the text (default: text).' },
  idColumn: { type: 'string', value: 'C', doc: 'Column/field holding each text\'s id (default: the "id" column when there is one, else the line number).' },
} as const satisfies Record<string, FlagSpec>;

/** The flags of a command that computes with tensors. */
export const BACKEND_FLAGS = { backend: COMMON.backend, threads: COMMON.threads } as const satisfies Record<string, FlagSpec>;

/** The flags {@link readInputTexts} reads, beside the command's own `--input`. */
export const TEXT_INPUT_FLAGS = {
  'text-column': COMMON.textColumn,
  'id-column': COMMON.idColumn,
  'skip-bad-rows': COMMON.skipBadRows,
} as const satisfies Record<string, FlagSpec>;

/**
 * A required path flag, resolved against the command's folder.
 *
 * @example
 * ```ts
 * const modelDir = requirePath(args, io, 'model', 'embed'); // --model runs/carl → /home/me/runs/carl
 * ```
 */
export function requirePath(args: ParsedArgs, io: CliIO, flag: string, command: string): string {
  return path.resolve(io.cwd, requireString(args, flag, command));
}

/**
 * Starts the tensor backend named by `--backend` (default auto) with `--threads` native threads.
 *
 * @example
 * ```ts
 * await startBackend(args); // --backend wasm --threads 2
 * ```
 */
export async function startBackend(args: ParsedArgs): Promise<void> {
  const backend = optionalString(args, 'backend');
  const threads = optionalInteger(args, 'threads', 1, 1024);
  if (backend !== undefined && backend !== 'auto' && !(BACKEND_PREFERENCE as readonly string[]).includes(backend)) {
    throw new CarlError('INVALID_ARGUMENT', `unknown backend "${backend}" (known: auto, ${BACKEND_PREFERENCE.join(', ')})`, { field: '--backend' });
  }
  await initBackend({
    ...(backend === undefined || backend === 'auto' ? {} : { backend: backend as BackendName }),
    ...(threads === undefined ? {} : { threads }),
  });
}

/**
 * Starts the backend (see {@link startBackend}), loads the model in `modelDir`, runs `use` on it and
 * disposes of it afterwards, also when `use` throws.
 *
 * @example
 * ```ts
 * const predictions = await withModel(args, modelDir, (model) => model.predictVA(['so happy']));
 * ```
 */
export async function withModel<T>(args: ParsedArgs, modelDir: string, use: (model: CarlModel) => T | Promise<T>): Promise<T> {
  await startBackend(args);
  const model = await loadCarlModel(modelDir);
  try {
    return await use(model);
  } finally {
    model.dispose();
  }
}

/** Whether progress goes out as JSON lines: asked for, or nobody is watching a terminal. */
export function jsonProgress(args: ParsedArgs, io: CliIO): boolean {
  return args.flags['log-json'] === true || io.stderr.isTTY !== true;
}

/** Refuses to write into a non-empty folder unless resuming or forced (forced: emptied first). */
export function protectFolder(dir: string, resume: boolean, force: boolean): void {
  if (!fs.existsSync(dir)) return;
  if (!fs.statSync(dir).isDirectory()) throw new CarlError('FILE_EXISTS', 'the output path exists and is not a folder', { file: dir });
  if (fs.readdirSync(dir).length === 0 || resume) return;
  if (!force) throw new CarlError('FILE_EXISTS', 'the output folder is not empty; use --resume to continue or --force to replace it', { file: dir });
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Refuses to overwrite a file without `--force`, and a file in a folder that does not exist (before any work). */
export function protectFile(file: string, force: boolean): void {
  if (!fs.existsSync(file)) {
    if (!fs.existsSync(path.dirname(file))) throw new CarlError('NOT_FOUND', 'the folder of the output file does not exist', { file: path.dirname(file) });
    return;
  }
  if (fs.statSync(file).isDirectory()) throw new CarlError('FILE_EXISTS', 'the output path is a folder', { file });
  if (!force) throw new CarlError('FILE_EXISTS', 'the output file exists; use --force to overwrite it', { file });
}

/** The output file of `--out` (or another flag), checked, or undefined when the command should print. */
export function outputFile(args: ParsedArgs, io: CliIO, flag = 'out'): string | undefined {
  const value = optionalString(args, flag);
  if (value === undefined || value === '-') return undefined;
  const file = path.resolve(io.cwd, value);
  protectFile(file, args.flags['force'] === true);
  return file;
}

/**
 * The texts of `--input`, read by @carl/datasets' strict text reader (`--text-column`, `--id-column`,
 * `--skip-bad-rows`); skipped rows are listed on stderr.
 *
 * @example
 * ```ts
 * const rows = await readInputTexts(path.resolve(io.cwd, 'reviews.csv'), args, io);
 * ```
 */
export async function readInputTexts(file: string, args: ParsedArgs, io: CliIO): Promise<readonly TextRow[]> {
  if (!fs.existsSync(file)) throw new CarlError('NOT_FOUND', 'input file not found', { file });
  if (fs.statSync(file).isDirectory()) throw new CarlError('INVALID_ARGUMENT', 'input is a folder, expected a file', { file });
  const textColumn = optionalString(args, 'text-column');
  const idColumn = optionalString(args, 'id-column');
  const { rows, report } = await readTextTable(file, {
    ...(textColumn === undefined ? {} : { textColumn }),
    ...(idColumn === undefined ? {} : { idColumn }),
    skipBadRows: args.flags['skip-bad-rows'] === true,
  });
  reportSkipped(report.skipped, io);
  if (rows.length === 0) throw new CarlError('INVALID_DATA', 'the input file has no texts', { file });
  return rows;
}

/** Lists skipped rows on stderr (one line each, up to 20, then a count). */
export function reportSkipped(skipped: ReadonlyArray<{ file: string; line: number; field?: string; message: string }>, io: CliIO): void {
  if (skipped.length === 0) return;
  io.stderr.write(`carl: skipped ${skipped.length} bad row${skipped.length === 1 ? '' : 's'}:\n`);
  for (const s of skipped.slice(0, 20)) io.stderr.write(`  ${s.file}:${s.line}${s.field === undefined ? '' : ` [${s.field}]`}: ${s.message}\n`);
  if (skipped.length > 20) io.stderr.write(`  … and ${skipped.length - 20} more\n`);
}

/**
 * Makes a broken pipe on stdout or stderr (`carl embed … | head`) end the process quietly with
 * {@link EXIT_CODES.brokenPipe} instead of an unhandled `EPIPE` stack trace. Other stream errors
 * are left to Node.
 *
 * @example
 * ```ts
 * guardBrokenPipe([process.stdout, process.stderr], (code) => process.exit(code));
 * ```
 */
export function guardBrokenPipe(streams: ReadonlyArray<NodeJS.EventEmitter>, exit: (code: number) => void): void {
  for (const stream of streams) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') exit(EXIT_CODES.brokenPipe);
      else throw error;
    });
  }
}

/** The real process's stdio, environment and folder. */
export function processIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/** Rounds for printing: 4 decimals. */
export function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}

/** Nine significant digits: float32 embeddings round-trip exactly with fewer bytes. */
export function round9(x: number): number {
  return Number(x.toPrecision(9));
}

/** A text on one line of at most 100 characters, for tables. */
export function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 100 ? `${flat.slice(0, 97)}…` : flat;
}
