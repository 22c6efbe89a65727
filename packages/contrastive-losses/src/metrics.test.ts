import * as tf from '@tensorflow/tfjs-core';
import { Random } from '@carl/core';
import { describeWithBackends, expectClose, expectGradientsClose, expectNoTensorLeak } from '@carl/core/testing';
import { alignment, uniformity } from './index';
import { expectCarlError, randomMatrix, scalar, t2 } from './__fixtures__/reference';

describeWithBackends('alignment', () => {
  it('is the mean squared distance between normalised positive pairs', () => {
    expectClose(scalar(alignment(t2([[1, 0], [0, 1]]), t2([[1, 0], [1, 0]]))), 1, 1e-6);
    expectClose(scalar(alignment(t2([[2, 0], [0, 3]]), t2([[5, 0], [4, 0]]))), 1, 1e-6); // normalised first
    expectClose(scalar(alignment(t2([[1, 0], [0, 1]]), t2([[1, 0], [1, 0]]), { alpha: 1 })), Math.SQRT2 / 2, 1e-6);
    expectClose(scalar(alignment(t2([[2, 0]]), t2([[0, 1]]), { normalize: false })), 5, 1e-6);
  });

  it('has gradients equal to finite differences', () => {
    const rng = new Random(61);
    const y = t2(randomMatrix(rng, 3, 3));
    expectGradientsClose((x) => alignment(x as tf.Tensor2D, y), t2(randomMatrix(rng, 3, 3)));
    expectGradientsClose((x) => alignment(x as tf.Tensor2D, y, { alpha: 3 }), t2(randomMatrix(rng, 3, 3)));
  });

  it('rejects mismatched shapes', () => {
    expectCarlError(() => alignment(t2([[1, 0]]), t2([[1, 0], [0, 1]])), 'y');
    expectCarlError(() => alignment(t2([[1, 0]]), t2([[1, 0]]), { alpha: 0 }), 'alpha');
  });
});

describeWithBackends('uniformity', () => {
  it('matches closed forms for antipodal, 120° and square configurations', () => {
    expectClose(scalar(uniformity(t2([[1, 0], [-1, 0]]))), -8, 1e-5);
    const tri = [0, 1, 2].map((i) => [Math.cos((2 * Math.PI * i) / 3), Math.sin((2 * Math.PI * i) / 3)]);
    expectClose(scalar(uniformity(t2(tri))), -6, 1e-5);
    const square = t2([[1, 0], [0, 1], [-1, 0], [0, -1]]);
    expectClose(scalar(uniformity(square, 1)), Math.log((8 * Math.exp(-2) + 4 * Math.exp(-4)) / 12), 1e-5);
  });

  it('stays finite for far-apart unnormalised points (log-sum-exp)', () => {
    expectClose(scalar(uniformity(t2([[0, 0], [100, 0]]), 2, { normalize: false })), -20000, 1e-2, 1e-6);
  });

  it('has gradients equal to finite differences and leaks nothing', () => {
    const rng = new Random(62);
    const x = t2(randomMatrix(rng, 4, 3));
    expectGradientsClose((t) => uniformity(t as tf.Tensor2D), x);
    expectNoTensorLeak(() => uniformity(x).dispose());
  });

  it('needs at least two rows', () => {
    expectCarlError(() => uniformity(t2([[1, 0]])), 'x');
    expectCarlError(() => uniformity(t2([[1, 0], [0, 1]]), 0), 't');
  });
});
