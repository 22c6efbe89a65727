/**
 * Example: valence and arousal for every sentence of a file (CSV, TSV, JSON Lines or plain text),
 * written as CSV — with the rating scale of your choice.
 *
 *   npm run build && npm start -- --model runs/carl/model --input reviews.csv --text-column body --out va.csv --scale 1-9
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fromUnitRange, initBackend } from '@carl/core';
import { readTextTable } from '@carl/datasets';
import { loadCarlModel } from '@carl/trainer';

/** Options of {@link predictFile}. */
export interface PredictFileOptions {
  /** Model folder written by `carl train` / `trainCarl`. */
  readonly model: string;
  readonly input: string;
  /** Column or field holding the text (not needed for .txt). Default `text`. */
  readonly textColumn?: string;
  /** Column or field copied to the output as `id`. Default: the `id` column when there is one, else the line number. */
  readonly idColumn?: string;
  /** Skip invalid rows (empty text, duplicate id, bad bytes) instead of stopping at the first. Default false. */
  readonly skipBadRows?: boolean;
  /** Output CSV. */
  readonly out: string;
  /** Report on [−1, 1] (`unit`, default) or on a 1–5 / 1–9 rating scale. */
  readonly scale?: 'unit' | '1-5' | '1-9';
  /** Texts per forward pass. Default 32. */
  readonly batchSize?: number;
}

/**
 * Predicts valence and arousal for each text of `input` and writes `id,text,valence,arousal` rows.
 * Returns the number of rows written.
 *
 * @example
 * ```ts
 * await predictFile({ model: 'runs/carl/model', input: 'posts.txt', out: 'va.csv', scale: '1-9' });
 * ```
 */
export async function predictFile(options: PredictFileOptions): Promise<number> {
  await initBackend();
  // The same strict reader as `carl predict-va`: a bad row is an error naming its line, never a silent guess.
  const { rows } = await readTextTable(options.input, {
    ...(options.textColumn === undefined ? {} : { textColumn: options.textColumn }),
    ...(options.idColumn === undefined ? {} : { idColumn: options.idColumn }),
    skipBadRows: options.skipBadRows ?? false,
  });
  const model = await loadCarlModel(options.model);
  try {
    const [min, max] = options.scale === '1-5' ? [1, 5] : options.scale === '1-9' ? [1, 9] : [-1, 1];
    const toScale = (x: number): number => fromUnitRange(x, { name: options.scale ?? 'unit', min: min as number, max: max as number });
    const predictions = model.predictVA(
      rows.map((r) => r.text),
      { batchSize: options.batchSize ?? 32 },
    );
    const quote = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = rows.map((r, i) => {
      const p = predictions[i] as { valence: number; arousal: number };
      return [quote(r.id), quote(r.text), toScale(p.valence).toFixed(4), toScale(p.arousal).toFixed(4)].join(',');
    });
    fs.writeFileSync(options.out, `id,text,valence,arousal\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`);
    return rows.length;
  } finally {
    model.dispose();
  }
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      input: { type: 'string' },
      'text-column': { type: 'string' },
      'id-column': { type: 'string' },
      out: { type: 'string' },
      scale: { type: 'string' },
    },
  });
  if (values.model === undefined || values.input === undefined || values.out === undefined) {
    console.error('Usage: npm start -- --model DIR --input FILE [--text-column C] [--id-column C] --out FILE.csv [--scale unit|1-5|1-9]');
    process.exitCode = 2;
  } else {
    predictFile({
      model: values.model,
      input: values.input,
      out: values.out,
      ...(values['text-column'] === undefined ? {} : { textColumn: values['text-column'] }),
      ...(values['id-column'] === undefined ? {} : { idColumn: values['id-column'] }),
      ...(values.scale === undefined ? {} : { scale: values.scale as 'unit' | '1-5' | '1-9' }),
    }).then(
      (n) => console.log(`wrote ${n} predictions to ${values.out}`),
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
  }
}
