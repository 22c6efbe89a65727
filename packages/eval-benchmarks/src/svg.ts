import { CarlError } from '@carl/core';

// Dependency-free SVG writers. Every chart is one standalone document (XML prolog, xmlns, viewBox,
// inline styles only) so it renders in a browser, on GitHub and in a Markdown preview as is.
// Marks carry a class (`point`, `line`, `bar`, `error-bar`) and a <title> for hover text, which also
// makes the output easy to test and to post-process.

/** Okabe–Ito palette: eight colours that stay distinct for the common colour-vision deficiencies. */
export const CATEGORICAL_COLORS: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/**
 * Series colours for many methods: Okabe–Ito without its yellow (too light on white), then Paul Tol's
 * muted and dark colours. Paired with {@link SERIES_MARKERS} so that colour and shape together stay
 * distinct for 14 series (and for readers who cannot tell some of the colours apart). Series i and i + 7
 * share a marker, so the second seven are ordered to differ in hue from the first seven at the same
 * position (Tol's blue-grey is never drawn with Okabe–Ito's sky blue, nor his grey with black).
 */
export const SERIES_COLORS: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#882255', '#6699CC', '#AA4499', '#44AA99', '#888888', '#661100', '#999933'];

/** Marker shapes cycled with {@link SERIES_COLORS}. */
export const SERIES_MARKERS: readonly MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down', 'cross', 'star'];

/** A marker shape of {@link SERIES_MARKERS}. */
export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down' | 'cross' | 'star';

/** Colour and marker of one series (method), the same in every figure. */
export interface SeriesStyle {
  readonly color: string;
  readonly marker: MarkerShape;
}

/**
 * A fixed style per name, in the order given: pass the full list of methods once and hand the map to
 * every chart, so a method keeps its colour and marker across figures even when some are missing.
 *
 * @example
 * ```ts
 * const styles = seriesStyles(['none', 'simcse', 'carl']);
 * styles.get('carl'); // { color: '#009E73', marker: 'triangle' }
 * ```
 */
export function seriesStyles(names: readonly string[]): Map<string, SeriesStyle> {
  return new Map(names.map((name, i) => [name, defaultStyle(i)]));
}

/** SVG for one marker centred at (cx, cy) with "radius" r. */
export function markerSvg(shape: MarkerShape, cx: number, cy: number, r: number, color: string, extra = ''): string {
  const pts = (list: readonly (readonly [number, number])[]): string => list.map(([x, y]) => `${fmt(cx + x * r)},${fmt(cy + y * r)}`).join(' ');
  const style = `fill="${color}" stroke="#222" stroke-width="0.6"${extra}`;
  switch (shape) {
    case 'circle':
      return `<circle class="marker" cx="${fmt(cx)}" cy="${fmt(cy)}" r="${fmt(r)}" ${style}/>`;
    case 'square':
      return `<rect class="marker" x="${fmt(cx - r * 0.9)}" y="${fmt(cy - r * 0.9)}" width="${fmt(1.8 * r)}" height="${fmt(1.8 * r)}" ${style}/>`;
    case 'triangle':
      return `<polygon class="marker" points="${pts([[0, -1.2], [1.1, 0.8], [-1.1, 0.8]])}" ${style}/>`;
    case 'triangle-down':
      return `<polygon class="marker" points="${pts([[0, 1.2], [1.1, -0.8], [-1.1, -0.8]])}" ${style}/>`;
    case 'diamond':
      return `<polygon class="marker" points="${pts([[0, -1.3], [1.1, 0], [0, 1.3], [-1.1, 0]])}" ${style}/>`;
    case 'cross':
      return `<polygon class="marker" points="${pts([[-0.35, -1.1], [0.35, -1.1], [0.35, -0.35], [1.1, -0.35], [1.1, 0.35], [0.35, 0.35], [0.35, 1.1], [-0.35, 1.1], [-0.35, 0.35], [-1.1, 0.35], [-1.1, -0.35], [-0.35, -0.35]])}" ${style}/>`;
    case 'star': {
      const star = Array.from({ length: 10 }, (_, i) => {
        const a = -Math.PI / 2 + (i * Math.PI) / 5;
        const rr = i % 2 === 0 ? 1.3 : 0.55;
        return [rr * Math.cos(a), rr * Math.sin(a)] as const;
      });
      return `<polygon class="marker" points="${pts(star)}" ${style}/>`;
    }
  }
}

