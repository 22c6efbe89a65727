import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tokenizer as HfCoreTokenizer } from '@huggingface/tokenizers';
import { bertNormalize, bertPreTokenize } from './basic-tokenizer';
import { defaultTokenizer } from './create';
import { loadTokenizer } from './load-tokenizer';
import { WordPieceTokenizer } from './wordpiece';
import { dataDir, emobankTexts, tempDir } from './__fixtures__/paths';

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'un', '##aff', '##able', 'play', '##ing', 'the', '!', "'", 't', 'don', '中', '国', 'cafe'];

describe('BERT basic tokenizer', () => {
  it('cleans, lower-cases, strips accents and spaces out CJK as the Rust BertNormalizer does', () => {
    expect(bertNormalize('Héllo\tWORLD\u0000\u200b!')).toBe('hello world!'); // NUL and a format char (Cf) are dropped
    expect(bertNormalize('Café', { lowercase: false })).toBe('Café');
    expect(bertNormalize('Café', { lowercase: false, stripAccents: true })).toBe('Cafe');
    expect(bertNormalize('Café', { lowercase: true, stripAccents: false })).toBe('café');
    expect(bertNormalize('中国人')).toBe(' 中  国  人 ');
    expect(bertNormalize('a\u00a0b\u3000c')).toBe('a b c');
  });

  it('splits on whitespace and isolates punctuation (ASCII and Unicode P*)', () => {
    expect(bertPreTokenize("don't stop—now!! $5")).toEqual(['don', "'", 't', 'stop', '—', 'now', '!', '!', '$', '5']);
    expect(bertPreTokenize('  ')).toEqual([]);
  });
});

describe('WordPieceTokenizer', () => {
  const tok = new WordPieceTokenizer(VOCAB);

  it('does greedy longest-match-first with ## continuations (the BERT README example)', () => {
    expect(tok.tokenize('Unaffable!')).toEqual(['un', '##aff', '##able', '!']);
    expect(tok.tokenize('playing the Café')).toEqual(['play', '##ing', 'the', 'cafe']);
    expect(tok.tokenize('unplayable')).toEqual(['[UNK]']); // one unknown piece → the whole word is [UNK]
    expect(tok.tokenize("don't 中国")).toEqual(['don', "'", 't', '中', '国']);
    expect(tok.tokenize('')).toEqual([]);
  });

  it('keeps special tokens typed in the text whole, but not once lower-cased', () => {
    expect(tok.encode('the [MASK] !')).toEqual([10, 4, 11]);
    expect(tok.tokenize('the[MASK]')).toEqual(['the', '[MASK]']);
    expect(tok.tokenize('[mask]')).toEqual(['[UNK]', '[UNK]', '[UNK]']); // '[', 'mask', ']' — none in the vocabulary
  });

  it('turns words longer than maxInputCharsPerWord into [UNK]', () => {
    const short = new WordPieceTokenizer(VOCAB, { maxInputCharsPerWord: 3 });
    expect(short.tokenize('the play')).toEqual(['the', '[UNK]']);
  });

  it('batches with the [CLS] … [SEP] template, pads to the longest row and counts truncation', () => {
    const batch = tok.encodeBatch(['the play', 'unaffable the play the', ''], { maxLength: 5 });
    expect(batch.inputIds).toEqual([
      [2, 10, 8, 3, 0],
      [2, 5, 6, 7, 3],
      [2, 3, 0, 0, 0],
    ]);
    expect(batch.attentionMask).toEqual([
      [1, 1, 1, 1, 0],
      [1, 1, 1, 1, 1],
      [1, 1, 0, 0, 0],
    ]);
    expect(batch.specialTokensMask).toEqual([
      [1, 0, 0, 1, 1],
      [1, 0, 0, 0, 1],
      [1, 1, 1, 1, 1],
    ]);
    expect(batch.truncated).toEqual([0, 3, 0]);
    expect(batch.tokenTypeIds).toEqual(batch.inputIds.map((r) => r.map(() => 0)));
    expect(tok.encodeBatch(['the'], { maxLength: 6, padding: 'max_length' }).inputIds).toEqual([[2, 10, 3, 0, 0, 0]]);
    expect(tok.encodeBatch([]).inputIds).toEqual([]);
    // A literal [MASK] in the text is special; [UNK] stands for real text and is not.
    expect(tok.encodeBatch(['the [MASK] xyz']).specialTokensMask).toEqual([[1, 0, 1, 0, 1]]);
  });

  it('truncates to modelMaxLength by default', () => {
    const long = Array.from({ length: 600 }, () => 'the').join(' ');
    const batch = tok.encodeBatch([long]);
    expect(batch.inputIds[0]?.length).toBe(512);
    expect(batch.truncated).toEqual([600 - 510]);
    expect(tok.withModelMaxLength(8).encodeBatch([long]).truncated).toEqual([594]);
  });

  it('rejects bad input with typed errors', () => {
    expect(() => tok.encodeBatch(['x'], { maxLength: 2 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', location: { field: 'maxLength' } }));
    expect(() => tok.encodeBatch([5 as unknown as string])).toThrow(expect.objectContaining({ location: { field: 'texts[0]' } }));
    expect(() => tok.idToToken(99)).toThrow(/outside the vocabulary/);
    expect(() => new WordPieceTokenizer(['[UNK]', 'a'], { file: 'v.txt' })).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file: 'v.txt', field: 'pad_token' } }));
  });

  it('decodes, gluing ## pieces and cleaning spaces before punctuation', () => {
    // ',' is not in the vocabulary: [UNK], which decoding skips with the other specials.
    expect(tok.decode(tok.encodeBatch(['Unaffable, the playing!']).inputIds[0] as number[])).toBe('unaffable the playing!');
    expect(tok.decode([2, 5, 6, 7, 11, 3])).toBe('unaffable!');
    expect(tok.decode([2, 5, 3], { skipSpecialTokens: false })).toBe('[CLS] un [SEP]');
  });

  it('saves vocab.txt + tokenizer.json and loads back with the same ids', () => {
    const dir = tempDir();
    const files = tok.save(dir).map((f) => path.basename(f));
    expect(files).toEqual(['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']);
    const text = ['Unaffable the [MASK] playing 中国!'];
    const fromDir = loadTokenizer(dir);
    expect(fromDir).toBeInstanceOf(WordPieceTokenizer);
    expect(fromDir.encodeBatch(text)).toEqual(tok.encodeBatch(text));
    fs.rmSync(path.join(dir, 'vocab.txt'));
    const fromJson = loadTokenizer(dir); // a standard BERT tokenizer.json comes back as our WordPiece
    expect(fromJson).toBeInstanceOf(WordPieceTokenizer);
    expect(fromJson.encodeBatch(text)).toEqual(tok.encodeBatch(text));
  });
});

