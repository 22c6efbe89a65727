import { isCarlError } from '@carl/core';
import { findAll, parseXml } from './__fixtures__/xml';
import { barChartSvg, divergingColor, dotChartSvg, escapeXml, lineChartSvg, niceTicks, panelGridSvg, scatterSvg, seriesStyles, SERIES_COLORS } from './svg';

const num = (v: string | undefined): number => Number(v);

describe('scatterSvg', () => {
  const points = [[0, 0], [10, 10], [5, 2]];
  const svg = scatterSvg({ points, values: [-1, 1, 0], title: 'valence <PCA>', colorLabel: 'valence', labels: ['sad & "blue"', 'glad', 'meh'] });
  const root = parseXml(svg);

  it('is a well-formed standalone SVG document', () => {
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(root.name).toBe('svg');
    expect(root.attrs['xmlns']).toBe('http://www.w3.org/2000/svg');
    expect(root.attrs['viewBox']).toBe('0 0 560 480');
  });

  /** Marks in input order (they are drawn neutral-first), found by their hover text. */
  const marksByLabel = (): ReturnType<typeof findAll> => {
    const marks = findAll(root, 'circle', 'point');
    return ['sad', 'glad', 'meh'].map((l) => marks.find((m) => (m.children[0]?.text ?? '').startsWith(l)) as ReturnType<typeof findAll>[number]);
  };

  it('draws one mark per point, coloured by value on the diverging scale, extremes on top', () => {
    const marks = findAll(root, 'circle', 'point');
    expect(marks).toHaveLength(3);
    expect(marksByLabel().map((m) => m.attrs['fill'])).toEqual(['#3b4cc0', '#b40426', '#dddddd']);
    expect(marksByLabel()[0]?.children[0]?.text).toBe('sad & "blue" — valence -1');
    // drawing order: the neutral point first, then the extremes (ties in input order)
    expect(marks.map((m) => Number(m.attrs['data-value']))).toEqual([0, -1, 1]);
  });

  it('places points by a linear map with 5 % padding inside the frame (y grows upwards)', () => {
    const [a, b, c] = marksByLabel();
    // x domain [0, 10] padded to [−0.5, 10.5], mapped onto [56, 464]
    const x = (v: number): number => 56 + ((v + 0.5) / 11) * 408;
    expect(num(a?.attrs['cx'])).toBeCloseTo(x(0), 1);
    expect(num(b?.attrs['cx'])).toBeCloseTo(x(10), 1);
    expect(num(c?.attrs['cx'])).toBeCloseTo(x(5), 1);
    // y domain [0, 10] padded likewise, mapped onto [bottom 432, top 40] (the title takes the top band)
    const y = (v: number): number => 432 - ((v + 0.5) / 11) * 392;
    expect(num(a?.attrs['cy'])).toBeCloseTo(y(0), 1);
    expect(num(b?.attrs['cy'])).toBeCloseTo(y(10), 1);
    expect(num(a?.attrs['cy'])).toBeGreaterThan(num(b?.attrs['cy']));
  });

  it('escapes the title and has a colour bar with its label', () => {
    expect(findAll(root, 'text', 'title')[0]?.text).toBe('valence <PCA>');
    expect(findAll(root, 'rect', 'colorbar')).toHaveLength(1);
    expect(findAll(root, 'stop')).toHaveLength(5);
    expect(findAll(root, 'text', 'colorbar-label')[0]?.text).toBe('valence');
  });

  it('rejects mismatched or non-finite input', () => {
    expect(() => scatterSvg({ points: [[0, 0]], values: [] })).toThrow(/1 points but 0 values/);
    let caught: unknown;
    try {
      scatterSvg({ points: [[0, Number.NaN]], values: [0] });
    } catch (e) {
      caught = e;
    }
    expect(isCarlError(caught, 'INVALID_ARGUMENT')).toBe(true);
    expect(isCarlError(caught) && caught.location.field).toBe('points[0]');
  });
});