/** Endpoints of the diverging scale used for valence and arousal (Moreland's cool-warm: blue → grey → red). */
export const DIVERGING_COLORS: readonly [string, string, string] = ['#3b4cc0', '#dddddd', '#b40426'];

/** Size and text common to every chart. */
export interface ChartOptions {
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
  readonly xLabel?: string;
  readonly yLabel?: string;
}

/** Options of {@link scatterSvg}. */
export interface ScatterOptions extends ChartOptions {
  /** One `[x, y]` per point. */
  readonly points: readonly (readonly number[])[];
  /** One value per point, mapped to colour on a diverging scale. */
  readonly values: readonly number[];
  /** Value range of the colour scale. Default `[-1, 1]` (the common VA range, so pictures of different models compare). */
  readonly colorDomain?: readonly [number, number];
  /** Legend caption of the colour bar. */
  readonly colorLabel?: string;
  /** Point radius in pixels. Default 3. */
  readonly radius?: number;
  /** Optional hover text per point (e.g. the sentence). */
  readonly labels?: readonly string[];
}

/**
 * A scatter plot coloured by a continuous value, with a colour bar: e.g. a 2-D projection of sentence
 * embeddings coloured by valence.
 *
 * @example
 * ```ts
 * const svg = scatterSvg({ points: [[0, 1], [1, 0]], values: [-0.5, 0.8], title: 'valence', colorLabel: 'valence' });
 * fs.writeFileSync('valence.svg', svg);
 * ```
 */
export function scatterSvg(options: ScatterOptions): string {
  const { points, values } = options;
  if (points.length !== values.length) throw new CarlError('SHAPE_MISMATCH', `${points.length} points but ${values.length} values`, { field: 'values' });
  points.forEach((p, i) => {
    if (p.length !== 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      throw new CarlError('INVALID_ARGUMENT', 'each point must be two finite numbers', { field: `points[${i}]` });
    }
  });
  const width = options.width ?? 560;
  const height = options.height ?? 480;
  const frame = { left: 56, right: width - 96, top: options.title === undefined ? 16 : 40, bottom: height - 48 };
  const xs = points.map((p) => p[0] as number);
  const ys = points.map((p) => p[1] as number);
  const xScale = linearScale(paddedExtent(xs), [frame.left, frame.right]);
  const yScale = linearScale(paddedExtent(ys), [frame.bottom, frame.top]);
  const domain = options.colorDomain ?? [-1, 1];
  const radius = options.radius ?? 3;
  const parts: string[] = [];
  parts.push(axes(frame, xScale, yScale, options));
  // Neutral points first, extreme ones last: in a dense cloud the informative colours stay on top.
  const mid = (domain[0] + domain[1]) / 2;
  const order = points.map((_, i) => i).sort((a, b) => distanceFromMid(values[a] as number, mid) - distanceFromMid(values[b] as number, mid) || a - b);
  order.forEach((i) => {
    const p = points[i] as readonly number[];
    const v = values[i] as number;
    const fill = Number.isFinite(v) ? divergingColor(v, domain) : '#ffffff';
    const hover = `${options.labels?.[i] !== undefined ? `${options.labels[i]} — ` : ''}${options.colorLabel ?? 'value'} ${fmt(v, 3)}`;
    parts.push(
      `<circle class="point" cx="${fmt(xScale(p[0] as number))}" cy="${fmt(yScale(p[1] as number))}" r="${radius}" fill="${fill}" fill-opacity="0.85" stroke="#333" stroke-width="0.3" data-value="${fmt(v, 4)}"><title>${escapeXml(hover)}</title></circle>`,
    );
  });
  parts.push(colorBar(frame.right + 24, frame.top, frame.bottom, domain, options.colorLabel ?? 'value'));
  return document(width, height, options.title, parts);
}

