// loadCarlModel in a process that never called initBackend (issue 15, item 3). A jest test file has its own
// globals, so tfjs here starts with an empty backend registry, as in a new `node` process.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PREFERENCE, currentBackend } from '@carl/core';
import { loadCarlModel } from './model';

// Any encoder folder is a model (without a VA head): the tiny random BERT kept in @carl/encoder's fixtures.
const TINY_BERT = path.resolve(__dirname, '..', '..', 'encoder', 'src', '__fixtures__', 'tiny-bert');

describe('loadCarlModel in a fresh process', () => {
  it('starts the default backend itself, and embeds', async () => {
    expect(currentBackend()).toBeUndefined();
    // What users hit before: tfjs alone has no backend to run on.
    expect(() => tf.tensor([1, 2])).toThrow(/No backend found in registry/);

    const model = await loadCarlModel(TINY_BERT);
    expect(BACKEND_PREFERENCE).toContain(currentBackend()?.backend);
    const [a, b] = model.embed(['tok5 tok6', 'tok7']);
    expect(a).toHaveLength(16);
    expect(b).toHaveLength(16);
    expect(Array.from(a as Float32Array).every(Number.isFinite)).toBe(true);
    model.dispose();
  });
});