/** The @huggingface/tokenizers pipeline for the same vocabulary (BertNormalizer, BertPreTokenizer, WordPiece). */
function reference(tokenizer: WordPieceTokenizer): (text: string) => number[] {
  const hf = new HfCoreTokenizer(tokenizer.toTokenizerJson(), tokenizer.tokenizerConfig());
  return (text) => hf.encode(text).ids;
}

describe('WordPiece ids equal @huggingface/tokenizers on the equivalent tokenizer.json', () => {
  const tokenizer = defaultTokenizer();
  const ours = (text: string): number[] => tokenizer.encodeBatch([text], { maxLength: 100_000 }).inputIds[0] as number[];
  const theirs = reference(tokenizer);

  it('on edge cases (accents, CJK, emoji, control characters, specials, long words)', () => {
    const cases = [
      'Hello, World!',
      'Héllo naïve café — “quoted” ‘single’ …',
      "I can't believe it's not butter!!!",
      '中文字符 and 日本語 mixed',
      'emoji 😀👍🏽 and symbols ©®™ €50 ½',
      'tabs\tand\nnewlines\r\n and\u00a0nbsp',
      'a [MASK] token and [CLS] inside',
      `${'x'.repeat(150)} long`,
      'URL https://example.com/path?q=1&b=2 e-mail a.b@c.de',
      '   ',
      '',
    ];
    for (const text of cases) expect([text, ours(text)]).toEqual([text, theirs(text)]);
  });

  const dev = emobankTexts('dev');
  (dev === undefined ? it.skip : it)(
    `on real sentences: EmoBank dev and GoEmotions dev${dataDir === undefined ? ' (skipped: no CARL_DATA_DIR)' : ''}`,
    () => {
      const goFile = path.join(dataDir as string, 'goemotions', 'original', 'dev.tsv');
      const goemotions = fs.existsSync(goFile)
        ? fs
            .readFileSync(goFile, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .slice(0, 300)
            .map((l) => l.split('\t')[0] as string)
        : [];
      const texts = [...(dev as string[]).slice(0, 300), ...goemotions];
      expect(texts.length).toBeGreaterThanOrEqual(300);
      const mismatches = texts.filter((t) => JSON.stringify(ours(t)) !== JSON.stringify(theirs(t)));
      expect(mismatches).toEqual([]);
    },
  );
});
