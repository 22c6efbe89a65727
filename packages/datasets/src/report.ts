import { CarlError } from '@carl/core';

/** Why a row was rejected. */
export type SkipReason =
  | 'empty-text'
  | 'missing-value'
  | 'non-numeric'
  | 'out-of-scale'
  | 'duplicate-id'
  | 'unknown-label'
  | 'malformed'
  | 'undecodable';

/** One rejected row: where it is and what was wrong with it. */
export interface SkippedRow {
  readonly file: string;
  /** 1-based line where the record starts. */
  readonly line: number;
  readonly field?: string;
  readonly reason: SkipReason;
  readonly message: string;
}

/**
 * What a load did: rows read and kept, every row skipped (with file, line and reason), and notes
 * about deliberate choices (e.g. "124 words are in no official split"). Nothing is dropped without
 * appearing here.
 */
export interface LoadReport {
  readonly files: readonly string[];
  /** Data records read (header excluded). */
  readonly rowsRead: number;
  readonly rowsKept: number;
  readonly skipped: readonly SkippedRow[];
  readonly notes: readonly string[];
}

/**
 * Collects row problems for one load. In strict mode (the default) the first problem throws a
 * `CarlError('INVALID_DATA')` naming file, line and field; with `skipBadRows` it is recorded and the
 * row dropped. Some corpus quirks (blank lines in SentEval files) are always skipped-and-reported,
 * via {@link skip}.
 */
export class RowIssues {
  readonly skipped: SkippedRow[] = [];
  readonly notes: string[] = [];
  readonly files: string[] = [];
  rowsRead = 0;
  rowsKept = 0;

  constructor(readonly skipBadRows: boolean) {}

  /** A bad row: throws, or records it when skipping bad rows. */
  fail(reason: SkipReason, message: string, where: { file: string; line: number; field?: string }): void {
    if (!this.skipBadRows) {
      throw new CarlError('INVALID_DATA', `${message} (to skip such rows and get them listed in the report: skipBadRows: true in code, --skip-bad-rows on the carl command line)`, where);
    }
    this.skip(reason, message, where);
  }

  /** Records a skipped row unconditionally. */
  skip(reason: SkipReason, message: string, where: { file: string; line: number; field?: string }): void {
    this.skipped.push(where.field === undefined ? { file: where.file, line: where.line, reason, message } : { ...where, reason, message });
  }

  note(message: string): void {
    this.notes.push(message);
  }

  addFile(file: string): void {
    if (!this.files.includes(file)) this.files.push(file);
  }

  report(): LoadReport {
    return Object.freeze({ files: [...this.files], rowsRead: this.rowsRead, rowsKept: this.rowsKept, skipped: [...this.skipped], notes: [...this.notes] });
  }
}
