// Finds the fenced code blocks of every README.md and the `<!-- readme-test: … -->` marker above each.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the harness does with a block. */
export type BlockMode =
  /** No marker: programs and JSON run; a shell block without a marker is an error (see {@link parseBlocks}). */
  | { readonly kind: 'default' }
  /** Shell blocks run only when marked so: a forgotten marker must never run `npm ci` in the working tree. */
  | { readonly kind: 'run' }
  /** Runs only when $CARL_DATA_DIR is set (the block reads real corpora). */
  | { readonly kind: 'needs-data' }
  /** Type-checked (ts/js) but not executed; the reason is printed. */
  | { readonly kind: 'typecheck-only'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string };

export interface ReadmeBlock {
  /** README path relative to the repository root. */
  readonly readme: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly mode: BlockMode;
}

const MARKER = /^<!--\s*readme-test:\s*([a-z-]+)\s*(?:\((.*)\))?\s*-->$/;

/** Every README.md the harness covers: the root, packages/*, examples/* and benchmarks. */
export function readmeFiles(root: string): string[] {
  const inGroup = (group: string): string[] => {
    const dir = path.join(root, group);
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .sort()
      .map((name) => path.join(group, name, 'README.md'))
      .filter((file) => fs.existsSync(path.join(root, file)));
  };
  return ['README.md', ...inGroup('packages'), ...inGroup('examples'), path.join('benchmarks', 'README.md')].filter((f) => fs.existsSync(path.join(root, f)));
}

/**
 * The fenced blocks of one README. A marker is the last non-blank line before the fence:
 * `<!-- readme-test: run -->`, `<!-- readme-test: skip (why) -->`, `<!-- readme-test: typecheck-only (why) -->` or
 * `<!-- readme-test: needs-data -->`.
 * A skip or typecheck-only marker without a reason is an error (the harness prints the reason).
 */
export function parseBlocks(readme: string, text: string): ReadmeBlock[] {
  const lines = text.split(/\r?\n/);
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(```+|~~~+)\s*([A-Za-z0-9_+-]*)/.exec(lines[i] as string);
    if (open === null) continue;
    const fence = open[2] as string;
    const lang = (open[3] as string).toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !(lines[i] as string).trimStart().startsWith(fence); i++) body.push(lines[i] as string);
    let prev = start - 1;
    while (prev >= 0 && (lines[prev] as string).trim() === '') prev--;
    const marker = prev >= 0 ? MARKER.exec((lines[prev] as string).trim()) : null;
    blocks.push({ readme, line: start + 1, lang, code: `${body.join('\n')}\n`, mode: modeOf(marker, `${readme}:${start + 1}`) });
  }
  return blocks;
}

function modeOf(marker: RegExpExecArray | null, where: string): BlockMode {
  if (marker === null) return { kind: 'default' };
  const kind = marker[1] as string;
  const reason = (marker[2] ?? '').trim();
  if (kind === 'needs-data') return { kind: 'needs-data' };
  if (kind === 'run') return { kind: 'run' };
  if (kind === 'skip' || kind === 'typecheck-only') {
    if (reason === '') throw new Error(`${where}: <!-- readme-test: ${kind} --> needs a reason in parentheses`);
    return { kind, reason };
  }
  throw new Error(`${where}: unknown readme-test marker "${kind}" (use run, skip (why), typecheck-only (why) or needs-data)`);
}

/** Languages whose blocks are programs (type-checked and run), shell scripts (run), JSON (parsed) or just text. */
export function languageClass(lang: string): 'program' | 'shell' | 'json' | 'text' {
  if (['ts', 'typescript', 'js', 'javascript', 'cjs', 'mjs'].includes(lang)) return 'program';
  if (['sh', 'bash', 'shell', 'console'].includes(lang)) return 'shell';
  if (lang === 'json') return 'json';
  return 'text';
}
