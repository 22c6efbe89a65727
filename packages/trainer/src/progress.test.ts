import { createProgress, createStatusLog, formatDuration, type ProgressStream } from './progress';

function fakeStream(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns: 100, write: (c: string) => chunks.push(c), text: () => chunks.join('') };
}

describe('createProgress', () => {
  it('writes one JSON line every N steps with throughput and ETA (not a TTY)', () => {
    let clock = 0;
    const stream = fakeStream(false);
    const progress = createProgress({ label: 'train', total: 40, stream, every: 10, now: () => clock });
    for (let step = 1; step <= 20; step++) {
      clock += 500; // 2 steps per second, 16 examples per step
      progress.update({ done: step, examples: 16, loss: 1 / step, metrics: { lr: 0.001 } });
    }
    const lines = stream.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string>);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ event: 'progress', label: 'train', step: 20, total: 40, loss: 0.05, lr: 0.001, examplesPerSecond: 32, elapsedSeconds: 10, etaSeconds: 10 });
  });

  it('computes the ETA from this session only when resuming', () => {
    let clock = 0;
    const stream = fakeStream(false);
    const progress = createProgress({ label: 'train', total: 100, start: 90, stream, every: 5, now: () => clock });
    clock = 5000;
    progress.update({ done: 95, examples: 5 });
    expect(JSON.parse(stream.text())).toMatchObject({ step: 95, etaSeconds: 5 });
  });

  it('draws a bar in place on a terminal and prints events above it', () => {
    let clock = 0;
    const stream = fakeStream(true);
    const progress = createProgress({ label: 'train', total: 4, stream, now: () => clock });
    clock = 1000;
    progress.update({ done: 1, examples: 8, loss: 0.5 });
    expect(stream.text()).toMatch(/\r\x1b\[2Ktrain █+░+ 1\/4 {2}25% · loss 0.5 · 8 ex\/s · ETA 3s/);
    progress.event('checkpoint', { step: 1 });
    expect(stream.text()).toContain('train: checkpoint step=1\n');
    clock = 1050; // inside the redraw interval: no redraw
    const before = stream.text().length;
    progress.update({ done: 2, examples: 8, loss: 0.4 });
    expect(stream.text().length).toBe(before);
    clock = 4000;
    progress.update({ done: 4, examples: 16, loss: 0.25 });
    progress.finish();
    expect(stream.text()).toMatch(/train: done 4\/4 · in 4s · loss 0.25 · 8 ex\/s\n$/);
  });

  it('honours an explicit json choice over the stream kind', () => {
    const stream = fakeStream(true);
    const progress = createProgress({ label: 'embed', total: 2, stream, json: true, every: 1, now: () => 0 });
    progress.update({ done: 1 });
    expect(() => JSON.parse(stream.text())).not.toThrow();
  });
});

describe('integers in progress lines (issue 15: step=200, not 200.0)', () => {
  it('prints counts as integers and fractions with 4 significant digits', () => {
    const stream = fakeStream(true);
    const progress = createProgress({ label: 'train', total: 300, stream, now: () => 0 });
    progress.event('checkpoint', { step: 200, examples: 123456, lr: 0.000512, loss: 123.456 });
    expect(stream.text()).toBe('train: checkpoint step=200 examples=123456 lr=5.12e-4 loss=123.5\n');
  });
});

describe('createStatusLog', () => {
  const messages = ['emobank-va: loading', 'emobank-va: embedding 2000 texts', ...Array.from({ length: 30 }, (_, i) => `embedded ${(i + 1) * 64}/2000`), 'emobank-va: fold 1/10 done', 'sst2: loading', 'embedded 64/100'];

  it('keeps only the selected messages in a log (not a terminal), a handful instead of one per batch', () => {
    const stream = fakeStream(false);
    const status = createStatusLog({ label: 'eval', stream, keep: (m) => (m.endsWith(': loading') ? `task ${m.split(':')[0]}` : undefined) });
    messages.forEach(status.write);
    status.done('2 tasks in 3s');
    expect(stream.text()).toBe('eval: task emobank-va\neval: task sst2\neval: done, 2 tasks in 3s\n');
  });

  it('redraws one line in place on a terminal and clears it at the end', () => {
    const stream = fakeStream(true);
    const status = createStatusLog({ label: 'eval', stream, keep: () => undefined });
    messages.slice(0, 3).forEach(status.write);
    status.done('1 task in 1s');
    expect(stream.text()).toBe('\r\x1b[2Keval: emobank-va: loading\r\x1b[2Keval: emobank-va: embedding 2000 texts\r\x1b[2Keval: embedded 64/2000\r\x1b[2Keval: done, 1 task in 1s\n');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [59.4, '59s'],
    [185, '3m05s'],
    [3725, '1h02m'],
    [Number.NaN, '?'],
  ])('%p s → %p', (s, text) => expect(formatDuration(s)).toBe(text));
});
