import * as fs from 'node:fs';
import * as path from 'node:path';
import { floatToBfloat16, floatToHalf, halfToFloat, readSafetensors, readSafetensorsFile, writeSafetensors, writeSafetensorsFile } from './safetensors';
import { tempDir } from './__fixtures__/paths';

const fixture = path.join(__dirname, '__fixtures__', 'dtypes');
const expected = JSON.parse(fs.readFileSync(path.join(fixture, 'expected.json'), 'utf8')) as Record<string, Array<number | string>>;
const num = (v: number | string): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number));

/** A safetensors file from a raw header object and data bytes (for corrupt-file cases). */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors reader', () => {
  it('decodes F32, F16 and BF16 written by PyTorch (torch casts) to the same float32 values', () => {
    const { tensors, metadata } = readSafetensorsFile(path.join(fixture, 'dtypes.safetensors'));
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensors.get('f32')?.read() ?? [])).toEqual(expected['f32']?.map(num).map((x) => Math.fround(x)));
    expect(Array.from(tensors.get('f16')?.read() ?? [])).toEqual(expected['f16_as_f32']?.map(num));
    expect(Array.from(tensors.get('bf16')?.read() ?? [])).toEqual(expected['bf16_as_f32']?.map(num));
    expect(tensors.get('bf16')).toMatchObject({ dtype: 'BF16', shape: [20] });
  });

  it('reads tensors at unaligned offsets and with an unpadded header', () => {
    const data = new Uint8Array(1 + 8);
    new DataView(data.buffer).setFloat32(1, 1.5, true);
    new DataView(data.buffer).setFloat32(5, -2, true);
    const bytes = rawFile({ b: { dtype: 'U8', shape: [1], data_offsets: [0, 1] }, w: { dtype: 'F32', shape: [2], data_offsets: [1, 9] } }, data);
    const { tensors } = readSafetensors(bytes, 'odd.safetensors');
    expect(Array.from(tensors.get('w')?.read() ?? [])).toEqual([1.5, -2]);
  });

  it.each([
    ['too short', new Uint8Array(5), /too short/],
    ['header length past the end', rawFile({}, new Uint8Array(0), 1000), /runs past the end/],
    ['header that is not JSON', (() => {
      const b = rawFile({ a: 1 });
      b[9] = 0x7b; // '{{' …
      return b;
    })(), /not valid UTF-8 JSON/],
    ['header that is a list', rawFile([1, 2]), /not a JSON object/],
  ])('rejects a file with a %s (INVALID_CHECKPOINT naming the file)', (_, bytes, message) => {
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(message);
    try {
      readSafetensors(bytes, 'bad.safetensors');
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_CHECKPOINT', location: { file: 'bad.safetensors' } });
    }
  });

  it.each([
    ['unknown dtype', { w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, /unknown dtype "F8_E4M3"/],
    ['offsets out of range', { w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, /lie outside the 8 data bytes/],
    ['reversed offsets', { w: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, /lie outside/],
    ['shape not matching the byte size', { w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, /needs 12 bytes, but data_offsets span 8/],
    ['negative dimension', { w: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, /not a list of non-negative integers/],
    ['missing offsets', { w: { dtype: 'F32', shape: [2] } }, /not a \[begin, end\] pair/],
    ['non-string metadata', { __metadata__: { format: 1 } }, /metadata values must be strings/],
  ])('rejects a tensor entry with %s, naming the tensor', (_, header, message) => {
    const bytes = rawFile(header, new Uint8Array(8));
    expect(() => readSafetensors(bytes, 'bad.safetensors')).toThrow(message);
    try {
      readSafetensors(bytes, 'bad.safetensors');
    } catch (error) {
      const field = Object.keys(header)[0] === '__metadata__' ? '__metadata__.format' : 'w';
      expect(error).toMatchObject({ code: 'INVALID_CHECKPOINT', location: { file: 'bad.safetensors', field } });
    }
  });
});

describe('safetensors writer', () => {
  it('round-trips F32 exactly, keeps metadata, and pads the header to 8 bytes', () => {
    const values = Float32Array.from([0, -0, 1e-40, 3.4e38, -7.25, Number.NaN]);
    const bytes = writeSafetensors(new Map([['x', { shape: [2, 3], values }]]), { note: 'hi' });
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ format: 'pt', note: 'hi' });
    const back = tensors.get('x')?.read() as Float32Array;
    expect(Array.from(back.subarray(0, 5))).toEqual(Array.from(values.subarray(0, 5)));
    expect(Number.isNaN(back[5])).toBe(true);
    expect(Object.is(back[1], -0)).toBe(true);
  });

  it('encodes F16 and BF16 bit-for-bit as torch does (round to nearest even, subnormals, overflow to Inf)', () => {
    const inputs = (expected['f32'] as Array<number | string>).map(num);
    const toInt16 = (bits: number): number => (bits << 16) >> 16;
    expect(inputs.map((x) => toInt16(floatToHalf(x)))).toEqual(expected['f16_bits']);
    expect(inputs.map((x) => toInt16(floatToBfloat16(x)))).toEqual(expected['bf16_bits']);
    expect(Number.isNaN(halfToFloat(floatToHalf(Number.NaN)))).toBe(true);
  });

  it('writes F16 / BF16 files that read back to the rounded values, in the reference tensor order', () => {
    const values = Float32Array.from([1, 2.5, 1 / 3]);
    const bytes = writeSafetensors(
      new Map([
        ['b', { shape: [3], values, dtype: 'F16' as const }],
        ['a', { shape: [3], values, dtype: 'BF16' as const }],
        ['c', { shape: [3], values }],
      ]),
    );
    const { tensors } = readSafetensors(bytes);
    expect([...tensors.keys()]).toEqual(['c', 'a', 'b']); // F32 first, then BF16, then F16 (the Rust crate's order)
    expect(Array.from(tensors.get('b')?.read() ?? [])).toEqual([1, 2.5, halfToFloat(floatToHalf(1 / 3))]);
    expect(tensors.get('a')?.read()[2]).toBeCloseTo(1 / 3, 2);
  });

  it('rejects a value count that does not match the shape, and writes files atomically', () => {
    expect(() => writeSafetensors(new Map([['w', { shape: [2, 2], values: new Float32Array(3) }]]))).toThrow(/holds 4 values, got 3/);
    const dir = tempDir();
    const file = path.join(dir, 'sub', 'm.safetensors');
    writeSafetensorsFile(file, new Map([['w', { shape: [1], values: Float32Array.of(4) }]]));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['m.safetensors']);
    expect(() => readSafetensorsFile(path.join(dir, 'nope.safetensors'))).toThrow(/not found/);
  });
});