describe('lineChartSvg', () => {
  it('draws one polyline per series with a legend, and breaks lines at NaN', () => {
    const svg = lineChartSvg({
      title: 'loss',
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        { name: 'train', y: [3, 2, 1.5, 1.2] },
        { name: 'dev', x: [0, 1, 2, 3, 4], y: [3.1, Number.NaN, 2, 1.9, Number.NaN] },
      ],
    });
    const root = parseXml(svg);
    const lines = findAll(root, 'polyline', 'line');
    expect(lines).toHaveLength(2); // train, and dev after its gap; dev's first point stands alone
    expect(lines[0]?.attrs['points']?.split(' ')).toHaveLength(4);
    expect(lines[1]?.attrs['points']?.split(' ')).toHaveLength(2);
    expect(findAll(root, 'g', 'line-point')).toHaveLength(1);
    expect(findAll(root, 'g', 'legend-item').map((g) => g.children[1]?.text)).toEqual(['train', 'dev']);
    expect(findAll(root, 'text', 'x-label')[0]?.text).toBe('step');
  });

  it('maps x monotonically and y downwards in SVG space', () => {
    const root = parseXml(lineChartSvg({ series: [{ name: 's', y: [0, 1, 4] }] }));
    const pts = (findAll(root, 'polyline', 'line')[0]?.attrs['points'] ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect((pts[1] as number[])[0]).toBeGreaterThan((pts[0] as number[])[0] as number);
    expect((pts[2] as number[])[1]).toBeLessThan((pts[1] as number[])[1] as number);
    // equal x spacing for evenly spaced steps
    expect(((pts[2] as number[])[0] as number) - ((pts[1] as number[])[0] as number)).toBeCloseTo(((pts[1] as number[])[0] as number) - ((pts[0] as number[])[0] as number), 1);
  });

  it('log-scales y, spacing decades equally and dropping non-positive values', () => {
    const root = parseXml(lineChartSvg({ logY: true, series: [{ name: 's', y: [100, 10, 1, 0] }] }));
    const pts = (findAll(root, 'polyline', 'line')[0]?.attrs['points'] ?? '').split(' ').map((p) => p.split(',').map(Number));
    expect(pts).toHaveLength(3);
    expect(((pts[1] as number[])[1] as number) - ((pts[0] as number[])[1] as number)).toBeCloseTo(((pts[2] as number[])[1] as number) - ((pts[1] as number[])[1] as number), 1);
  });

  it('rejects empty or unusable input', () => {
    expect(() => lineChartSvg({ series: [] })).toThrow(/at least one series/);
    expect(() => lineChartSvg({ series: [{ name: 'x', y: [Number.NaN] }] })).toThrow(/no finite point/);
    expect(() => lineChartSvg({ series: [{ name: 'x', x: [1], y: [1, 2] }] })).toThrow(/1 x values but 2 y values/);
  });
});

