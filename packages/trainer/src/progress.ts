/** The part of a writable stream progress output needs (a TTY stream also has `columns`). */
export interface ProgressStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** One step's figures for {@link ProgressReporter.update}. */
export interface ProgressUpdate {
  /** Steps (or items) done so far, counting from the run's start (not from a resume). */
  readonly done: number;
  /** Examples processed by this update (for throughput). */
  readonly examples?: number;
  readonly loss?: number;
  /** Further numbers for JSON lines (learning rate, loss parts, …). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/** Progress of one long task: a bar on a terminal, JSON lines otherwise. */
export interface ProgressReporter {
  update(update: ProgressUpdate): void;
  /** A free-form event (checkpoint written, evaluation done) as a JSON line, or a line above the bar. */
  event(name: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Clears the bar (TTY) and writes a final line. */
  finish(fields?: Readonly<Record<string, unknown>>): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** What is being done, e.g. `train` or `embed`. */
  readonly label: string;
  /** Total steps (or items). */
  readonly total: number;
  /** Where `done` starts (a resumed run starts at its checkpoint's step). Default 0. */
  readonly start?: number;
  readonly stream: ProgressStream;
  /** `true` forces JSON lines, `false` forces the bar; default: bar on a TTY, JSON otherwise. */
  readonly json?: boolean;
  /** Steps between JSON lines. Default 10. */
  readonly every?: number;
  /** Clock in milliseconds (tests inject one). Default `Date.now`. */
  readonly now?: () => number;
  /** Least milliseconds between bar redraws. Default 100. */
  readonly redrawMs?: number;
}

/**
 * A progress reporter: on a terminal a one-line bar with ETA, loss and throughput, redrawn in place;
 * otherwise (or with `json: true`) one JSON line every `every` steps, so logs stay machine-readable.
 *
 * @example
 * ```ts
 * const progress = createProgress({ label: 'train', total: 100, stream: process.stderr });
 * progress.update({ done: 1, examples: 32, loss: 2.3 });
 * progress.finish();
 * ```
 */
export function createProgress(options: ProgressOptions): ProgressReporter {
  const json = options.json ?? options.stream.isTTY !== true;
  return json ? new JsonProgress(options) : new BarProgress(options);
}

abstract class BaseProgress implements ProgressReporter {
  protected readonly now: () => number;
  protected readonly startTime: number;
  protected readonly start: number;
  protected done: number;
  protected examples = 0;
  protected lastLoss: number | undefined;

  constructor(protected readonly options: ProgressOptions) {
    this.now = options.now ?? Date.now;
    this.startTime = this.now();
    this.start = options.start ?? 0;
    this.done = this.start;
  }

  abstract update(update: ProgressUpdate): void;
  abstract event(name: string, fields?: Readonly<Record<string, unknown>>): void;
  abstract finish(fields?: Readonly<Record<string, unknown>>): void;

  protected record(update: ProgressUpdate): void {
    this.done = update.done;
    this.examples += update.examples ?? 0;
    if (update.loss !== undefined) this.lastLoss = update.loss;
  }

  /** Rates from this session's work only, so a resumed run's ETA is not skewed by steps it did not time. */
  protected rates(): { elapsed: number; stepsPerSecond: number; examplesPerSecond: number; eta: number | undefined } {
    const elapsed = Math.max(1e-9, (this.now() - this.startTime) / 1000);
    const stepsDone = this.done - this.start;
    const stepsPerSecond = stepsDone / elapsed;
    const remaining = Math.max(0, this.options.total - this.done);
    const eta = stepsDone > 0 ? remaining / stepsPerSecond : undefined;
    return { elapsed, stepsPerSecond, examplesPerSecond: this.examples / elapsed, eta };
  }
}

class JsonProgress extends BaseProgress {
  update(update: ProgressUpdate): void {
    this.record(update);
    const every = this.options.every ?? 10;
    if (update.done % every !== 0 && update.done !== this.options.total) return;
    const { elapsed, examplesPerSecond, eta } = this.rates();
    this.write({
      event: 'progress',
      label: this.options.label,
      step: update.done,
      total: this.options.total,
      ...(update.loss === undefined ? {} : { loss: round(update.loss, 6) }),
      ...roundAll(update.metrics ?? {}),
      examplesPerSecond: round(examplesPerSecond, 2),
      elapsedSeconds: round(elapsed, 1),
      ...(eta === undefined ? {} : { etaSeconds: round(eta, 1) }),
    });
  }

  event(name: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.write({ event: name, label: this.options.label, ...fields });
  }

  finish(fields: Readonly<Record<string, unknown>> = {}): void {
    const { elapsed, examplesPerSecond } = this.rates();
    this.write({
      event: 'done',
      label: this.options.label,
      step: this.done,
      total: this.options.total,
      ...(this.lastLoss === undefined ? {} : { loss: round(this.lastLoss, 6) }),
      examplesPerSecond: round(examplesPerSecond, 2),
      elapsedSeconds: round(elapsed, 1),
      ...fields,
    });
  }

