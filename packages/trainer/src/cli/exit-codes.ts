import { isCarlError, type CarlErrorCode } from '@carl/core';

/**
 * Exit codes of `carl`, by what went wrong (stable, so scripts can branch on them).
 */
export const EXIT_CODES = {
  ok: 0,
  /** A bug or an unexpected failure. */
  internal: 1,
  /**
   * Bad command line or configuration (unknown option, wrong type, out-of-range value), including a
   * run that would not fit in memory (a smaller batch or `--micro-batch-size` fixes it).
   */
  usage: 2,
  /**
   * Missing or unreadable input (data, model or file not found, invalid rows, broken checkpoint), or a
   * file system that refused a read or write (disk full, read-only, permissions).
   */
  input: 3,
  /** The output exists and `--force` was not given, or another `carl` process holds the run folder. */
  exists: 4,
  /** Training diverged (NaN/Inf loss); the last good checkpoint is kept. */
  diverged: 5,
  /** No tensor backend could start. */
  backend: 6,
  /** Stopped by Ctrl-C (a resumable checkpoint was written). */
  interrupted: 130,
  /**
   * The reader of stdout or stderr went away (`carl embed … | head`): stop quietly, as a Unix tool
   * killed by SIGPIPE does (128 + 13), so `set -o pipefail` scripts see the same status as for `yes | head`.
   */
  brokenPipe: 141,
} as const;

const CODE_EXIT: Readonly<Record<CarlErrorCode, number>> = {
  INVALID_ARGUMENT: EXIT_CODES.usage,
  INVALID_CONFIG: EXIT_CODES.usage,
  OUT_OF_MEMORY: EXIT_CODES.usage,
  SHAPE_MISMATCH: EXIT_CODES.internal,
  NOT_FOUND: EXIT_CODES.input,
  DATASET_NOT_FOUND: EXIT_CODES.input,
  DOWNLOAD_FAILED: EXIT_CODES.input,
  INVALID_DATA: EXIT_CODES.input,
  INVALID_CHECKPOINT: EXIT_CODES.input,
  TOKENIZER_ERROR: EXIT_CODES.input,
  FILESYSTEM: EXIT_CODES.input,
  FILE_EXISTS: EXIT_CODES.exists,
  RUN_LOCKED: EXIT_CODES.exists,
  NUMERIC_INSTABILITY: EXIT_CODES.diverged,
  BACKEND_UNAVAILABLE: EXIT_CODES.backend,
  INTERNAL: EXIT_CODES.internal,
};

/**
 * The exit code `carl` uses for an error.
 *
 * @example
 * ```ts
 * exitCodeFor(new CarlError('FILE_EXISTS', 'x')); // 4
 * ```
 */
export function exitCodeFor(error: unknown): number {
  return isCarlError(error) ? (CODE_EXIT[error.code] ?? EXIT_CODES.internal) : EXIT_CODES.internal;
}

/** The one-line legend of the exit codes, for `carl --help`. */
export const EXIT_CODE_HELP = [
  'Exit codes: 0 ok · 1 unexpected error · 2 bad usage or configuration (or too little memory for it)',
  '            3 missing or invalid input, file system error',
  '            4 output exists (use --force) or run folder locked · 5 training diverged · 6 no tensor backend',
  '            130 interrupted · 141 output pipe closed (e.g. | head)',
].join('\n');
