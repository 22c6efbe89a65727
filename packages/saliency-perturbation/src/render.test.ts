import type { ExplainedToken, SaliencyExplanation } from './explain';
import { renderSaliencyHtml, renderSaliencySvg } from './render';

function explanation(tokens: Array<[string, number, number?]>, text = 'text'): SaliencyExplanation {
  const max = Math.max(0, ...tokens.map(([, s]) => s));
  return {
    text,
    score: 'grad-norm',
    loss: 0,
    truncated: 0,
    tokens: tokens.map(([token, score, attribution], position): ExplainedToken => {
      const special = /^(\[(CLS|SEP)\]|<\/?s>)$/.test(token);
      return { token, id: position, position, score, normalized: max > 0 ? score / max : 0, attribution: attribution ?? score, special };
    }),
  };
}

/** The (text, alpha) of each HTML span, in order. */
function spans(html: string): Array<[string, number, string]> {
  return [...html.matchAll(/background-color:rgba\((\d+),(\d+),(\d+),([\d.]+)\)[^>]*>([^<]*)<\/span>/g)].map((m) => [m[5] as string, Number(m[4]), `${m[1]},${m[2]},${m[3]}`]);
}

describe('renderSaliencyHtml', () => {
  const ex = explanation([['[CLS]', 0], ['what', 1], ['a', 0.5], ['joy', 4], ['[SEP]', 0]]);

  it('colours each token by its score relative to the strongest, hiding specials by default', () => {
    expect(spans(renderSaliencyHtml(ex)).map(([t, a]) => [t, a])).toEqual([['what', 0.25], ['a', 0.125], ['joy', 1]]);
    expect(spans(renderSaliencyHtml(ex, { showSpecial: true })).map(([t]) => t)).toEqual(['[CLS]', 'what', 'a', 'joy', '[SEP]']);
    expect(renderSaliencyHtml(ex)).toContain('title="joy · score 4.0000 · attribution +4.0000"');
  });

  it('attribution mode: red up, blue down, scaled by the largest |attribution|', () => {
    const signed = explanation([['good', 1, 2], ['bad', 1, -4], ['film', 1, 0]]);
    expect(spans(renderSaliencyHtml(signed, { mode: 'attribution' }))).toEqual([
      ['good', 0.5, '215,48,39'],
      ['bad', 1, '69,117,180'],
      ['film', 0, '215,48,39'],
    ]);
  });

  it('global normalisation puts sentences on one scale', () => {
    const strong = explanation([['joy', 4]]);
    const weak = explanation([['meh', 2]]);
    expect(spans(renderSaliencyHtml([strong, weak])).map(([, a]) => a)).toEqual([1, 1]);
    expect(spans(renderSaliencyHtml([strong, weak], { normalize: 'global' })).map(([, a]) => a)).toEqual([1, 0.5]);
  });

  it('joins sub-word pieces back into words and escapes markup', () => {
    const wordpiece = renderSaliencyHtml(explanation([['[CLS]', 0], ['play', 1], ['##ing', 2], ['<b>', 1], ['[SEP]', 0]]));
    const text = wordpiece.replace(/<span[^>]*>/g, '').replace(/<\/span>/g, '');
    expect(text).toContain('>playing &lt;b&gt;</p>');
    expect(wordpiece).not.toContain('<b>');
    const bpe = renderSaliencyHtml(explanation([['<s>', 0], ['I', 1], ['\u0120love', 1], ['ly', 1], ['\u0120days', 1], ['</s>', 0]]));
    expect(bpe.replace(/<span[^>]*>/g, '').replace(/<\/span>/g, '')).toContain('>I lovely days</p>');
    expect(renderSaliencyHtml(ex, { title: 'Valence & co' })).toContain('Valence &amp; co');
  });

  it('rejects unknown modes', () => {
    expect(() => renderSaliencyHtml(ex, { mode: 'heat' as 'score' })).toThrow(expect.objectContaining({ location: { field: 'mode' } }));
  });
});

describe('renderSaliencySvg', () => {
  const ex = explanation([['[CLS]', 0], ['so', 1], ['happy', 3], ['&', 0.5], ['today', 2], ['[SEP]', 0]]);

  it('draws one box and one label per visible token in a well-formed SVG', () => {
    const svg = renderSaliencySvg(ex, { title: 'Arousal' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(1 + 4); // background + tokens
    expect(svg.match(/<g>/g)?.length).toBe(svg.match(/<\/g>/g)?.length);
    expect([...svg.matchAll(/fill-opacity="([\d.]+)"/g)].map((m) => Number(m[1]))).toEqual([0.333, 1, 0.167, 0.667]);
    expect(svg).toContain('>&amp;</text>');
    expect(svg).toContain('>Arousal</text>');
  });

  it('wraps lines at the given width and grows the height', () => {
    const wide = renderSaliencySvg(ex, { width: 800, fontSize: 10 });
    const narrow = renderSaliencySvg(ex, { width: 60, fontSize: 10 });
    const rows = (svg: string): number => new Set([...svg.matchAll(/<rect x="[\d.]+" y="(\d+)"/g)].map((m) => m[1])).size;
    expect(rows(wide)).toBe(1);
    expect(rows(narrow)).toBeGreaterThan(2);
    const height = (svg: string): number => Number(/height="(\d+)"/.exec(svg)?.[1]);
    expect(height(narrow)).toBeGreaterThan(height(wide));
    expect(() => renderSaliencySvg(ex, { width: 0 })).toThrow(expect.objectContaining({ location: { field: 'width' } }));
  });
});
