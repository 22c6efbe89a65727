/** The reason an {@link abortOnSignals} signal carries: which OS signal stopped the run. */
export class RunInterrupted extends Error {
  constructor(readonly signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`);
    this.name = 'RunInterrupted';
  }
}

/** Options of {@link abortOnSignals}. */
export interface AbortOnSignalsOptions {
  /** Signals that stop the run. Default `['SIGINT', 'SIGTERM']`. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Called on the first signal (e.g. to print "stopping after this step; Ctrl-C again to quit"). */
  readonly onFirst?: (signal: NodeJS.Signals) => void;
}

/** A signal wired to OS signals, and its removal. */
export interface SignalAbort {
  /** Aborted on the first OS signal; its `reason` is a {@link RunInterrupted}. */
  readonly signal: AbortSignal;
  /** Removes the handlers (call when the run is over). */
  dispose(): void;
}

/**
 * Turns Ctrl-C (SIGINT) and SIGTERM into an `AbortSignal` for `trainCarl({ signal })`: the first
 * signal aborts it, and the run finishes its step, writes a checkpoint and returns
 * `status: 'interrupted'` (the CLI exits 130). The handlers are removed at that moment, so a second
 * signal gets the operating system's default action and ends the process at once, even in the middle
 * of a step (checkpoints are written atomically, so the folder stays resumable).
 *
 * @example
 * ```ts
 * const stop = abortOnSignals({ onFirst: () => console.error('stopping after this step (Ctrl-C again to quit)') });
 * try {
 *   const result = await trainCarl(config, { out, signal: stop.signal });
 *   if (result.status === 'interrupted') process.exitCode = 130;
 * } finally {
 *   stop.dispose();
 * }
 * ```
 */
export function abortOnSignals(options: AbortOnSignalsOptions = {}): SignalAbort {
  const signals = options.signals ?? (['SIGINT', 'SIGTERM'] as const);
  const controller = new AbortController();
  const dispose = (): void => {
    for (const name of signals) process.removeListener(name, handler);
  };
  function handler(name: NodeJS.Signals): void {
    dispose();
    options.onFirst?.(name);
    controller.abort(new RunInterrupted(name));
  }
  for (const name of signals) process.on(name, handler);
  return { signal: controller.signal, dispose };
}

/**
 * Lets pending events (signal handlers, timers, I/O callbacks) run. A training step is synchronous
 * tensor work, so without this between steps a Ctrl-C would not be seen until the run ended.
 *
 * @example
 * ```ts
 * for (let step = 0; step < total; step++) { await yieldToEventLoop(); if (signal.aborted) break; runStep(step); }
 * ```
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
