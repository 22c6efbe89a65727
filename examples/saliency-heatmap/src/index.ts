/**
 * Example: a saliency heat map — which tokens raise or lower the valence (or arousal) a trained CARL
 * model predicts — as a self-contained HTML page and an SVG picture.
 *
 *   npm run build && npm start -- --model runs/carl/model --target valence --out heatmap "I loved the film but the ending was awful"
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { initBackend } from '@carl/core';
import { explanationPage, renderSaliencySvg, type SaliencyExplanation } from '@carl/saliency-perturbation';
import { loadCarlModel } from '@carl/trainer';

/** Sentences explained when none are given. */
export const DEFAULT_TEXTS: readonly string[] = [
  'I loved the film, but the ending was awful.',
  'The quiet lake at dawn made me feel calm and happy.',
  'They shouted angrily and the children were terrified.',
];

/** Options of {@link saliencyHeatmap}. */
export interface HeatmapOptions {
  readonly model: string;
  readonly texts?: readonly string[];
  /** What to explain. Default `valence`. */
  readonly target?: 'valence' | 'arousal';
  /** Files to write: `<out>.html` and `<out>.svg`. Omit to only return the markup. */
  readonly out?: string;
}

/** The explanations and their renderings. */
export interface Heatmap {
  readonly explanations: SaliencyExplanation[];
  readonly html: string;
  readonly svg: string;
}

/**
 * Explains each text's predicted valence/arousal token by token and renders the result
 * (red: the token raises the prediction, blue: it lowers it).
 *
 * @example
 * ```ts
 * const { html } = await saliencyHeatmap({ model: 'runs/carl/model', texts: ['What a lovely day'] });
 * ```
 */
export async function saliencyHeatmap(options: HeatmapOptions): Promise<Heatmap> {
  await initBackend();
  const model = await loadCarlModel(options.model);
  try {
    const target = options.target ?? 'valence';
    const texts = options.texts ?? DEFAULT_TEXTS;
    const explanations = texts.map((text) => model.explain(text, { target, score: 'grad-x-input' }));
    const title = `What drives the predicted ${target} (red raises it, blue lowers it)`;
    // The same page `carl explain --html` writes: legend, sign colours on one scale, the predicted values.
    const predictions = model.predictVA(texts).map((p) => ({ valence: p.valence, arousal: p.arousal }));
    const page = explanationPage(explanations, { title, target, predictions });
    const svg = renderSaliencySvg(explanations, { mode: 'attribution', normalize: 'global', title });
    if (options.out !== undefined) {
      fs.writeFileSync(`${options.out}.html`, page);
      fs.writeFileSync(`${options.out}.svg`, svg);
    }
    return { explanations, html: page, svg };
  } finally {
    model.dispose();
  }
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ options: { model: { type: 'string' }, target: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
  if (values.model === undefined) {
    console.error('Usage: npm start -- --model DIR [--target valence|arousal] [--out heatmap] ["text" …]');
    process.exitCode = 2;
  } else {
    const out = values.out ?? 'heatmap';
    saliencyHeatmap({
      model: values.model,
      out,
      ...(positionals.length > 0 ? { texts: positionals } : {}),
      ...(values.target === 'arousal' ? { target: 'arousal' as const } : {}),
    }).then(
      ({ explanations }) => {
        for (const e of explanations) {
          const top = [...e.tokens].filter((t) => !t.special).sort((a, b) => Math.abs(b.attribution) - Math.abs(a.attribution)).slice(0, 3);
          console.log(`${e.text}\n  strongest: ${top.map((t) => `${t.token} (${t.attribution > 0 ? '+' : ''}${t.attribution.toFixed(3)})`).join(', ')}`);
        }
        console.log(`wrote ${out}.html and ${out}.svg`);
      },
      (error: unknown) => {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
      },
    );
  }
}
