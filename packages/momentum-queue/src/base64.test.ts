import { isCarlError } from '@carl/core';
import { decodeFloat32, encodeFloat32 } from './base64';

describe('float32 base64', () => {
  it('agrees with Node\'s Buffer on little-endian bytes for every padding length', () => {
    for (const length of [0, 1, 2, 3, 4, 7]) {
      const values = Float32Array.from({ length }, (_, i) => (i - 3) * 1.25e-3 + i * 1e5);
      const bytes = Buffer.alloc(length * 4);
      values.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
      expect(encodeFloat32(values)).toBe(bytes.toString('base64'));
      expect(Array.from(decodeFloat32(bytes.toString('base64'), 'keys'))).toEqual(Array.from(values));
    }
  });

  it('round-trips NaN-free special values exactly, including −0 and subnormals', () => {
    const values = Float32Array.from([-0, 1e-45, -3.4028234663852886e38, 0.1]);
    const back = decodeFloat32(encodeFloat32(values), 'keys');
    expect(Object.is(back[0], -0)).toBe(true);
    expect(Array.from(back)).toEqual(Array.from(values));
  });

  it('rejects text that is not base64 of whole float32 values', () => {
    for (const bad of ['abc', 'AAAAAAA=', 'AA*A', 'é000', 'A=AA']) {
      let caught: unknown;
      try {
        decodeFloat32(bad, 'keys');
      } catch (e) {
        caught = e;
      }
      expect(isCarlError(caught, 'INVALID_CHECKPOINT')).toBe(true);
    }
  });
});