/** One line of a {@link lineChartSvg}. */
export interface LineSeries {
  readonly name: string;
  /** y values; `NaN` leaves a gap. */
  readonly y: readonly number[];
  /** x values (default 0, 1, 2, …). */
  readonly x?: readonly number[];
  /** Colour and marker (default: by position in {@link SERIES_COLORS} / {@link SERIES_MARKERS}). */
  readonly style?: SeriesStyle;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions extends ChartOptions {
  readonly series: readonly LineSeries[];
  /** Plot y on a log₁₀ axis (losses spanning decades). Non-positive values become gaps. Default false. */
  readonly logY?: boolean;
}

/**
 * Lines over a shared x axis with a legend, e.g. training and validation loss per step.
 *
 * @example
 * ```ts
 * lineChartSvg({ title: 'loss', xLabel: 'step', series: [{ name: 'train', y: [2.1, 1.4, 1.1] }] });
 * ```
 */
export function lineChartSvg(options: LineChartOptions): string {
  if (options.series.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one series', { field: 'series' });
  const toY = (v: number): number => (options.logY === true ? (v > 0 ? Math.log10(v) : Number.NaN) : v);
  const prepared = options.series.map((s, si) => {
    const x = s.x ?? s.y.map((_, i) => i);
    if (x.length !== s.y.length) throw new CarlError('SHAPE_MISMATCH', `${x.length} x values but ${s.y.length} y values`, { field: `series[${si}].x` });
    return { name: s.name, pts: x.map((xv, i) => [xv, toY(s.y[i] as number)] as const) };
  });
  const finite = prepared.flatMap((s) => s.pts.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)));
  if (finite.length === 0) throw new CarlError('INVALID_ARGUMENT', 'no finite point to draw', { field: 'series' });
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const styles = options.series.map((s, si) => s.style ?? defaultStyle(si));
  const frame = { left: 64, right: width - legendWidth(options.series.map((s) => s.name)), top: options.title === undefined ? 16 : 40, bottom: height - 48 };
  const xScale = linearScale(extent(finite.map((p) => p[0])), [frame.left, frame.right]);
  const yScale = linearScale(paddedExtent(finite.map((p) => p[1])), [frame.bottom, frame.top]);
  const parts = [axes(frame, xScale, yScale, options, options.logY === true)];
  prepared.forEach((s, si) => {
    const style = styles[si] as SeriesStyle;
    const color = style.color;
    // Split at non-finite values so a missing evaluation shows as a gap rather than a false line.
    const segments: string[][] = [[]];
    for (const [a, b] of s.pts) {
      if (Number.isFinite(a) && Number.isFinite(b)) (segments.at(-1) as string[]).push(`${fmt(xScale(a))},${fmt(yScale(b))}`);
      else if ((segments.at(-1) as string[]).length > 0) segments.push([]);
    }
    for (const seg of segments.filter((g) => g.length > 0)) {
      if (seg.length === 1) {
        const [cx, cy] = (seg[0] as string).split(',').map(Number) as [number, number];
        parts.push(`<g class="line-point"><title>${escapeXml(s.name)}</title>${markerSvg(style.marker, cx, cy, 3.5, color)}</g>`);
      } else {
        parts.push(`<polyline class="line" points="${seg.join(' ')}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeXml(s.name)}</title></polyline>`);
        // A few markers along the line, so series stay apart where colours are hard to tell apart.
        const every = Math.max(1, Math.floor(seg.length / 6));
        for (let i = 0; i < seg.length; i += every) {
          const [mx, my] = (seg[i] as string).split(',').map(Number) as [number, number];
          parts.push(markerSvg(style.marker, mx, my, 3.5, color));
        }
      }
    }
  });
  parts.push(legend(frame.right + 16, frame.top, options.series.map((s) => s.name), styles));
  return document(width, height, options.title, parts);
}

/** One group of bars (e.g. one method) in a {@link barChartSvg}. */
export interface BarSeries {
  readonly name: string;
  /** One value per category; `NaN` draws no bar. */
  readonly values: readonly number[];
  /** Half-length of each error bar (e.g. the std over seeds); `NaN`/absent draws none. */
  readonly errors?: readonly number[];
  /** Colour (default: by position in {@link SERIES_COLORS}). */
  readonly style?: SeriesStyle;
}

