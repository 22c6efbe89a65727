import * as fs from 'node:fs';
import { CarlError, writeFileAtomic } from '@carl/core';

/** Element types of the safetensors format that this reader understands. */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** The dtypes {@link writeSafetensors} can write (what model weights are stored in). */
export type FloatDType = 'F32' | 'F16' | 'BF16';

const BYTES: Readonly<Record<SafetensorsDType, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

// The safetensors spec caps the header at 100 MB; a larger length means a corrupt or foreign file.
const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's header entry, its bytes decoded only on demand (a bert-base file is 440 MB). */
export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Decodes the values: floats (F16/BF16/F64 widened) to `Float32Array`, integers and BOOL to `Int32Array`. */
  read(): Float32Array | Int32Array;
}

/** A parsed safetensors file: its tensors (in file order) and its `__metadata__` string map. */
export interface SafetensorsFile {
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A tensor to write: float values in row-major order and their shape. */
export interface TensorToWrite {
  readonly shape: readonly number[];
  readonly values: Float32Array;
  /** Storage type in the file (default `F32`). */
  readonly dtype?: FloatDType;
}

/**
 * Parses a safetensors buffer (8-byte little-endian header length, JSON header, raw little-endian data),
 * checking every entry before any tensor is decoded: a truncated or corrupt file fails here with
 * `INVALID_CHECKPOINT` naming the file and the tensor, never later inside tfjs.
 *
 * @param bytes the whole file
 * @param file the path, for error messages
 * @example
 * ```ts
 * const { tensors } = readSafetensors(fs.readFileSync('model.safetensors'), 'model.safetensors');
 * tensors.get('bert.pooler.dense.bias')?.read(); // Float32Array(768)
 * ```
 */
export function readSafetensors(bytes: Uint8Array, file = '<buffer>'): SafetensorsFile {
  const fail = (message: string, field?: string): never => {
    throw new CarlError('INVALID_CHECKPOINT', message, field === undefined ? { file } : { file, field });
  };
  if (bytes.length < 8) fail(`file has ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    fail(`header length ${headerLength} runs past the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  }
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the 100 MB safetensors limit`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, file);
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (info === null || typeof info !== 'object') fail('header entry is not an object', name);
    const { dtype, shape, data_offsets: offsets } = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in BYTES)) {
      fail(`unknown dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(BYTES).join(', ')})`, name);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`, name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      fail(`data_offsets ${JSON.stringify(offsets)} is not a [begin, end] pair of non-negative integers`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      fail(`data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes of the file`, name);
    }
    const type = dtype as SafetensorsDType;
    const dims = shape as number[];
    const count = dims.reduce((a, b) => a * b, 1);
    if (count * BYTES[type] !== end - begin) {
      fail(`shape [${dims.join(', ')}] of ${type} needs ${count * BYTES[type]} bytes, but data_offsets span ${end - begin}`, name);
    }
    const slice = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.set(name, { name, dtype: type, shape: dims, read: () => decode(slice, type, count) });
  }
  return { tensors, metadata };
}

function parseMetadata(raw: unknown, file: string): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CarlError('INVALID_CHECKPOINT', '__metadata__ is not a string map', { file, field: '__metadata__' });
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new CarlError('INVALID_CHECKPOINT', 'metadata values must be strings', { file, field: `__metadata__.${key}` });
    out[key] = value;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function decode(slice: Uint8Array, dtype: SafetensorsDType, count: number): Float32Array | Int32Array {
  // Views of `slice` may be unaligned (offsets are arbitrary), so read through a DataView.
  const view = new DataView(slice.buffer, slice.byteOffset, slice.byteLength);
  switch (dtype) {
    case 'F32': {
      // Fast path: copy the bytes (which also aligns them) and view them, on little-endian hosts.
      if (LITTLE_ENDIAN) return new Float32Array(new Uint8Array(slice).buffer); // a copy (Buffer#slice would alias)
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'I64': {
      // Only small integer buffers (position_ids, token_type_ids) are stored as I64 in checkpoints.
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'I16': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case 'I8': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      return out;
    }
    case 'U8':
    case 'BOOL': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      return out;
    }
  }
}

