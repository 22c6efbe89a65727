import type { SaliencyExplanation } from './explain';
import { renderSaliencyHtml } from './render';

/** Options of {@link explanationPage}. */
export interface ExplanationPageOptions {
  /** Page title and heading. Default: "What drives the predicted <target>". */
  readonly title?: string;
  /** What the attributions explain, named in the legend. Default `valence`. */
  readonly target?: string;
  /**
   * The model's prediction for each explanation (same order), shown beside the text, e.g.
   * `{ valence: 0.42, arousal: -0.1 }`.
   */
  readonly predictions?: ReadonlyArray<Readonly<Record<string, number>>>;
  /**
   * `global` (default): one colour scale for every sentence on the page, so sentences compare.
   * `sentence`: each sentence's strongest token gets full colour.
   */
  readonly normalize?: 'sentence' | 'global';
}

/**
 * A complete, self-contained HTML page explaining predictions token by token: doctype, UTF-8
 * charset, a legend, each token coloured by the sign of its effect (red raises the target, blue
 * lowers it; exact numbers in the tooltip) and, when given, each text's predicted values.
 *
 * @example
 * ```ts
 * const explanations = texts.map((t) => model.explain(t, { target: 'valence', score: 'grad-x-input' }));
 * fs.writeFileSync('why.html', explanationPage(explanations, { target: 'valence', predictions: model.predictVA(texts) }));
 * ```
 */
export function explanationPage(explanations: SaliencyExplanation | readonly SaliencyExplanation[], options: ExplanationPageOptions = {}): string {
  const list = Array.isArray(explanations) ? (explanations as readonly SaliencyExplanation[]) : [explanations as SaliencyExplanation];
  const target = options.target ?? 'valence';
  const title = options.title ?? `What drives the predicted ${target}`;
  const normalize = options.normalize ?? 'global';
  // One renderer call, so `global` really is one colour scale; it writes one <p> line per explanation.
  const rendered = renderSaliencyHtml(list, { mode: 'attribution', normalize }).split('\n').filter((line) => line.startsWith('<p'));
  const sections = list.map((_, i) => {
    const prediction = options.predictions?.[i];
    const values =
      prediction === undefined
        ? ''
        : `<p class="prediction">${Object.entries(prediction)
            .map(([name, value]) => `${escapeHtml(name)} <b>${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(3)}</b>`)
            .join(' · ')}</p>\n`;
    return `<section>\n${values}${rendered[i] ?? ''}\n</section>`;
  });
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    '<style>body{font-family:system-ui,sans-serif;max-width:48em;margin:2em auto;padding:0 1em;color:#111}' +
      'section{border-top:1px solid #ddd;padding:0.6em 0}.prediction{margin:0;color:#444;font-size:0.9em}' +
      '.legend span{border-radius:3px;padding:0 4px}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="legend">Each token is coloured by its effect on the predicted ${escapeHtml(target)} (gradient × input): ` +
      `<span style="background-color:rgba(215,48,39,0.8);color:#fff">red raises it</span>, ` +
      `<span style="background-color:rgba(69,117,180,0.8);color:#fff">blue lowers it</span>; ` +
      `the stronger the colour, the larger the effect${list.length > 1 && normalize === 'global' ? ' (one scale for the whole page)' : ''}. ` +
      'Hover over a token for its exact score and attribution.</p>',
    ...sections,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
