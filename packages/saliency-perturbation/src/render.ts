import { CarlError } from '@carl/core';
import type { ExplainedToken, SaliencyExplanation } from './explain';

/** Options shared by {@link renderSaliencyHtml} and {@link renderSaliencySvg}. */
export interface RenderOptions {
  /**
   * `score` (default): one colour, darker = more salient. `attribution`: red where a token pushes the
   * objective up, blue where it pulls it down.
   */
  readonly mode?: 'score' | 'attribution';
  /**
   * `sentence` (default): each sentence's strongest token gets full colour. `global`: one scale for
   * all explanations rendered together, so sentences can be compared.
   */
  readonly normalize?: 'sentence' | 'global';
  /** Draw [CLS]/[SEP]-like tokens too (uncoloured). Default false. */
  readonly showSpecial?: boolean;
  /** A heading above the heat map. */
  readonly title?: string;
}

/** Extra options of {@link renderSaliencySvg}. */
export interface SvgRenderOptions extends RenderOptions {
  /** Picture width in px; lines wrap to fit. Default 640. */
  readonly width?: number;
  /** Font size in px (a monospace font, so layout needs no text measuring). Default 16. */
  readonly fontSize?: number;
}

const UP: readonly [number, number, number] = [215, 48, 39]; // ColorBrewer RdBu ends: readable, colour-blind safe
const DOWN: readonly [number, number, number] = [69, 117, 180];

interface Piece {
  readonly text: string;
  /** Whether a space separates this piece from the previous one (false inside a word). */
  readonly space: boolean;
  /** Colour intensity in [0, 1] and direction. */
  readonly intensity: number;
  readonly negative: boolean;
  readonly tooltip: string;
}

/**
 * Renders explanations as an HTML fragment: one line per text, each token a `<span>` whose
 * background shows its saliency (with the exact numbers in a tooltip). Sub-word pieces (`##ing`,
 * RoBERTa's `Ġ`, SentencePiece's `▁`) are joined back into words. Self-contained (inline styles).
 *
 * @example
 * ```ts
 * fs.writeFileSync('saliency.html', renderSaliencyHtml(explainSaliency(encoder, texts, valence), { mode: 'attribution' }));
 * ```
 */
export function renderSaliencyHtml(explanations: SaliencyExplanation | readonly SaliencyExplanation[], options: RenderOptions = {}): string {
  const lines = layoutPieces(explanations, options);
  const body = lines
    .map((pieces) => {
      const spans = pieces
        .map((p) => {
          const [r, g, b] = p.negative ? DOWN : UP;
          const alpha = round3(p.intensity);
          const ink = alpha > 0.6 ? '#fff' : '#111';
          const span = `<span style="background-color:rgba(${r},${g},${b},${alpha});color:${ink};border-radius:3px;padding:0 2px" title="${escapeXml(p.tooltip)}">${escapeXml(p.text)}</span>`;
          return (p.space ? ' ' : '') + span;
        })
        .join('');
      return `<p style="margin:0.3em 0;font-family:system-ui,sans-serif;line-height:1.8">${spans.replace(/^ /, '')}</p>`;
    })
    .join('\n');
  const title = options.title === undefined ? '' : `<h3 style="font-family:system-ui,sans-serif">${escapeXml(options.title)}</h3>\n`;
  return `<div class="carl-saliency">\n${title}${body}\n</div>`;
}

/**
 * Renders explanations as a standalone SVG heat map (lines wrap at `width`), for reports and READMEs.
 *
 * @example
 * ```ts
 * fs.writeFileSync('saliency.svg', renderSaliencySvg(explainSaliency(encoder, 'so happy today', valence)));
 * ```
 */
