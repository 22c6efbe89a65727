// A tiny training run in its own process, stopped by the test with SIGINT (see interrupt.test.ts).
// argv: out folder, then `hang-on-first` to keep the process busy after the first signal, as a long
// step or checkpoint would.
import { initBackend } from '@carl/core';
import { createToyEncoder } from '@carl/core/testing';
import { variablesStore } from '../encoder-store';
import { abortOnSignals } from '../interrupt';
import { trainCarl } from '../train';
import { AFFECT_SAMPLE, SAMPLE_WORDS } from './affect-sample';

async function main(): Promise<void> {
  const [out, mode] = process.argv.slice(2) as [string, string | undefined];
  await initBackend({ backend: 'cpu' });
  const encoder = createToyEncoder({ words: SAMPLE_WORDS, hiddenSize: 16, seed: 3 });
  const stop = abortOnSignals({
    onFirst: (signal) => {
      process.stdout.write(`stopping on ${signal}\n`);
      if (mode === 'hang-on-first') for (const until = Date.now() + 60_000; Date.now() < until; );
    },
  });
  try {
    const result = await trainCarl(
      { backend: 'cpu', method: 'carl', steps: 1_000_000, batchSize: 8, queueSize: 16, projectionDim: 8, maxLength: 16, checkpointEvery: 0 },
      { out, data: AFFECT_SAMPLE, encoder, encoderStore: variablesStore(encoder), saveModel: false, signal: stop.signal, onStep: (r) => process.stdout.write(`step ${r.step}\n`) },
    );
    process.stdout.write(`result ${result.status} ${result.step} ${result.checkpoint?.step ?? 'none'}\n`);
    process.exitCode = result.status === 'interrupted' ? 130 : 0;
  } finally {
    stop.dispose();
    encoder.dispose();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
