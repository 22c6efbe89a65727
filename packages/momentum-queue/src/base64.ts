import { CarlError } from '@carl/core';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/**
 * float32 values as base64 of their little-endian bytes. Written out (not `Buffer`) so checkpoints
 * read the same in Node and in browsers, and explicit about byte order whatever the host's.
 */
export function encodeFloat32(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] as number, true);
  let out = '';
  const chunk: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = i + 1 < bytes.length ? (bytes[i + 1] as number) : 0;
    const c = i + 2 < bytes.length ? (bytes[i + 2] as number) : 0;
    const triple = (a << 16) | (b << 8) | c;
    chunk.push(
      ALPHABET[(triple >> 18) & 63] as string,
      ALPHABET[(triple >> 12) & 63] as string,
      i + 1 < bytes.length ? (ALPHABET[(triple >> 6) & 63] as string) : '=',
      i + 2 < bytes.length ? (ALPHABET[triple & 63] as string) : '=',
    );
    if (chunk.length >= 8192) {
      out += chunk.join('');
      chunk.length = 0;
    }
  }
  return out + chunk.join('');
}

/** The inverse of {@link encodeFloat32}; throws `INVALID_CHECKPOINT` naming `field` on malformed text. */
export function decodeFloat32(text: string, field: string): Float32Array {
  if (typeof text !== 'string' || text.length % 4 !== 0) {
    throw new CarlError('INVALID_CHECKPOINT', 'not base64 text (length must be a multiple of 4)', { field });
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const byteLength = (text.length / 4) * 3 - padding;
  if (byteLength % 4 !== 0) throw new CarlError('INVALID_CHECKPOINT', `${byteLength} bytes is not a whole number of float32 values`, { field });
  const bytes = new Uint8Array(byteLength);
  for (let i = 0, o = 0; i < text.length; i += 4) {
    let triple = 0;
    for (let k = 0; k < 4; k++) {
      const code = text.charCodeAt(i + k);
      const isPad = code === 61 && i + k >= text.length - padding;
      const value = isPad ? 0 : code < 128 ? (LOOKUP[code] as number) : -1;
      if (value < 0) throw new CarlError('INVALID_CHECKPOINT', `invalid base64 character at ${i + k}`, { field });
      triple = (triple << 6) | value;
    }
    if (o < byteLength) bytes[o++] = (triple >> 16) & 255;
    if (o < byteLength) bytes[o++] = (triple >> 8) & 255;
    if (o < byteLength) bytes[o++] = triple & 255;
  }
  const view = new DataView(bytes.buffer);
  const out = new Float32Array(byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