/** Options of {@link barChartSvg}. */
export interface BarChartOptions extends ChartOptions {
  /** The x-axis groups (e.g. tasks). */
  readonly categories: readonly string[];
  /** One bar per category in each series (e.g. methods), side by side. */
  readonly series: readonly BarSeries[];
  /** Fixed y range; default: from the data, always including 0. */
  readonly yDomain?: readonly [number, number];
}

/**
 * Grouped bars with error bars, e.g. Pearson r per task for each method, mean ± std over seeds.
 * Bars start at 0, so negative scores (uniformity, a bad correlation) hang below the axis.
 *
 * @example
 * ```ts
 * barChartSvg({ categories: ['emobank-va', 'sst2'], series: [{ name: 'carl', values: [0.41, 0.78], errors: [0.01, 0.02] }] });
 * ```
 */
export function barChartSvg(options: BarChartOptions): string {
  const { categories, series } = options;
  if (categories.length === 0 || series.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one category and one series', { field: 'series' });
  series.forEach((s, si) => {
    if (s.values.length !== categories.length) {
      throw new CarlError('SHAPE_MISMATCH', `${s.values.length} values for ${categories.length} categories`, { field: `series[${si}].values` });
    }
    if (s.errors !== undefined && s.errors.length !== categories.length) {
      throw new CarlError('SHAPE_MISMATCH', `${s.errors.length} errors for ${categories.length} categories`, { field: `series[${si}].errors` });
    }
  });
  const width = options.width ?? Math.max(480, 120 + categories.length * (24 + series.length * 18) + 150);
  const longest = Math.max(...categories.map((c) => c.length));
  const height = options.height ?? 400 + Math.min(120, Math.max(0, longest - 12) * 3);
  const frame = { left: 64, right: width - legendWidth(series.map((s) => s.name)), top: options.title === undefined ? 16 : 40, bottom: height - 24 - Math.min(140, longest * 3.5) };
  const tops: number[] = [0];
  series.forEach((s) =>
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const e = s.errors?.[i];
      const err = e !== undefined && Number.isFinite(e) ? Math.abs(e) : 0;
      tops.push(v + err, v - err);
    }),
  );
  const yScale = linearScale(options.yDomain ?? paddedExtent(tops, 0.05), [frame.bottom, frame.top]);
  const band = (frame.right - frame.left) / categories.length;
  const barWidth = Math.min(28, (band * 0.8) / series.length);
  const parts: string[] = [];
  parts.push(yAxis(frame, yScale, options.yLabel));
  const zero = yScale(clamp(0, yScale.domain));
  parts.push(`<line class="axis" x1="${fmt(frame.left)}" y1="${fmt(zero)}" x2="${fmt(frame.right)}" y2="${fmt(zero)}" stroke="#333"/>`);
  // Category names that would not fit their band are slanted instead of overlapping their neighbours
  // (≈ 6.5 px per character at 11 px).
  const slant = categories.some((c) => c.length * 6.5 > band * 0.95);
  categories.forEach((cat, ci) => {
    const center = frame.left + band * (ci + 0.5);
    const y = frame.bottom + (slant ? 12 : 18);
    parts.push(
      slant
        ? `<text class="category" x="${fmt(center)}" y="${fmt(y)}" text-anchor="end" font-size="11" transform="rotate(-30 ${fmt(center)} ${fmt(y)})">${escapeXml(cat)}</text>`
        : `<text class="category" x="${fmt(center)}" y="${fmt(y)}" text-anchor="middle" font-size="11">${escapeXml(cat)}</text>`,
    );
    series.forEach((s, si) => {
      const v = s.values[ci] as number;
      if (!Number.isFinite(v)) return;
      const x = center - (barWidth * series.length) / 2 + si * barWidth;
      const y1 = yScale(clamp(v, yScale.domain));
      const color = (s.style ?? defaultStyle(si)).color;
      const e = s.errors?.[ci];
      const hover = `${s.name} · ${cat}: ${fmt(v, 4)}${e !== undefined && Number.isFinite(e) ? ` ± ${fmt(e, 4)}` : ''}`;
      parts.push(
        `<rect class="bar" x="${fmt(x + 1)}" y="${fmt(Math.min(y1, zero))}" width="${fmt(barWidth - 2)}" height="${fmt(Math.abs(zero - y1))}" fill="${color}" data-value="${fmt(v, 4)}"><title>${escapeXml(hover)}</title></rect>`,
      );
      if (e !== undefined && Number.isFinite(e) && e !== 0) {
        const cx = x + barWidth / 2;
        const hi = yScale(clamp(v + Math.abs(e), yScale.domain));
        const lo = yScale(clamp(v - Math.abs(e), yScale.domain));
        parts.push(
          `<path class="error-bar" d="M${fmt(cx)},${fmt(lo)}V${fmt(hi)}M${fmt(cx - 4)},${fmt(lo)}H${fmt(cx + 4)}M${fmt(cx - 4)},${fmt(hi)}H${fmt(cx + 4)}" stroke="#222" stroke-width="1.2" fill="none" data-error="${fmt(Math.abs(e), 4)}"/>`,
        );
      }
    });
  });
  parts.push(legend(frame.right + 16, frame.top, series.map((s) => s.name), series.map((s, si) => s.style ?? defaultStyle(si)), 'square'));
  return document(width, height, options.title, parts);
}