/**
 * Serialises tensors to the safetensors format, laid out as the reference (Rust) implementation does:
 * entries sorted by dtype width (widest first) then name, compact JSON header with `__metadata__`
 * first, padded with spaces to a multiple of 8 bytes. Hugging Face transformers requires
 * `__metadata__.format` (`pt`), so it is always written.
 *
 * @example
 * ```ts
 * const bytes = writeSafetensors(new Map([['w', { shape: [2], values: Float32Array.of(1, 2) }]]));
 * ```
 */
export function writeSafetensors(tensors: ReadonlyMap<string, TensorToWrite>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const entries = [...tensors].map(([name, t]) => {
    const dtype = t.dtype ?? 'F32';
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length) {
      throw new CarlError('SHAPE_MISMATCH', `shape [${t.shape.join(', ')}] holds ${count} values, got ${t.values.length}`, { field: name });
    }
    if (name === '__metadata__') throw new CarlError('INVALID_ARGUMENT', '"__metadata__" is reserved', { field: name });
    return { name, dtype, shape: t.shape, values: t.values };
  });
  entries.sort((a, b) => BYTES[b.dtype] - BYTES[a.dtype] || DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareBytes(a.name, b.name));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  for (const e of entries) {
    const size = e.values.length * BYTES[e.dtype];
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const withSpaces = new Uint8Array(padded).fill(0x20);
    withSpaces.set(json);
    json = withSpaces;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const e of entries) {
    const n = e.values.length;
    if (e.dtype === 'F32') {
      for (let i = 0; i < n; i++) view.setFloat32(at + i * 4, e.values[i] as number, true);
    } else if (e.dtype === 'F16') {
      for (let i = 0; i < n; i++) view.setUint16(at + i * 2, floatToHalf(e.values[i] as number), true);
    } else {
      for (let i = 0; i < n; i++) view.setUint16(at + i * 2, floatToBfloat16(e.values[i] as number), true);
    }
    at += n * BYTES[e.dtype];
  }
  return out;
}

// The reference implementation orders equal-width dtypes by its enum order (BF16 after F16), descending.
const DTYPE_RANK: Readonly<Record<SafetensorsDType, number>> = { BOOL: 0, U8: 1, I8: 2, I16: 3, F16: 4, BF16: 5, I32: 6, F32: 7, F64: 8, I64: 9 };

function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Reads and parses a safetensors file from disk (`NOT_FOUND` when absent).
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readSafetensorsFile('ckpt/model.safetensors');
 * ```
 */
export function readSafetensorsFile(file: string): SafetensorsFile {
  if (!fs.existsSync(file)) throw new CarlError('NOT_FOUND', 'safetensors file not found', { file });
  return readSafetensors(fs.readFileSync(file), file);
}

/**
 * Writes tensors to a safetensors file atomically (a temporary file renamed into place), so an
 * interrupted checkpoint never leaves a half-written model behind.
 *
 * @example
 * ```ts
 * writeSafetensorsFile('out/model.safetensors', new Map([['w', { shape: [1], values: Float32Array.of(3) }]]));
 * ```
 */
export function writeSafetensorsFile(file: string, tensors: ReadonlyMap<string, TensorToWrite>, metadata?: Readonly<Record<string, string>>): void {
  writeFileAtomic(file, writeSafetensors(tensors, metadata));
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits → number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** number → IEEE binary16 bits, rounding to nearest even (as PyTorch's `.half()`), with subnormals, ±Inf and NaN. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → ±Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    const m = mantissa | 0x800000; // implicit leading one
    const shift = 14 - e;
    let half = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && (half & 1) === 1)) half += 1;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // Round to nearest even; a carry out of the mantissa correctly bumps the exponent (up to Inf).
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half += 1;
  return sign | half;
}

/** number → bfloat16 bits (the top half of the float32), rounding to nearest even; NaN stays NaN. */
export function floatToBfloat16(value: number): number {
  f32[0] = value;
  const x = u32[0] as number;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}
