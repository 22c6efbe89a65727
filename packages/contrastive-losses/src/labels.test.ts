import * as tf from '@tensorflow/tfjs-core';
import { va } from '@carl/core';
import { describeWithBackends } from '@carl/core/testing';
import { concatLabelRows, labelDistances, toDiscreteLabels, toLabelRows } from './labels';
import { expectCarlError } from './__fixtures__/reference';

describeWithBackends('toLabelRows', () => {
  it('reads VA objects (valence, arousal; dominance ignored), number rows and tensors alike', () => {
    const fromVA = toLabelRows([va(0.5, -0.25, 0.9), va(-1, 1)], 'l', 2);
    expect([fromVA.rows, fromVA.width, Array.from(fromVA.data)]).toEqual([2, 2, [0.5, -0.25, -1, 1]]);
    const fromRows = toLabelRows([[1, 2, 3]], 'l', 1);
    expect([fromRows.width, Array.from(fromRows.data)]).toEqual([3, [1, 2, 3]]);
    const t = tf.tensor2d([[0.5, 0.5]]);
    expect(Array.from(toLabelRows(t, 'l', 1).data)).toEqual([0.5, 0.5]);
    t.dispose();
  });

  it('names the offending row or count', () => {
    expectCarlError(() => toLabelRows([[0, 0]], 'keyLabels', 2), 'keyLabels');
    expectCarlError(() => toLabelRows([[0, 0], [0, Number.POSITIVE_INFINITY]], 'keyLabels', 2), 'keyLabels[1]');
    expectCarlError(() => toLabelRows([[0, 0], [0]], 'keyLabels', 2), 'keyLabels[1]');
    expectCarlError(() => toLabelRows([va(0, 0), [0, 0]] as never, 'keyLabels', 2), 'keyLabels[1]');
    expectCarlError(() => toDiscreteLabels(['a', {} as never], 'queryLabels', 2), 'queryLabels[1]');
  });
});

describe('labelDistances', () => {
  const a = { rows: 1, width: 2, data: Float64Array.from([0, 0]) };
  const b = { rows: 2, width: 2, data: Float64Array.from([3, 4, 0, 0]) };
  it('computes l2, l1 and squared-l2 distances with axis weights, exactly 0 for equal labels', () => {
    expect(Array.from(labelDistances(a, b))).toEqual([5, 0]);
    expect(Array.from(labelDistances(a, b, { metric: 'l1' }))).toEqual([7, 0]);
    expect(Array.from(labelDistances(a, b, { metric: 'squared-l2', axisWeights: [1, 0] }))).toEqual([9, 0]);
  });

  it('rejects mismatched widths and bad axis weights', () => {
    expectCarlError(() => labelDistances(a, { rows: 1, width: 3, data: new Float64Array(3) }, {}, 'keyLabels'), 'keyLabels');
    expectCarlError(() => labelDistances(a, b, { axisWeights: [1] }), 'labelDistance.axisWeights');
    expectCarlError(() => concatLabelRows([a, { rows: 1, width: 3, data: new Float64Array(3) }], 'extraKeyLabels'), 'extraKeyLabels');
  });
});