describe('barChartSvg', () => {
  const svg = barChartSvg({
    title: 'Pearson r',
    categories: ['emobank-va', 'sst2', 'align'],
    series: [
      { name: 'carl', values: [0.4, 0.8, -0.5], errors: [0.02, 0.01, Number.NaN] },
      { name: 'simcse', values: [0.2, Number.NaN, -1], errors: [0.05, 0, 0.1] },
    ],
  });
  const root = parseXml(svg);
  const bars = findAll(root, 'rect', 'bar');

  it('draws a bar per finite value and an error bar per finite non-zero error', () => {
    expect(bars).toHaveLength(5);
    expect(findAll(root, 'path', 'error-bar').map((p) => num(p.attrs['data-error']))).toEqual([0.02, 0.05, 0.01, 0.1]);
    expect(findAll(root, 'text', 'category').map((t) => t.text)).toEqual(['emobank-va', 'sst2', 'align']);
  });

  it('makes bar heights proportional to values, hanging negatives below the zero line', () => {
    const zero = num(findAll(root, 'line', 'axis').find((l) => l.attrs['y1'] === l.attrs['y2'])?.attrs['y1']);
    const byValue = new Map(bars.map((b) => [num(b.attrs['data-value']), b]));
    const h = (v: number): number => num(byValue.get(v)?.attrs['height']);
    expect(h(0.8) / h(0.4)).toBeCloseTo(2, 1);
    expect(h(-1) / h(-0.5)).toBeCloseTo(2, 1);
    // positive bars end at the zero line, negative ones start there
    expect(num(byValue.get(0.4)?.attrs['y']) + h(0.4)).toBeCloseTo(zero, 1);
    expect(num(byValue.get(-0.5)?.attrs['y'])).toBeCloseTo(zero, 1);
  });

  it('error bars span value ± error in data units', () => {
    const path = findAll(root, 'path', 'error-bar')[0]?.attrs['d'] ?? '';
    const [, lo, hi] = /^M[\d.]+,([\d.]+)V([\d.]+)/.exec(path) ?? [];
    const bar = bars[0];
    const pxPerUnit = num(bar?.attrs['height']) / 0.4;
    expect(num(lo) - num(hi)).toBeCloseTo(2 * 0.02 * pxPerUnit, 0);
  });

  it('slants category names that would not fit their band, and keeps short ones level', () => {
    expect(findAll(root, 'text', 'category').every((t) => t.attrs['transform'] === undefined)).toBe(true);
    const names = ['emobank-va V', 'emobank-va A', 'fb-va V', 'fb-va A', 'mr', 'cr', 'sst2', 'sst5', 'dair-emotion', 'goemotions-ekman'];
    const wide = parseXml(barChartSvg({ categories: names, series: [0, 1, 2].map((k) => ({ name: `m${k}`, values: names.map(() => 0.5) })) }));
    const labels = findAll(wide, 'text', 'category');
    expect(labels).toHaveLength(10);
    expect(labels.every((t) => /^rotate\(-30 /.test(t.attrs['transform'] ?? ''))).toBe(true);
  });

  it('rejects ragged series', () => {
    expect(() => barChartSvg({ categories: ['a', 'b'], series: [{ name: 's', values: [1] }] })).toThrow(/1 values for 2 categories/);
    expect(() => barChartSvg({ categories: ['a'], series: [{ name: 's', values: [1], errors: [1, 2] }] })).toThrow(/2 errors/);
  });
});

describe('helpers', () => {
  it('niceTicks picks 1-2-5 steps covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 7, 5)).toEqual([-2, 0, 2, 4, 6]);
    expect(niceTicks(0.31, 0.38, 4)).toEqual([0.32, 0.34, 0.36, 0.38]);
    expect(niceTicks(2, 2)).toEqual([2]);
  });

  it('divergingColor interpolates blue → grey → red and clamps', () => {
    expect(divergingColor(-1)).toBe('#3b4cc0');
    expect(divergingColor(0)).toBe('#dddddd');
    expect(divergingColor(1)).toBe('#b40426');
    expect(divergingColor(7)).toBe('#b40426');
    // halfway between #dddddd (221,221,221) and #b40426 (180,4,38): (200.5,112.5,129.5) rounded
    expect(divergingColor(0.5)).toBe('#c97182');
    expect(divergingColor(3, [1, 5])).toBe('#dddddd');
  });

  it('escapeXml escapes markup and drops characters XML forbids', () => {
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});

describe('series styles, dot panels and grids', () => {
  it('gives 14 names 14 different colour+marker pairs and keeps a name’s style whatever else is drawn', () => {
    const names = Array.from({ length: 14 }, (_, i) => `method-${i}`);
    const styles = seriesStyles(names);
    expect(new Set([...styles.values()].map((s) => s.color)).size).toBe(14);
    expect(new Set([...styles.values()].map((s) => `${s.color}/${s.marker}`)).size).toBe(14);
    expect(SERIES_COLORS).not.toContain('#F0E442'); // too light on white
    // Two series with the same marker must not also have near colours (RGB distance; sky blue #56B4E9
    // and blue-grey #6699CC, 43 apart, were once drawn as the same cross).
    const rgb = (hex: string): number[] => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
    const styleList = [...styles.values()];
    for (const [i, a] of styleList.entries()) {
      for (const b of styleList.slice(i + 1).filter((s) => s.marker === a.marker)) {
        expect(Math.hypot(...rgb(a.color).map((v, k) => v - (rgb(b.color)[k] as number)))).toBeGreaterThan(70);
      }
    }
    const a = lineChartSvg({ series: [{ name: 'method-3', y: [1, 2], style: styles.get('method-3') }] });
    const b = lineChartSvg({ series: [{ name: 'method-0', y: [1, 2], style: styles.get('method-0') }, { name: 'method-3', y: [2, 1], style: styles.get('method-3') }] });
    const colorOf = (svg: string, name: string): string | undefined => findAll(parseXml(svg), 'polyline', 'line').find((l) => l.children.some((c) => c.text === name))?.attrs['stroke'];
    expect(colorOf(a, 'method-3')).toBe(styles.get('method-3')?.color);
    expect(colorOf(b, 'method-3')).toBe(styles.get('method-3')?.color);
  });

  it('fits a dot panel’s y axis to the data (not to 0) and names the metric', () => {
    const svg = dotChartSvg({ title: 'sst2', yLabel: 'accuracy', items: [{ name: 'a', value: 0.61, error: 0.01 }, { name: 'b', value: 0.66 }] });
    const root = parseXml(svg);
    const ticks = findAll(root, 'text').map((t) => Number(t.text)).filter((v) => Number.isFinite(v) && v > 0 && v < 1);
    expect(Math.min(...ticks)).toBeGreaterThan(0.55); // the axis starts near the data, far above 0
    expect(findAll(root, 'text', 'y-label')[0]?.text).toBe('accuracy');
    expect(findAll(root, 'path', 'error-bar')).toHaveLength(1);
  });

  it('nests panels as positioned <svg> elements with a shared legend, as one well-formed document', () => {
    const p = dotChartSvg({ items: [{ name: 'a', value: 1 }], width: 200, height: 150 });
    const grid = parseXml(panelGridSvg([p, p, p], { columns: 2, title: 'grid', legend: [{ name: 'a', style: seriesStyles(['a']).get('a')! }] }));
    const nested = grid.children.filter((c) => c.name === 'svg');
    expect(nested.map((n) => [n.attrs['x'], n.attrs['y']])).toEqual([['0', '36'], ['200', '36'], ['0', '186']]);
    expect(grid.attrs['width']).toBe('400');
    expect(findAll(grid, 'g', 'legend-item')).toHaveLength(1);
  });

  it('shrinks a long title to fit the width', () => {
    const svg = lineChartSvg({ title: 'x'.repeat(60), width: 400, series: [{ name: 's', y: [1, 2] }] });
    const size = Number(findAll(parseXml(svg), 'text', 'title')[0]?.attrs['font-size']);
    expect(size).toBeLessThan(15);
    expect(size * 0.6 * 60).toBeLessThanOrEqual(400);
  });
});
