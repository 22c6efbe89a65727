import type { ExplainedToken, SaliencyExplanation } from './explain';
import { explanationPage } from './explain-page';

function explanation(text: string, tokens: Array<[string, number]>): SaliencyExplanation {
  return {
    text,
    score: 'grad-x-input',
    loss: 0,
    truncated: 0,
    tokens: [['[CLS]', 0] as [string, number], ...tokens, ['[SEP]', 0] as [string, number]].map(
      ([token, attribution], position): ExplainedToken => ({ token, id: position, position, score: Math.abs(attribution), normalized: 0, attribution, special: token.startsWith('[') }),
    ),
  };
}

/** [token, colour, alpha] of each span of a page. */
function spans(html: string): Array<[string, string, number]> {
  return [...html.matchAll(/<span style="background-color:rgba\((\d+),(\d+),(\d+),([\d.]+)\)[^>]*>([^<]*)<\/span>/g)]
    .filter((m) => !/raises|lowers/.test(m[5] as string))
    .map((m) => [m[5] as string, `${m[1]},${m[2]},${m[3]}`, Number(m[4])]);
}

describe('explanationPage', () => {
  const loved = explanation('loved it but awful', [['loved', 0.8], ['it', 0.1], ['but', -0.2], ['awful', -0.4]]);
  const calm = explanation('calm', [['calm', 0.2]]);

  it('is a complete page: doctype, charset, title, legend and the predicted values', () => {
    const page = explanationPage([loved, calm], { target: 'valence', predictions: [{ valence: 0.1234, arousal: -0.5 }, { valence: 0.4, arousal: 0 }] });
    expect(page).toMatch(/^<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">/);
    expect(page).toContain('<title>What drives the predicted valence</title>');
    expect(page).toMatch(/red raises it.*blue lowers it/);
    expect(page).toContain('valence <b>+0.123</b> · arousal <b>−0.500</b>');
    expect(page.match(/<section>/g)).toHaveLength(2);
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
  });

  it('colours each token by the sign of its effect, on one scale for the page', () => {
    const page = explanationPage([loved, calm]);
    // red (215,48,39) raises, blue (69,117,180) lowers; alpha = |attribution| / 0.8 (the page's largest).
    expect(spans(page)).toEqual([
      ['loved', '215,48,39', 1],
      ['it', '215,48,39', 0.125],
      ['but', '69,117,180', 0.25],
      ['awful', '69,117,180', 0.5],
      ['calm', '215,48,39', 0.25],
    ]);
    expect(spans(explanationPage([loved, calm], { normalize: 'sentence' })).at(-1)).toEqual(['calm', '215,48,39', 1]);
  });

  it('escapes the title and texts', () => {
    const page = explanationPage(explanation('x', [['<b>', 1]]), { title: 'A & B' });
    expect(page).toContain('<title>A &amp; B</title>');
    expect(page).toContain('&lt;b&gt;</span>');
  });
});
