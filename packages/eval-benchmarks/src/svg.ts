import { CarlError } from '@carl/core';

// Dependency-free SVG writers. Every chart is one standalone document (XML prolog, xmlns, viewBox,
// inline styles only) so it renders in a browser, on GitHub and in a Markdown preview as is.
// Marks carry a class (`point`, `line`, `bar`, `error-bar`) and a <title> for hover text, which also
// makes the output easy to test and to post-process.

/** Okabe–Ito palette: eight colours that stay distinct for the common colour-vision deficiencies. */
export const CATEGORICAL_COLORS: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

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
  const frame = { left: 64, right: width - 150, top: options.title === undefined ? 16 : 40, bottom: height - 48 };
  const xScale = linearScale(extent(finite.map((p) => p[0])), [frame.left, frame.right]);
  const yScale = linearScale(paddedExtent(finite.map((p) => p[1])), [frame.bottom, frame.top]);
  const parts = [axes(frame, xScale, yScale, options, options.logY === true)];
  prepared.forEach((s, si) => {
    const color = CATEGORICAL_COLORS[si % CATEGORICAL_COLORS.length] as string;
    // Split at non-finite values so a missing evaluation shows as a gap rather than a false line.
    const segments: string[][] = [[]];
    for (const [a, b] of s.pts) {
      if (Number.isFinite(a) && Number.isFinite(b)) (segments.at(-1) as string[]).push(`${fmt(xScale(a))},${fmt(yScale(b))}`);
      else if ((segments.at(-1) as string[]).length > 0) segments.push([]);
    }
    for (const seg of segments.filter((g) => g.length > 0)) {
      if (seg.length === 1) {
        const [cx, cy] = (seg[0] as string).split(',');
        parts.push(`<circle class="line-point" cx="${cx}" cy="${cy}" r="2.5" fill="${color}"><title>${escapeXml(s.name)}</title></circle>`);
      } else {
        parts.push(`<polyline class="line" points="${seg.join(' ')}" fill="none" stroke="${color}" stroke-width="2"><title>${escapeXml(s.name)}</title></polyline>`);
      }
    }
  });
  parts.push(legend(frame.right + 16, frame.top, options.series.map((s) => s.name)));
  return document(width, height, options.title, parts);
}

/** One group of bars (e.g. one method) in a {@link barChartSvg}. */
export interface BarSeries {
  readonly name: string;
  /** One value per category; `NaN` draws no bar. */
  readonly values: readonly number[];
  /** Half-length of each error bar (e.g. the std over seeds); `NaN`/absent draws none. */
  readonly errors?: readonly number[];
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
  const frame = { left: 64, right: width - 150, top: options.title === undefined ? 16 : 40, bottom: height - 24 - Math.min(140, longest * 3.5) };
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
      const color = CATEGORICAL_COLORS[si % CATEGORICAL_COLORS.length] as string;
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
  parts.push(legend(frame.right + 16, frame.top, series.map((s) => s.name)));
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
  const heading = title === undefined ? '' : `<text class="title" x="${width / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`;
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

function legend(x: number, y: number, names: readonly string[]): string {
  return names
    .map((name, i) => {
      const color = CATEGORICAL_COLORS[i % CATEGORICAL_COLORS.length] as string;
      const top = y + i * 18;
      return `<g class="legend-item"><rect x="${fmt(x)}" y="${fmt(top)}" width="12" height="12" fill="${color}"/><text x="${fmt(x + 18)}" y="${fmt(top + 10)}">${escapeXml(name)}</text></g>`;
    })
    .join('\n');
}

function colorBar(x: number, top: number, bottom: number, domain: readonly [number, number], label: string): string {
  const id = 'colorbar-gradient';
  const stops = [0, 0.25, 0.5, 0.75, 1]
    .map((t) => `<stop offset="${t}" stop-color="${divergingColor(domain[1] - t * (domain[1] - domain[0]), domain)}"/>`)
    .join('');
  const mid = (domain[0] + domain[1]) / 2;
  return [
    `<defs><linearGradient id="${id}" x1="0" y1="0" x2="0" y2="1">${stops}</linearGradient></defs>`,
    `<rect class="colorbar" x="${fmt(x)}" y="${fmt(top)}" width="14" height="${fmt(bottom - top)}" fill="url(#${id})" stroke="#999"/>`,
    `<text x="${fmt(x + 20)}" y="${fmt(top + 4)}" font-size="10">${tickLabel(domain[1])}</text>`,
    `<text x="${fmt(x + 20)}" y="${fmt((top + bottom) / 2 + 3)}" font-size="10">${tickLabel(mid)}</text>`,
    `<text x="${fmt(x + 20)}" y="${fmt(bottom)}" font-size="10">${tickLabel(domain[0])}</text>`,
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