/** Options of {@link dotChartSvg}. */
export interface DotChartOptions extends ChartOptions {
  /** One dot per item (e.g. per method), left to right. */
  readonly items: readonly { readonly name: string; readonly value: number; readonly error?: number; readonly style?: SeriesStyle }[];
  /** Draw the item names under the axis (default true; off when a shared legend names them). */
  readonly itemLabels?: boolean;
}

/**
 * One value per item as a marker with an error bar, the y axis fitted to the data (not to 0), so the
 * differences between methods are visible: one panel of {@link panelGridSvg}'s small multiples.
 *
 * @example
 * ```ts
 * dotChartSvg({ title: 'sst2', yLabel: 'accuracy', items: [{ name: 'simcse', value: 0.66, error: 0.01 }, { name: 'carl', value: 0.68 }] });
 * ```
 */
export function dotChartSvg(options: DotChartOptions): string {
  const { items } = options;
  if (items.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one item', { field: 'items' });
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const labels = options.itemLabels ?? true;
  const longest = labels ? Math.max(...items.map((i) => i.name.length)) : 0;
  const frame = { left: 62, right: width - 12, top: options.title === undefined ? 16 : 36, bottom: height - 16 - (labels ? Math.min(110, longest * 5.2) : 6) };
  const spans: number[] = [];
  for (const it of items) {
    if (!Number.isFinite(it.value)) continue;
    const e = it.error !== undefined && Number.isFinite(it.error) ? Math.abs(it.error) : 0;
    spans.push(it.value - e, it.value + e);
  }
  const yScale = linearScale(spans.length === 0 ? [0, 1] : paddedExtent(spans, 0.12), [frame.bottom, frame.top]);
  const band = (frame.right - frame.left) / items.length;
  const parts: string[] = [yAxis(frame, yScale, options.yLabel)];
  parts.push(`<rect class="frame" x="${fmt(frame.left)}" y="${fmt(frame.top)}" width="${fmt(frame.right - frame.left)}" height="${fmt(frame.bottom - frame.top)}" fill="none" stroke="#999"/>`);
  items.forEach((it, i) => {
    const cx = frame.left + band * (i + 0.5);
    const style = it.style ?? defaultStyle(i);
    if (labels) {
      const y = frame.bottom + 10;
      parts.push(`<text class="category" x="${fmt(cx)}" y="${fmt(y)}" text-anchor="end" font-size="10" transform="rotate(-45 ${fmt(cx)} ${fmt(y)})">${escapeXml(it.name)}</text>`);
    }
    if (!Number.isFinite(it.value)) return;
    const e = it.error;
    if (e !== undefined && Number.isFinite(e) && e !== 0) {
      const hi = yScale(it.value + Math.abs(e));
      const lo = yScale(it.value - Math.abs(e));
      parts.push(`<path class="error-bar" d="M${fmt(cx)},${fmt(lo)}V${fmt(hi)}M${fmt(cx - 3)},${fmt(lo)}H${fmt(cx + 3)}M${fmt(cx - 3)},${fmt(hi)}H${fmt(cx + 3)}" stroke="${style.color}" stroke-width="1.2" fill="none" data-error="${fmt(Math.abs(e), 4)}"/>`);
    }
    const hover = `${it.name}: ${fmt(it.value, 4)}${e !== undefined && Number.isFinite(e) ? ` ± ${fmt(e, 4)}` : ''}`;
    parts.push(`<g class="point" data-value="${fmt(it.value, 4)}"><title>${escapeXml(hover)}</title>${markerSvg(style.marker, cx, yScale(it.value), 4.5, style.color)}</g>`);
  });
  return document(width, height, options.title, parts);
}

/** Options of {@link panelGridSvg}. */
export interface PanelGridOptions {
  readonly title?: string;
  /** Panels per row. Default 3. */
  readonly columns?: number;
  /** A legend under the grid (names with their styles), shared by all panels. */
  readonly legend?: readonly { readonly name: string; readonly style: SeriesStyle }[];
}

/**
 * Small multiples: standalone SVG documents (from this module's charts) laid out in a grid as nested
 * `<svg>` elements, each keeping its own axes and scale, with one shared legend below.
 *
 * @example
 * ```ts
 * panelGridSvg([dotChartSvg(a), dotChartSvg(b)], { columns: 2, title: 'Scores per task' });
 * ```
 */
export function panelGridSvg(panels: readonly string[], options: PanelGridOptions = {}): string {
  if (panels.length === 0) throw new CarlError('INVALID_ARGUMENT', 'needs at least one panel', { field: 'panels' });
  const columns = Math.max(1, Math.min(options.columns ?? 3, panels.length));
  const sizes = panels.map((p) => {
    const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(p);
    return m === null ? [320, 240] : [Number(m[1]), Number(m[2])];
  });
  const cellW = Math.max(...sizes.map((s) => s[0] as number));
  const cellH = Math.max(...sizes.map((s) => s[1] as number));
  const rows = Math.ceil(panels.length / columns);
  const top = options.title === undefined ? 0 : 36;
  const width = columns * cellW;
  const entries = options.legend ?? [];
  const perRow = Math.max(1, Math.floor(width / (Math.max(0, ...entries.map((e) => e.name.length)) * 7 + 40)));
  const legendHeight = entries.length === 0 ? 0 : 16 + Math.ceil(entries.length / perRow) * 20;
  const height = top + rows * cellH + legendHeight;
  const parts: string[] = [];
  panels.forEach((p, i) => {
    const body = p.replace(/^<\?xml[^>]*>\s*/, '');
    const x = (i % columns) * cellW;
    const y = top + Math.floor(i / columns) * cellH;
    parts.push(body.replace(/^<svg /, `<svg x="${fmt(x)}" y="${fmt(y)}" `).trimEnd());
  });
  const colWidth = width / perRow;
  entries.forEach((e, i) => {
    const x = (i % perRow) * colWidth + 16;
    const y = top + rows * cellH + 16 + Math.floor(i / perRow) * 20;
    parts.push(`<g class="legend-item">${markerSvg(e.style.marker, x + 6, y + 6, 5, e.style.color)}<text x="${fmt(x + 16)}" y="${fmt(y + 10)}">${escapeXml(e.name)}</text></g>`);
  });
  return document(width, height, options.title, parts);
}

/** Escapes text for use inside SVG/XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string)
    // Control characters other than tab/newline are not allowed in XML 1.0 at all.
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/** A linear map from `domain` to `range`, remembering its domain. */
export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
}

