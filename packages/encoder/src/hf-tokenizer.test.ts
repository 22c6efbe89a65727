import * as fs from 'node:fs';
import * as path from 'node:path';
import { bpeTokenizerJson, HfTokenizer } from './hf-tokenizer';
import { loadTokenizer } from './load-tokenizer';
import { WordPieceTokenizer } from './wordpiece';
import { tempDir } from './__fixtures__/paths';

// A hand-made byte-level BPE: ' ' is 'Ġ' after the byte-level mapping.
const VOCAB: Record<string, number> = {
  '<s>': 0,
  '<pad>': 1,
  '</s>': 2,
  '<unk>': 3,
  '<mask>': 4,
  h: 5,
  e: 6,
  l: 7,
  o: 8,
  Ġ: 9,
  w: 10,
  r: 11,
  d: 12,
  he: 13,
  ll: 14,
  hell: 15,
  hello: 16,
  Ġw: 17,
  or: 18,
  Ġwor: 19,
  ld: 20,
};
const MERGES = ['h e', 'l l', 'he ll', 'hell o', 'Ġ w', 'o r', 'Ġw or', 'l d'];

function writeBpe(dir: string, merges: string[] = MERGES): void {
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(VOCAB));
  fs.writeFileSync(path.join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
}

describe('HfTokenizer (byte-level BPE via @huggingface/tokenizers)', () => {
  const tok = HfTokenizer.fromJson(bpeTokenizerJson(VOCAB, MERGES));

  it('applies merges by rank: "hello world" → hello | Ġwor ld (hand-worked)', () => {
    // "Ġworld": (Ġ,w) rank 4 → (o,r) 5 → (Ġw,or) 6 → (l,d) 7.
    expect(tok.tokenize('hello world')).toEqual(['hello', 'Ġwor', 'ld']);
    expect(tok.encodeBatch(['hello world']).inputIds).toEqual([[0, 16, 19, 20, 2]]);
  });

  it('reads specials from the RobertaProcessing template and the vocabulary', () => {
    expect(tok.specialTokens).toEqual({ pad: 1, unk: 3, cls: 0, sep: 2, mask: 4 });
    expect(tok.prefixIds).toEqual([0]);
    expect(tok.suffixIds).toEqual([2]);
    expect(tok.vocabSize).toBe(21);
  });

  it('keeps <mask> whole and lets it swallow the space before it (lstrip, as RoBERTa)', () => {
    expect(tok.encode('hello <mask>')).toEqual([16, 4]);
  });

  it('pads with <pad>, truncates content (never the template) and marks specials', () => {
    const batch = tok.encodeBatch(['hello world', 'hello'], { maxLength: 4 });
    expect(batch.inputIds).toEqual([
      [0, 16, 19, 2],
      [0, 16, 2, 1],
    ]);
    expect(batch.truncated).toEqual([1, 0]);
    expect(batch.specialTokensMask).toEqual([
      [1, 0, 0, 1],
      [1, 0, 1, 1],
    ]);
    expect(tok.decode([0, 16, 19, 20, 2])).toBe('hello world');
  });

  it('loads vocab.json + merges.txt from a folder and saves a tokenizer.json that loads back', () => {
    const dir = tempDir();
    writeBpe(dir);
    const loaded = loadTokenizer(dir);
    expect(loaded).toBeInstanceOf(HfTokenizer);
    expect(loaded.encodeBatch(['hello world']).inputIds).toEqual([[0, 16, 19, 20, 2]]);
    const out = tempDir();
    loaded.save(out);
    expect(loadTokenizer(out).encodeBatch(['hello world', 'hello'])).toEqual(loaded.encodeBatch(['hello world', 'hello']));
  });

  it('reads the template of a TemplateProcessing tokenizer.json (any model), e.g. a WordPiece with a custom normaliser', () => {
    const wp = new WordPieceTokenizer(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hi', '##ya']);
    const json = { ...wp.toTokenizerJson(), normalizer: { type: 'Lowercase' } };
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
    const loaded = loadTokenizer(dir);
    expect(loaded).toBeInstanceOf(HfTokenizer); // not the standard BERT pipeline → through @huggingface/tokenizers
    expect(loaded.encodeBatch(['HIYA hi'], { maxLength: 8 }).inputIds).toEqual([[2, 5, 6, 5, 3]]);
    expect(loaded.specialTokens).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
  });
});

describe('loadTokenizer errors name the file and the field', () => {
  it('a malformed merges.txt line', () => {
    const dir = tempDir();
    writeBpe(dir, ['h e', 'l l x']);
    expect(() => loadTokenizer(dir)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file: path.join(dir, 'merges.txt'), line: 3 } }));
  });

  it('vocab.json without merges.txt, a SentencePiece model, an unknown file kind, nothing at all', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(VOCAB));
    expect(() => loadTokenizer(dir)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file: path.join(dir, 'vocab.json') } }));
    const sp = tempDir();
    fs.writeFileSync(path.join(sp, 'spiece.model'), 'x');
    expect(() => loadTokenizer(sp)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file: path.join(sp, 'spiece.model') } }));
    const unknown = path.join(tempDir(), 'tokens.bin');
    fs.writeFileSync(unknown, 'x');
    expect(() => loadTokenizer(unknown)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file: unknown } }));
    expect(() => loadTokenizer(tempDir())).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('a tokenizer.json of an unknown model type, or not a tokenizer.json at all, or broken JSON', () => {
    const dir = tempDir();
    const file = path.join(dir, 'tokenizer.json');
    fs.writeFileSync(file, JSON.stringify({ model: { type: 'CharNGram', vocab: {} } }));
    expect(() => loadTokenizer(dir)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file, field: 'model.type' } }));
    fs.writeFileSync(file, JSON.stringify({ vocab: {} }));
    expect(() => loadTokenizer(dir)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file, field: 'model' } }));
    fs.writeFileSync(file, '{"model": {');
    expect(() => loadTokenizer(dir)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file } }));
  });

  it('a vocabulary without a padding token', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'vocab.txt'), 'a\nb\n[UNK]\n');
    expect(() => loadTokenizer(dir)).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: { file: path.join(dir, 'vocab.txt'), field: 'pad_token' } }));
  });
});