  private write(record: Record<string, unknown>): void {
    this.options.stream.write(`${JSON.stringify(record)}\n`);
  }
}

class BarProgress extends BaseProgress {
  private lastDraw = Number.NEGATIVE_INFINITY;
  private drawn = false;

  update(update: ProgressUpdate): void {
    this.record(update);
    const t = this.now();
    if (t - this.lastDraw < (this.options.redrawMs ?? 100) && update.done !== this.options.total) return;
    this.lastDraw = t;
    this.draw();
  }

  event(name: string, fields: Readonly<Record<string, unknown>> = {}): void {
    this.clear();
    const details = Object.entries(fields)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : String(v)}`)
      .join(' ');
    this.options.stream.write(`${this.options.label}: ${name}${details === '' ? '' : ` ${details}`}\n`);
    if (this.drawn) this.draw();
  }

  finish(fields: Readonly<Record<string, unknown>> = {}): void {
    this.clear();
    const { elapsed, examplesPerSecond } = this.rates();
    const parts = [
      `${this.options.label}: done ${this.done}/${this.options.total}`,
      `in ${formatDuration(elapsed)}`,
      ...(this.lastLoss === undefined ? [] : [`loss ${formatNumber(this.lastLoss)}`]),
      `${formatNumber(examplesPerSecond)} ex/s`,
      ...Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? formatNumber(v) : String(v)}`),
    ];
    this.options.stream.write(`${parts.join(' · ')}\n`);
  }

  private clear(): void {
    if (this.drawn) this.options.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    const { total, label } = this.options;
    const { examplesPerSecond, eta } = this.rates();
    const fraction = total > 0 ? Math.min(1, this.done / total) : 1;
    const info = [
      `${this.done}/${total} ${(fraction * 100).toFixed(0).padStart(3)}%`,
      ...(this.lastLoss === undefined ? [] : [`loss ${formatNumber(this.lastLoss)}`]),
      `${formatNumber(examplesPerSecond)} ex/s`,
      `ETA ${eta === undefined ? '…' : formatDuration(eta)}`,
    ].join(' · ');
    const columns = this.options.stream.columns ?? 80;
    const width = Math.max(10, Math.min(40, columns - label.length - info.length - 4));
    const filled = Math.round(fraction * width);
    this.options.stream.write(`\r\x1b[2K${label} ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${info}`);
    this.drawn = true;
  }
}

/** Options of {@link createStatusLog}. */
export interface StatusLogOptions {
  /** Prefix of every line, e.g. `eval`. */
  readonly label: string;
  readonly stream: ProgressStream;
  /**
   * Off a terminal, which messages become log lines: return the line to print (possibly reworded),
   * or undefined to drop the message. Default: every message. On a terminal every message is shown.
   */
  readonly keep?: (message: string) => string | undefined;
}

/** A status line: see {@link createStatusLog}. */
export interface StatusLog {
  /** Shows a message (bound: pass it as a callback). */
  readonly write: (message: string) => void;
  /** Clears the status line and prints a final line. */
  readonly done: (message: string) => void;
}

/**
 * Status messages of a long job (`embedded 640/5000`, `fold 3/10 done`, …): on a terminal they
 * redraw one line in place; in a log (not a terminal) only the messages `keep` selects are written,
 * so a log holds a handful of lines per job rather than one per batch.
 *
 * @example
 * ```ts
 * const status = createStatusLog({ label: 'eval', stream: process.stderr, keep: (m) => (m.endsWith('loading') ? m : undefined) });
 * status.write('emobank-va: loading');
 * status.done('1 task in 12s');
 * ```
 */
export function createStatusLog(options: StatusLogOptions): StatusLog {
  const { label, stream } = options;
  const tty = stream.isTTY === true;
  let drawn = false;
  return {
    write: (message) => {
      if (tty) {
        const columns = stream.columns ?? 80;
        const line = `${label}: ${message}`;
        stream.write(`\r\x1b[2K${line.length >= columns ? `${line.slice(0, columns - 2)}…` : line}`);
        drawn = true;
        return;
      }
      const kept = options.keep === undefined ? message : options.keep(message);
      if (kept !== undefined) stream.write(`${label}: ${kept}\n`);
    },
    done: (message) => {
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
      stream.write(`${label}: done, ${message}\n`);
    },
  };
}

/**
 * Seconds as a short duration: `42s`, `3m05s`, `1h02m`.
 *
 * @example
 * ```ts
 * formatDuration(185); // '3m05s'
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  // Counts (step=200, 12000 examples) print as counts, never as 200.0 or 1.20e+4.
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(1) : String(Number(x.toPrecision(4)));
}

function round(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function roundAll(values: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.abs(v) < 1e-3 && v !== 0 ? Number(v.toPrecision(4)) : round(v, 6)]));
}
