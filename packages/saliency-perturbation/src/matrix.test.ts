import * as tf from '@tensorflow/tfjs-core';
import { describeWithBackends } from '@carl/core/testing';
import { candidateMask } from './matrix';

describeWithBackends('candidateMask', () => {
  it('keeps real, non-special tokens, from rows or tensors', () => {
    const attention = [
      [1, 1, 1, 1],
      [1, 1, 0, 0],
    ];
    const special = [
      [1, 0, 0, 1],
      [1, 1, 1, 1],
    ];
    expect(candidateMask(attention, special)).toEqual([
      [0, 1, 1, 0],
      [0, 0, 0, 0],
    ]);
    const a = tf.tensor2d(attention, undefined, 'int32');
    expect(candidateMask(a)).toEqual(attention);
    a.dispose();
    expect(candidateMask([])).toEqual([]);
  });

  it('rejects ragged or mismatched masks', () => {
    expect(() => candidateMask([[1, 1], [1]])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', location: { field: 'attentionMask[1]' } }));
    expect(() => candidateMask([[1, 1]], [[1, 1], [0, 0]])).toThrow(expect.objectContaining({ code: 'SHAPE_MISMATCH', location: { field: 'specialTokensMask' } }));
  });
});
