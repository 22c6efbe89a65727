import * as path from 'node:path';
import { CarlError, writeFileAtomic, type VA } from '@carl/core';
import { explanationPage } from '@carl/saliency-perturbation';
import { optionalString } from '../args';
import type { Command } from '../command';
import { EXIT_CODES } from '../exit-codes';
import { BACKEND_FLAGS, COMMON, oneLine, outputFile, requirePath, round4, withModel } from '../options';

export const explainCommand: Command = {
  name: 'explain',
  summary: 'Show which tokens drive the predicted valence (or arousal) of a text: gradient saliency per token.',
  usage: 'carl explain --model DIR [--target valence|arousal] [--score grad-norm|grad-x-input] [--html FILE] [--json] "text" …',
  flags: {
    model: { type: 'string', value: 'DIR', doc: 'Model folder written by carl train. Required.' },
    target: { type: 'string', value: 'valence|arousal', doc: 'What to explain (default: valence).' },
    score: { type: 'string', value: 'grad-norm|grad-x-input', doc: 'Saliency score (default: grad-norm).' },
    html: { type: 'string', value: 'FILE', doc: 'Also write an HTML page: each token red (raises the target) or blue (lowers it), with the predicted values.' },
    json: { type: 'boolean', doc: 'Print JSON (tokens with score and signed attribution).' },
    force: { type: 'boolean', doc: 'Overwrite --html.' },
    ...BACKEND_FLAGS,
    help: COMMON.help,
  },
  positionals: true,
  async run(args, io) {
    const modelDir = requirePath(args, io, 'model', 'explain');
    if (args.positionals.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no text to explain: pass it as an argument, e.g. carl explain --model DIR "I loved it"');
    const target = optionalString(args, 'target') ?? 'valence';
    if (target !== 'valence' && target !== 'arousal') throw new CarlError('INVALID_ARGUMENT', `must be valence or arousal, got ${JSON.stringify(target)}`, { field: '--target' });
    const score = optionalString(args, 'score') ?? 'grad-norm';
    if (score !== 'grad-norm' && score !== 'grad-x-input') throw new CarlError('INVALID_ARGUMENT', `must be grad-norm or grad-x-input, got ${JSON.stringify(score)}`, { field: '--score' });
    const html = outputFile(args, io, 'html');
    return withModel(args, modelDir, (model) => {
      const explanations = args.positionals.map((text) => model.explain(text, { target, score }));
      const predictions = model.predictVA(args.positionals);
      if (args.flags['json'] === true) {
        explanations.forEach((e, i) =>
          io.stdout.write(
            `${JSON.stringify({ text: e.text, target, prediction: round4((predictions[i] as VA)[target]), score, tokens: e.tokens.filter((t) => !t.special).map((t) => ({ token: t.token, score: round4(t.score), normalized: round4(t.normalized), attribution: round4(t.attribution) })) })}\n`,
          ),
        );
      } else {
        explanations.forEach((e, i) => {
          io.stdout.write(`${target} ${(predictions[i] as VA)[target].toFixed(3)}  ${oneLine(e.text)}\n`);
          for (const t of e.tokens) {
            if (t.special) continue;
            const bar = '█'.repeat(Math.round(t.normalized * 20));
            const sign = t.attribution > 0 ? '+' : t.attribution < 0 ? '−' : ' ';
            io.stdout.write(`  ${t.token.padEnd(16)} ${bar.padEnd(20)} ${sign}${Math.abs(t.attribution).toFixed(4)}\n`);
          }
        });
        io.stdout.write(`(bar: saliency relative to the sentence's most salient token; sign: whether the token raises (+) or lowers (−) the predicted ${target})\n`);
      }
      if (html !== undefined) {
        const page = explanationPage(explanations, { target, predictions: predictions.map((p) => ({ valence: p.valence, arousal: p.arousal })) });
        writeFileAtomic(html, page);
        // stderr, so that --json output on stdout stays pure JSON lines.
        io.stderr.write(`wrote ${path.relative(io.cwd, html) || html}\n`);
      }
      return EXIT_CODES.ok;
    });
  },
};
