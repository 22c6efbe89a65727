import * as tf from '@tensorflow/tfjs-core';
import { currentBackend, initBackend } from './backend';
import { ensureBackend } from './ensure-backend';

// One jest file = fresh globals: tfjs starts here with no backend at all.
describe('ensureBackend', () => {
  it('starts the default backend when none is chosen, then leaves a chosen one alone', async () => {
    expect(currentBackend()).toBeUndefined();
    await ensureBackend();
    const first = currentBackend();
    expect(first).toBeDefined();
    expect(tf.getBackend()).toBe(first?.tfjsBackend);

    // A backend picked explicitly (not the default on this machine) stays.
    await initBackend({ backend: 'cpu' });
    await ensureBackend();
    expect(tf.getBackend()).toBe('cpu');
    expect(currentBackend()?.backend).toBe('cpu');
  });
});
