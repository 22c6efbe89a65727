import { sameIdMask } from './index';
import { expectCarlError } from './__fixtures__/reference';

describe('sameIdMask', () => {
  it('marks every candidate that carries the query id, skipping null columns', () => {
    const mask = sameIdMask(['a', 'b'], [null, null, 'b', 'c', 'a', 'b']);
    expect(mask).toEqual([
      [false, false, false, false, true, false],
      [false, false, true, false, false, true],
    ]);
  });

  it('handles an empty queue and rejects non-string ids', () => {
    expect(sameIdMask(['a'], [null])).toEqual([[false]]);
    expect(sameIdMask([], [])).toEqual([]);
    expectCarlError(() => sameIdMask(['a'], [3 as unknown as string]), 'candidateIds[0]');
  });
});
