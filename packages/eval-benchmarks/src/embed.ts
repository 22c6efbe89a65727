import { CarlError } from '@carl/core';
import { checkInteger } from './validate';

/**
 * Any sentence-embedding model, as evaluation sees it: texts in, one vector per text out, same
 * order. Sync or async, so a tfjs encoder, a remote API or a hand-made baseline all fit.
 */
export type EmbedFunction = (texts: readonly string[]) => Promise<readonly ArrayLike<number>[]> | readonly ArrayLike<number>[];

/** Options of {@link cachedEmbedder}. */
export interface CachedEmbedderOptions {
  /** Texts per call to the wrapped function. Default 64. */
  readonly batchSize?: number;
  /** Called after each batch with the number of texts embedded so far and the number requested in this call. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** An {@link EmbedFunction} that remembers every vector it has produced. */
export interface CachedEmbedder {
  /** Embeddings of `texts` (cached ones are not recomputed; duplicates are embedded once). */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /** Width of the vectors (undefined before the first call). */
  readonly dimension: number | undefined;
  /** Distinct texts embedded so far. */
  readonly size: number;
  /** Texts served from the cache so far (including duplicates within one call). */
  readonly hits: number;
  /** Seconds spent inside the wrapped function. */
  readonly seconds: number;
}

/**
 * Wraps an embedding function with a per-text cache, batching and checks. Within one evaluation the
 * same sentence often appears in several tasks (EmoBank in `emobank-va` and `align-uniform`), and
 * every k-fold task re-uses its texts k times; the cache embeds each distinct text once. Every
 * returned vector is checked (count, width, finite values) so a broken model fails loudly, naming
 * the text, instead of producing NaN metrics.
 *
 * @example
 * ```ts
 * const cache = cachedEmbedder(async (texts) => model.embed(texts), { batchSize: 32 });
 * const [a, b] = await cache.embed(['so happy', 'so sad']);
 * ```
 */
export function cachedEmbedder(embed: EmbedFunction, options: CachedEmbedderOptions = {}): CachedEmbedder {
  const batchSize = options.batchSize ?? 64;
  checkInteger(batchSize, 1, Number.MAX_SAFE_INTEGER, 'batchSize');
  const store = new Map<string, Float32Array>();
  let dimension: number | undefined;
  let hits = 0;
  let seconds = 0;

  const run = async (texts: readonly string[]): Promise<Float32Array[]> => {
    const missing = [...new Set(texts.filter((t) => !store.has(t)))];
    hits += texts.length - missing.length;
    for (let start = 0; start < missing.length; start += batchSize) {
      const batch = missing.slice(start, start + batchSize);
      const began = performance.now();
      const vectors = await embed(batch);
      seconds += (performance.now() - began) / 1000;
      if (!Array.isArray(vectors) || vectors.length !== batch.length) {
        throw new CarlError('SHAPE_MISMATCH', `the embedding function returned ${Array.isArray(vectors) ? vectors.length : typeof vectors} vectors for ${batch.length} texts`, {
          field: 'embed',
        });
      }
      vectors.forEach((vector: ArrayLike<number>, i: number) => {
        const text = batch[i] as string;
        const where = { field: `embed(${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)})` };
        if (vector === null || typeof vector !== 'object' || typeof vector.length !== 'number') {
          throw new CarlError('INVALID_ARGUMENT', 'the embedding function returned something that is not a vector', where);
        }
        dimension ??= vector.length;
        if (vector.length !== dimension || dimension === 0) {
          throw new CarlError('SHAPE_MISMATCH', `vector of width ${vector.length}, expected ${dimension}`, where);
        }
        const copy = Float32Array.from(vector);
        const bad = copy.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) throw new CarlError('NUMERIC_INSTABILITY', `vector holds ${copy[bad]} at index ${bad}`, where);
        store.set(text, copy);
      });
      options.onProgress?.(Math.min(start + batchSize, missing.length), missing.length);
    }
    return texts.map((t) => store.get(t) as Float32Array);
  };

  return {
    embed: run,
    get dimension() {
      return dimension;
    },
    get size() {
      return store.size;
    },
    get hits() {
      return hits;
    },
    get seconds() {
      return seconds;
    },
  };
}
