/**
 * Example: search a corpus by affect with a trained CARL model.
 *  - by sentence: the corpus sentences nearest to a query sentence in the CARL space (cosine);
 *  - by valence–arousal point: the sentences whose predicted (V, A) — the model's linear read-out of
 *    the same space — lie nearest to the point.
 *
 *   npm run build && npm start -- --model runs/carl/model "I can't wait for the holidays!"
 *   npm start -- --model runs/carl/model --valence=-0.6 --arousal=0.7      # angry / afraid
 *   (corpus: EmoBank's test split via $CARL_DATA_DIR, or --corpus FILE with one sentence per line)
 */
import { parseArgs } from 'node:util';
import { initBackend, type VA } from '@carl/core';
import { loadEmoBank, readTextTable } from '@carl/datasets';
import { loadCarlModel, type CarlModel } from '@carl/trainer';

/** One search hit. */
export interface Hit {
  readonly text: string;
  /** Cosine similarity (sentence query) or VA distance (point query; lower is closer). */
  readonly score: number;
  /** The model's predicted valence and arousal of the hit. */
  readonly va: VA;
}

/**
 * A corpus embedded once, searchable by sentence or by VA point.
 *
 * @example
 * ```ts
 * const index = await AffectIndex.build(model, sentences);
 * index.searchText(model, 'so thrilled!', 5);
 * index.searchVA({ valence: 0.7, arousal: -0.5 }, 5); // calm and pleasant
 * ```
 */
export class AffectIndex {
  private constructor(
    readonly texts: readonly string[],
    private readonly unit: Float32Array[],
    readonly va: readonly VA[],
  ) {}

  /** Embeds (and L2-normalises) every text and predicts its VA. */
  static build(model: CarlModel, texts: readonly string[]): AffectIndex {
    const vectors = model.embed(texts);
    return new AffectIndex(texts, vectors.map(normalize), model.predictVA(texts));
  }

  /** The `k` texts most similar to `query` in the embedding space. */
  searchText(model: CarlModel, query: string, k = 5): Hit[] {
    const q = normalize(model.embed([query])[0] as Float32Array);
    const scored = this.unit.map((v, i) => ({ i, score: dot(q, v) }));
    scored.sort((a, b) => b.score - a.score);
    return scored.slice(0, k).map(({ i, score }) => ({ text: this.texts[i] as string, score, va: this.va[i] as VA }));
  }

  /** The `k` texts whose predicted VA is nearest to `point` (Euclidean on [−1, 1]²). */
  searchVA(point: VA, k = 5): Hit[] {
    const scored = this.va.map((p, i) => ({ i, score: Math.hypot(p.valence - point.valence, p.arousal - point.arousal) }));
    scored.sort((a, b) => a.score - b.score);
    return scored.slice(0, k).map(({ i, score }) => ({ text: this.texts[i] as string, score, va: this.va[i] as VA }));
  }
}

function normalize(v: Float32Array): Float32Array {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / norm);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Options of {@link searchByAffect}. */
export interface SearchOptions {
  readonly model: string;
  /** Sentences to search: default EmoBank's test split (via `dataDir` / `$CARL_DATA_DIR`). */
  readonly corpus?: readonly string[];
  readonly dataDir?: string;
  readonly query?: string;
  readonly point?: VA;
  readonly k?: number;
}

/**
 * Loads the model and corpus and runs one query (a sentence or a VA point).
 *
 * @example
 * ```ts
 * const hits = await searchByAffect({ model: 'runs/carl/model', point: { valence: -0.6, arousal: 0.7 } });
 * ```
 */
export async function searchByAffect(options: SearchOptions): Promise<Hit[]> {
  await initBackend();
  const corpus = options.corpus ?? (await loadEmoBank(options.dataDir === undefined ? {} : { dataDir: options.dataDir })).splits.test?.map((r) => r.text) ?? [];
  const model = await loadCarlModel(options.model);
  try {
    const index = AffectIndex.build(model, corpus);
    if (options.query !== undefined) return index.searchText(model, options.query, options.k ?? 5);
    if (options.point !== undefined) return index.searchVA(options.point, options.k ?? 5);
    throw new Error('give a query sentence or a valence–arousal point');
  } finally {
    model.dispose();
  }
}

if (require.main === module) {
  // Negative values need `=`: `--valence=-0.6` (parseArgs reads `--valence -0.6` as a missing value).
  const { values, positionals } = parseArgs({
    options: { model: { type: 'string' }, corpus: { type: 'string' }, valence: { type: 'string' }, arousal: { type: 'string' }, k: { type: 'string' }, 'data-dir': { type: 'string' } },
    allowPositionals: true,
  });
  const point = values.valence !== undefined && values.arousal !== undefined ? { valence: Number(values.valence), arousal: Number(values.arousal) } : undefined;
  if (values.model === undefined || (positionals.length === 0 && point === undefined)) {
    console.error('Usage: npm start -- --model DIR [--corpus FILE] [--k 5] ("query sentence" | --valence=V --arousal=A)');
    process.exitCode = 2;
  } else {
    const model = values.model;
    const corpusFile = values.corpus;
    // The same strict reader as `carl embed`: a bad line is an error naming it.
    const corpus = corpusFile === undefined ? Promise.resolve(undefined) : readTextTable(corpusFile).then(({ rows }) => rows.map((r) => r.text));
    corpus
      .then((texts) =>
        searchByAffect({
          model,
          ...(texts === undefined ? {} : { corpus: texts }),
          ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
          ...(positionals.length > 0 ? { query: positionals.join(' ') } : { point: point as VA }),
          ...(values.k === undefined ? {} : { k: Number(values.k) }),
        }),
      )
      .then(
        (hits) => {
          for (const h of hits) console.log(`${h.score.toFixed(3)}  V ${h.va.valence.toFixed(2).padStart(5)} A ${h.va.arousal.toFixed(2).padStart(5)}  ${h.text}`);
        },
        (error: unknown) => {
          console.error(error instanceof Error ? error.message : error);
          process.exitCode = 1;
        },
      );
  }
}