/** Linear scale; a zero-width domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const f = ((v: number) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0))) as LinearScale;
  Object.defineProperty(f, 'domain', { value: [d0, d1] as const });
  return f;
}

/**
 * About `count` round tick values covering [min, max], with steps of 1, 2 or 5 × 10ᵏ.
 *
 * @example
 * ```ts
 * niceTicks(0, 1, 5); // [0, 0.2, 0.4, 0.6, 0.8, 1]
 * ```
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(Number.isFinite(min) && Number.isFinite(max))) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number((Math.round(v / step) * step).toPrecision(12)));
  return ticks;
}

/**
 * Linear interpolation through the three {@link DIVERGING_COLORS}: domain[0] → blue, middle → grey,
 * domain[1] → red; values outside the domain are clamped.
 *
 * @example
 * ```ts
 * divergingColor(-1); // '#3b4cc0'
 * divergingColor(3, [1, 5]); // '#dddddd'
 * ```
 */
export function divergingColor(value: number, domain: readonly [number, number] = [-1, 1]): string {
  const t = clamp((value - domain[0]) / (domain[1] - domain[0] || 1), [0, 1]);
  const [low, mid, high] = DIVERGING_COLORS.map(hexToRgb) as [number[], number[], number[]];
  const [a, b, u] = t < 0.5 ? [low, mid, t * 2] : [mid, high, (t - 0.5) * 2];
  return `#${a.map((c, i) => Math.round(c + ((b[i] as number) - c) * u).toString(16).padStart(2, '0')).join('')}`;
}