export function renderSaliencySvg(explanations: SaliencyExplanation | readonly SaliencyExplanation[], options: SvgRenderOptions = {}): string {
  const { width = 640, fontSize = 16 } = options;
  for (const [field, value] of [['width', width], ['fontSize', fontSize]] as const) {
    if (!Number.isFinite(value) || value <= 0) throw new CarlError('INVALID_ARGUMENT', `${field} must be a positive number, got ${value}`, { field });
  }
  const charWidth = fontSize * 0.6; // advance of common monospace fonts
  const lineHeight = Math.round(fontSize * 1.6);
  const margin = Math.round(fontSize / 2);
  const parts: string[] = [];
  let y = margin;
  if (options.title !== undefined) {
    parts.push(`<text x="${margin}" y="${y + fontSize}" font-weight="bold">${escapeXml(options.title)}</text>`);
    y += lineHeight;
  }
  for (const pieces of layoutPieces(explanations, options)) {
    let x = margin;
    pieces.forEach((p, i) => {
      const w = [...p.text].length * charWidth + 4;
      const gap = p.space && i > 0 ? charWidth : 0;
      if (x + gap + w > width - margin && x > margin) {
        x = margin;
        y += lineHeight;
      } else {
        x += gap;
      }
      const [r, g, b] = p.negative ? DOWN : UP;
      const alpha = round3(p.intensity);
      parts.push(
        `<g><title>${escapeXml(p.tooltip)}</title>` +
          `<rect x="${round3(x)}" y="${y}" width="${round3(w)}" height="${lineHeight - 4}" rx="3" fill="rgb(${r},${g},${b})" fill-opacity="${alpha}"/>` +
          `<text x="${round3(x + 2)}" y="${y + fontSize}" fill="${alpha > 0.6 ? '#fff' : '#111'}">${escapeXml(p.text)}</text></g>`,
      );
      x += w;
    });
    y += lineHeight;
  }
  const height = y + margin;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="ui-monospace,Menlo,Consolas,monospace" font-size="${fontSize}">\n` +
    `<rect width="100%" height="100%" fill="#fff"/>\n${parts.join('\n')}\n</svg>\n`
  );
}

/** Per explanation, the visible pieces with their colour and spacing. */
function layoutPieces(input: SaliencyExplanation | readonly SaliencyExplanation[], options: RenderOptions): Piece[][] {
  const explanations = Array.isArray(input) ? (input as readonly SaliencyExplanation[]) : [input as SaliencyExplanation];
  const mode = options.mode ?? 'score';
  if (mode !== 'score' && mode !== 'attribution') throw new CarlError('INVALID_ARGUMENT', `mode must be score or attribution, got ${String(mode)}`, { field: 'mode' });
  const normalize = options.normalize ?? 'sentence';
  if (normalize !== 'sentence' && normalize !== 'global') {
    throw new CarlError('INVALID_ARGUMENT', `normalize must be sentence or global, got ${String(normalize)}`, { field: 'normalize' });
  }
  explanations.forEach((e, i) => {
    if (e === null || typeof e !== 'object' || !Array.isArray(e.tokens)) throw new CarlError('INVALID_ARGUMENT', 'not a SaliencyExplanation', { field: `explanations[${i}]` });
  });
  const strength = (t: ExplainedToken): number => (t.special ? 0 : mode === 'score' ? Math.abs(t.score) : Math.abs(t.attribution));
  const maxOf = (e: SaliencyExplanation): number => e.tokens.reduce((m, t) => Math.max(m, strength(t)), 0);
  const globalMax = explanations.reduce((m, e) => Math.max(m, maxOf(e)), 0);
  return explanations.map((e) => {
    const max = normalize === 'global' ? globalMax : maxOf(e);
    const visible = e.tokens.filter((t) => options.showSpecial === true || !t.special);
    const words = wordBoundaries(visible);
    return visible.map((t, i): Piece => ({
      text: words[i]?.text ?? t.token,
      space: words[i]?.space ?? true,
      intensity: max > 0 ? strength(t) / max : 0,
      negative: mode === 'attribution' && t.attribution < 0,
      tooltip: `${t.token} · score ${formatNumber(t.score)} · attribution ${t.attribution >= 0 ? '+' : ''}${formatNumber(t.attribution)}`,
    }));
  });
}

/**
 * Turns sub-word tokens back into readable text pieces: WordPiece marks continuations with `##`;
 * byte-level BPE (`Ġ`) and SentencePiece (`▁`) mark word starts instead, so when a sentence uses
 * those markers an unmarked piece continues the previous word.
 */
function wordBoundaries(tokens: readonly ExplainedToken[]): { text: string; space: boolean }[] {
  const startMarker = /^[\u0120\u2581]/;
  const marksStarts = tokens.some((t) => !t.special && startMarker.test(t.token));
  let seenWord = false;
  return tokens.map((t) => {
    if (t.special) return { text: t.token, space: true };
    const first = !seenWord;
    seenWord = true;
    if (t.token.startsWith('##') && t.token.length > 2) return { text: t.token.slice(2), space: first };
    if (marksStarts) {
      const start = startMarker.test(t.token);
      return { text: start ? t.token.slice(1) : t.token, space: start || first };
    }
    return { text: t.token, space: true };
  });
}

function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function formatNumber(x: number): string {
  return Math.abs(x) >= 0.001 || x === 0 ? x.toFixed(4) : x.toExponential(2);
}
