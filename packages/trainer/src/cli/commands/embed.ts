import { writeFileAtomic } from '@carl/core';
import { createProgress } from '../../progress';
import { optionalInteger } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { BACKEND_FLAGS, COMMON, jsonProgress, outputFile, readInputTexts, requirePath, round9, TEXT_INPUT_FLAGS, withModel } from '../options';

export const embedCommand: Command = {
  name: 'embed',
  summary: 'Write the sentence embedding of every text of a file as JSON lines (to a file, or to stdout).',
  usage: 'carl embed --model DIR --input FILE [--text-column C] [--id-column C] [--skip-bad-rows] [--out FILE.jsonl [--force]]',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder (from carl train, or any encoder folder). Required.' },
    input: { type: 'string', value: 'FILE', doc: 'Texts: .txt (one per line), .csv, .tsv or .jsonl. Required.' },
    ...TEXT_INPUT_FLAGS,
    out: { type: 'string', value: 'FILE', doc: 'Output JSON Lines, {"id", "text", "embedding": [...]} per text (default: stdout).' },
    'batch-size': { type: 'string', value: 'N', doc: 'Texts per forward pass (default: 64).' },
    force: COMMON.force,
    'log-json': COMMON.logJson,
    ...BACKEND_FLAGS,
    help: COMMON.help,
  },
  positionals: false,
  async run(args, io) {
    const input = requirePath(args, io, 'input', 'embed');
    const modelDir = requirePath(args, io, 'model', 'embed');
    const batchSize = optionalInteger(args, 'batch-size', 1) ?? 64;
    const out = outputFile(args, io);
    const rows = await readInputTexts(input, args, io);
    return withModel(args, modelDir, (model) => {
      const progress = createProgress({ label: 'embed', total: rows.length, stream: io.stderr, json: jsonProgress(args, io), every: 1000 });
      let last = 0;
      const vectors = model.embed(
        rows.map((r) => r.text),
        {
          batchSize,
          onBatch: (done) => {
            progress.update({ done, examples: done - last });
            last = done;
          },
        },
      );
      const lines = rows.map((r, i) => `${JSON.stringify({ id: r.id, text: r.text, embedding: Array.from(vectors[i] as Float32Array, round9) })}\n`);
      if (out === undefined) for (const line of lines) io.stdout.write(line);
      else writeFileAtomic(out, lines.join(''));
      progress.finish(out === undefined ? {} : { out });
      return EXIT_CODES.ok;
    });
  },
};
