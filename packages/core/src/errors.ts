/**
 * Every failure CARL-TS reports on purpose is a {@link CarlError} with a stable `code`, so callers
 * can branch on the kind of problem without parsing messages.
 */
export type CarlErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'INVALID_CONFIG'
  | 'INVALID_CHECKPOINT'
  | 'INVALID_DATA'
  | 'DATASET_NOT_FOUND'
  | 'DOWNLOAD_FAILED'
  | 'TOKENIZER_ERROR'
  | 'NUMERIC_INSTABILITY'
  | 'FILE_EXISTS'
  | 'NOT_FOUND'
  /** The filesystem refused a read or write (disk full, read-only, permissions, a file in the way). */
  | 'FILESYSTEM'
  /** Another process holds the run folder's lock. */
  | 'RUN_LOCKED'
  /** A run would need more memory than the backend can hold (checked before any work), or the wasm heap ran out. */
  | 'OUT_OF_MEMORY'
  | 'INTERNAL';

/** Where in a file or object a problem was found; every field is optional. */
export interface ErrorLocation {
  /** Path of the offending file. */
  file?: string;
  /** 1-based line number inside `file`. */
  line?: number;
  /** Column, field, config key or tensor name. */
  field?: string;
}

/**
 * The one error class of the project.
 *
 * @example
 * ```ts
 * throw new CarlError('INVALID_DATA', 'rating "x" is not a number', { file: 'a.csv', line: 3, field: 'V' });
 * // message: "a.csv:3 [V]: rating "x" is not a number"
 * ```
 */
export class CarlError extends Error {
  readonly code: CarlErrorCode;
  readonly location: ErrorLocation;

  constructor(code: CarlErrorCode, message: string, location: ErrorLocation = {}, options?: { cause?: unknown }) {
    super(formatMessage(message, location), options);
    this.name = 'CarlError';
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, { file, line, field }: ErrorLocation): string {
  const where = [file === undefined ? '' : line === undefined ? file : `${file}:${line}`, field === undefined ? '' : `[${field}]`]
    .filter((part) => part !== '')
    .join(' ');
  return where === '' ? message : `${where}: ${message}`;
}

/**
 * Type guard for {@link CarlError}, optionally of one code.
 *
 * @example
 * ```ts
 * try { load(); } catch (e) { if (isCarlError(e, 'DATASET_NOT_FOUND')) console.error(e.message); }
 * ```
 */
export function isCarlError(error: unknown, code?: CarlErrorCode): error is CarlError {
  return error instanceof CarlError && (code === undefined || error.code === code);
}