function distanceFromMid(v: number, mid: number): number {
  return Number.isFinite(v) ? Math.abs(v - mid) : -1;
}

function hexToRgb(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function document(width: number, height: number, title: string | undefined, parts: readonly string[]): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`;
  const bg = `<rect class="background" x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`;
  // Shrink a long title to the width (≈ 0.6 em per character) instead of letting it run off the edges.
  const titleSize = title === undefined ? 15 : Math.max(9, Math.min(15, (width - 16) / (0.6 * [...title].length)));
  const heading = title === undefined ? '' : `<text class="title" x="${width / 2}" y="24" text-anchor="middle" font-size="${fmt(titleSize, 1)}" font-weight="600">${escapeXml(title)}</text>`;
  return [head, title === undefined ? '' : `<title>${escapeXml(title)}</title>`, bg, heading, ...parts, '</svg>', ''].filter((p) => p !== '').join('\n') + '\n';
}

interface Frame {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function axes(frame: Frame, x: LinearScale, y: LinearScale, options: ChartOptions, logY = false): string {
  const out: string[] = [];
  out.push(`<rect class="frame" x="${fmt(frame.left)}" y="${fmt(frame.top)}" width="${fmt(frame.right - frame.left)}" height="${fmt(frame.bottom - frame.top)}" fill="none" stroke="#999"/>`);
  for (const t of niceTicks(x.domain[0], x.domain[1], 6)) {
    const px = x(t);
    out.push(`<line class="tick" x1="${fmt(px)}" y1="${fmt(frame.bottom)}" x2="${fmt(px)}" y2="${fmt(frame.bottom + 4)}" stroke="#333"/>`);
    out.push(`<text x="${fmt(px)}" y="${fmt(frame.bottom + 16)}" text-anchor="middle" font-size="10">${tickLabel(t)}</text>`);
  }
  out.push(yAxis(frame, y, undefined, logY));
  if (options.xLabel !== undefined) out.push(`<text class="x-label" x="${fmt((frame.left + frame.right) / 2)}" y="${fmt(frame.bottom + 36)}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  if (options.yLabel !== undefined) out.push(yLabel(frame, options.yLabel));
  return out.join('\n');
}

function yAxis(frame: Frame, y: LinearScale, label: string | undefined, logY = false): string {
  const out: string[] = [];
  for (const t of niceTicks(y.domain[0], y.domain[1], 5)) {
    const py = y(t);
    out.push(`<line class="grid" x1="${fmt(frame.left)}" y1="${fmt(py)}" x2="${fmt(frame.right)}" y2="${fmt(py)}" stroke="#eee"/>`);
    out.push(`<text x="${fmt(frame.left - 6)}" y="${fmt(py + 3)}" text-anchor="end" font-size="10">${logY ? tickLabel(10 ** t) : tickLabel(t)}</text>`);
  }
  out.push(`<line class="axis" x1="${fmt(frame.left)}" y1="${fmt(frame.top)}" x2="${fmt(frame.left)}" y2="${fmt(frame.bottom)}" stroke="#333"/>`);
  if (label !== undefined) out.push(yLabel(frame, label));
  return out.join('\n');
}

