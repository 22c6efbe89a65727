import { trainOwnModel } from './index';

describe('losses with your own model (smoke)', () => {
  it('trains, lowers the loss and separates affect quadrants', async () => {
    const { losses, separation } = await trainOwnModel({ steps: 40, seed: 3 });
    expect(losses).toHaveLength(40);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Same queue size at both ends (the queue is full after 8 steps), so the losses compare.
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(10, 20)));
    expect(separation.after).toBeGreaterThan(separation.before);
   }, 120_000);
});
