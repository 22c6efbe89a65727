import * as path from 'node:path';
import { CarlError, fromUnitRange, writeFileAtomic } from '@carl/core';
import type { TextRow } from '@carl/datasets';
import { optionalString } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { BACKEND_FLAGS, COMMON, oneLine, outputFile, readInputTexts, requirePath, round4, TEXT_INPUT_FLAGS, withModel } from '../options';

interface Scale {
  readonly name: string;
  map(x: number): number;
}

function parseScale(value: string | undefined): Scale {
  switch (value ?? 'unit') {
    case 'unit':
      return { name: 'unit', map: (x) => x };
    case '1-5':
      return { name: '1-5', map: (x) => fromUnitRange(x, { name: 'sam-1-5', min: 1, max: 5 }) };
    case '1-9':
      return { name: '1-9', map: (x) => fromUnitRange(x, { name: 'scale-1-9', min: 1, max: 9 }) };
    default:
      throw new CarlError('INVALID_ARGUMENT', `must be unit, 1-5 or 1-9, got ${JSON.stringify(value)}`, { field: '--scale' });
  }
}

export const predictVACommand: Command = {
  name: 'predict-va',
  summary: 'Predict valence and arousal of texts given as arguments or in a file.',
  usage: 'carl predict-va --model DIR [--scale unit|1-5|1-9] [--json] "text" … | --input FILE [--text-column C] [--skip-bad-rows] [--out FILE.jsonl]',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder written by carl train. Required.' },
    input: { type: 'string', value: 'FILE', doc: 'Read texts from a file (.txt, .csv, .tsv, .jsonl) instead of the arguments.' },
    ...TEXT_INPUT_FLAGS,
    out: { type: 'string', value: 'FILE', doc: 'Write JSON Lines here instead of printing.' },
    scale: { type: 'string', value: 'unit|1-5|1-9', doc: 'Report on [−1, 1] (default), the 1–5 SAM scale (EmoBank) or 1–9 (Warriner, Facebook posts).' },
    json: { type: 'boolean', doc: 'Print JSON lines instead of a table.' },
    force: COMMON.force,
    ...BACKEND_FLAGS,
    help: COMMON.help,
  },
  positionals: true,
  async run(args, io) {
    const modelDir = requirePath(args, io, 'model', 'predict-va');
    const scale = parseScale(optionalString(args, 'scale'));
    const inputFile = optionalString(args, 'input');
    if (inputFile !== undefined && args.positionals.length > 0) throw new CarlError('INVALID_ARGUMENT', 'give texts as arguments or --input, not both', { field: '--input' });
    if (inputFile === undefined && args.positionals.length === 0) {
      throw new CarlError('INVALID_ARGUMENT', 'no texts: pass them as arguments ("I am so happy") or with --input FILE; see carl predict-va --help');
    }
    const empty = args.positionals.findIndex((t) => t.trim() === '');
    if (empty >= 0) throw new CarlError('INVALID_ARGUMENT', `text ${empty + 1} is empty`, { field: 'text' });
    const out = outputFile(args, io);
    const rows: readonly TextRow[] =
      inputFile === undefined ? args.positionals.map((text, i) => ({ text, id: String(i + 1), line: 0 })) : await readInputTexts(path.resolve(io.cwd, inputFile), args, io);
    return withModel(args, modelDir, (model) => {
      const predictions = model.predictVA(rows.map((r) => r.text));
      const records = rows.map((r, i) => {
        const p = predictions[i] as { valence: number; arousal: number };
        return { id: r.id, text: r.text, valence: round4(scale.map(p.valence)), arousal: round4(scale.map(p.arousal)) };
      });
      if (out !== undefined) {
        writeFileAtomic(out, `${records.map((r) => JSON.stringify({ ...r, scale: scale.name })).join('\n')}\n`);
        io.stderr.write(`wrote ${records.length} predictions to ${out}\n`);
      } else if (args.flags['json'] === true) {
        for (const r of records) io.stdout.write(`${JSON.stringify({ ...r, scale: scale.name })}\n`);
      } else {
        io.stdout.write(`${'valence'.padStart(8)} ${'arousal'.padStart(8)}  text (${scale.name} scale)\n`);
        for (const r of records) io.stdout.write(`${r.valence.toFixed(3).padStart(8)} ${r.arousal.toFixed(3).padStart(8)}  ${oneLine(r.text)}\n`);
      }
      return EXIT_CODES.ok;
    });
  },
};