function yLabel(frame: Frame, label: string): string {
  const cy = (frame.top + frame.bottom) / 2;
  return `<text class="y-label" x="16" y="${fmt(cy)}" text-anchor="middle" transform="rotate(-90 16 ${fmt(cy)})">${escapeXml(label)}</text>`;
}

function defaultStyle(i: number): SeriesStyle {
  return { color: SERIES_COLORS[i % SERIES_COLORS.length] as string, marker: SERIES_MARKERS[i % SERIES_MARKERS.length] as MarkerShape };
}

/** Room for the legend right of the plot: the longest name at ≈ 7 px per character, so nothing is clipped. */
function legendWidth(names: readonly string[]): number {
  return Math.max(150, 40 + 7 * Math.max(0, ...names.map((n) => n.length)));
}

function legend(x: number, y: number, names: readonly string[], styles: readonly SeriesStyle[], kind: 'marker' | 'square' = 'marker'): string {
  return names
    .map((name, i) => {
      const style = styles[i] ?? defaultStyle(i);
      const top = y + i * 18;
      const mark = kind === 'square' ? `<rect x="${fmt(x)}" y="${fmt(top)}" width="12" height="12" fill="${style.color}"/>` : markerSvg(style.marker, x + 6, top + 6, 5, style.color);
      return `<g class="legend-item">${mark}<text x="${fmt(x + 18)}" y="${fmt(top + 10)}">${escapeXml(name)}</text></g>`;
    })
    .join('\n');
}

function colorBar(x: number, top: number, bottom: number, domain: readonly [number, number], label: string): string {
  const id = 'colorbar-gradient';
  const stops = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<stop offset="${t}" stop-color="${divergingColor(domain[1] - t * (domain[1] - domain[0]), domain)}"/>`)
    .join('');
  const mid = (domain[0] + domain[1]) / 2;
  // Two decimals are plenty for a colour key (a data-fitted domain would otherwise print 0.3452).
  const keyLabel = (v: number): string => (Math.abs(domain[1] - domain[0]) < 20 ? String(Number(v.toFixed(2))) : tickLabel(v));
  return [
    `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>`,
    `<rect class="colorbar" x="${fmt(x)}" y="${fmt(top)}" width="14" height="${fmt(bottom - top)}" fill="url(#${id})" stroke="#999"/>`,
    `<text x="${fmt(x + 20)}" y="${fmt(top + 4)}" font-size="10">${keyLabel(domain[1])}</text>`,
    `<text x="${fmt(x + 20)}" y="${fmt((top + bottom) / 2 + 3)}" font-size="10">${keyLabel(mid)}</text>`,
    `<text x="${fmt(x + 20)}" y="${fmt(bottom)}" font-size="10">${keyLabel(domain[0])}</text>`,
    `<text class="colorbar-label" x="${fmt(x + 7)}" y="${fmt(top - 6)}" text-anchor="middle" font-size="11">${escapeXml(label)}</text>`,
  ].join('\n');
}

function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return lo === Infinity ? [0, 1] : [lo, hi];
}

/** Extent widened by `pad` of its span on each side (or by ±1 around a single value), so marks never sit on the frame. */
function paddedExtent(values: readonly number[], pad = 0.05): [number, number] {
  const [lo, hi] = extent(values);
  if (lo === hi) return [lo - 1, hi + 1];
  const span = hi - lo;
  return [lo - span * pad, hi + span * pad];
}

function clamp(v: number, [lo, hi]: readonly [number, number]): number {
  return Math.min(Math.max(v, Math.min(lo, hi)), Math.max(lo, hi));
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e5 || abs < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Coordinates with at most `digits` decimals (keeps files small and diff-friendly). */
function fmt(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return 'NaN';
  return String(Number(v.toFixed(digits)));
}
