import { languageClass, parseBlocks } from './blocks';

describe('parseBlocks', () => {
  it('finds fenced blocks with their language, first line and the marker on the last non-blank line above', () => {
    const text = [
      '# t', // 1
      '```ts', // 2
      'const a = 1;', // 3
      '```', // 4
      '<!-- readme-test: skip (needs a GPU) -->', // 5
      '', // 6
      '```sh', // 7
      'nvidia-smi', // 8
      '```', // 9
      'text', // 10
      '<!-- readme-test: run -->', // 11
      '```bash', // 12
      'node -v', // 13
      '```', // 14
      '<!-- readme-test: needs-data -->', // 15
      '```ts', // 16
      '```', // 17
      '```', // 18 (an output block)
      'x', // 19
      '```', // 20
    ].join('\n');
    const blocks = parseBlocks('R.md', text);
    expect(blocks.map((b) => [b.line, b.lang, b.mode.kind])).toEqual([
      [2, 'ts', 'default'],
      [7, 'sh', 'skip'],
      [12, 'bash', 'run'],
      [16, 'ts', 'needs-data'],
      [18, '', 'default'],
    ]);
    expect(blocks[0]?.code).toBe('const a = 1;\n');
    expect(blocks[1]?.mode).toEqual({ kind: 'skip', reason: 'needs a GPU' });
    expect(blocks.map((b) => languageClass(b.lang))).toEqual(['program', 'shell', 'shell', 'program', 'text']);
  });

  it('refuses a skip without a reason and an unknown marker, naming the README line', () => {
    expect(() => parseBlocks('R.md', '<!-- readme-test: skip -->\n```sh\nx\n```\n')).toThrow(/R\.md:2: .*needs a reason/);
    expect(() => parseBlocks('R.md', '<!-- readme-test: sometimes -->\n```ts\n```\n')).toThrow(/R\.md:2: unknown readme-test marker "sometimes"/);
  });
});