describe('a vocab.txt without tokenizer_config.json takes its special tokens from config.json model_type', () => {
  const ROBERTA_VOCAB = ['<s>', '<pad>', '</s>', '<unk>', '<mask>', 'hello', 'world', '##s'];

  function folder(modelType: string | undefined): string {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'vocab.txt'), `${ROBERTA_VOCAB.join('\n')}\n`);
    if (modelType !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ model_type: modelType, vocab_size: ROBERTA_VOCAB.length }));
    return dir;
  }

  it('roberta: <s> … </s> around the text, <pad> for padding, <mask> found in text', () => {
    const tok = loadTokenizer(folder('roberta'));
    expect(tok.specialTokens).toEqual({ cls: 0, pad: 1, sep: 2, unk: 3, mask: 4 });
    const batch = tok.encodeBatch(['hello worlds', 'hello <mask>'], { maxLength: 6 });
    expect(batch.inputIds).toEqual([
      [0, 5, 6, 7, 2],
      [0, 5, 4, 2, 1],
    ]);
  });

  it('tokenizer_config.json still wins over model_type', () => {
    const dir = folder('roberta');
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ cls_token: '</s>', sep_token: '<s>' }));
    expect(loadTokenizer(dir).encodeBatch(['hello']).inputIds).toEqual([[2, 5, 0]]);
  });

  it('without model_type (or a bert one) the BERT names are looked for, and the error names the missing token', () => {
    for (const modelType of [undefined, 'bert']) {
      expect(() => loadTokenizer(folder(modelType))).toThrow(expect.objectContaining({ code: 'TOKENIZER_ERROR', location: expect.objectContaining({ field: 'pad_token' }) }));
    }
  });
});
