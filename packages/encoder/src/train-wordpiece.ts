import { CarlError } from '@carl/core';
import { bertNormalize, bertPreTokenize } from './basic-tokenizer';
import { WordPieceTokenizer, type WordPieceOptions } from './wordpiece';

/** Options of {@link trainWordPiece}. */
export interface TrainWordPieceOptions extends Omit<WordPieceOptions, 'file'> {
  /** Target vocabulary size, special tokens and alphabet included. */
  readonly vocabSize: number;
  /** A pair must occur at least this often (counting word frequencies) to be merged. Default 2. */
  readonly minFrequency?: number;
  /**
   * Special tokens, given the first ids in this order. Default `[PAD] [UNK] [CLS] [SEP] [MASK]`
   * (or the names in `padToken`, `unkToken`, … when set).
   */
  readonly specialTokens?: readonly string[];
  /** Keep at most this many distinct characters (most frequent first); rarer ones become `[UNK]`. Default 1000. */
  readonly limitAlphabet?: number;
}

/**
 * Trains a WordPiece vocabulary the way Hugging Face's `WordPieceTrainer` does (BPE merges over
 * the words of the BERT basic tokenizer, continuation pieces prefixed with `##`), but
 * deterministically: every tie is broken by id order, and ids are assigned in an order that does
 * not depend on the order of the texts — the same corpus (in any order) gives the same vocabulary.
 * The native trainer is neither configurable nor deterministic.
 *
 * Vocabulary order: special tokens, the alphabet (by code point), its `##` forms (by code point),
 * then merged pieces in merge order. The vocabulary may exceed `vocabSize` only when the special
 * tokens and the alphabet alone do (as in the reference trainer).
 *
 * @example
 * ```ts
 * const tokenizer = trainWordPiece(texts, { vocabSize: 8000, minFrequency: 2 });
 * tokenizer.save('my-tokenizer'); // vocab.txt, tokenizer.json, …
 * ```
 */
export function trainWordPiece(texts: Iterable<string>, options: TrainWordPieceOptions): WordPieceTokenizer {
  const { vocabSize } = options;
  const minFrequency = options.minFrequency ?? 2;
  const limitAlphabet = options.limitAlphabet ?? 1000;
  const prefix = options.continuingSubwordPrefix ?? '##';
  const maxChars = options.maxInputCharsPerWord ?? 100;
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new CarlError('INVALID_ARGUMENT', `vocabSize must be a positive integer, got ${vocabSize}`, { field: 'vocabSize' });
  if (!Number.isInteger(minFrequency) || minFrequency < 1) {
    throw new CarlError('INVALID_ARGUMENT', `minFrequency must be a positive integer, got ${minFrequency}`, { field: 'minFrequency' });
  }
  if (!Number.isInteger(limitAlphabet) || limitAlphabet < 1) {
    throw new CarlError('INVALID_ARGUMENT', `limitAlphabet must be a positive integer, got ${limitAlphabet}`, { field: 'limitAlphabet' });
  }
  const specials = options.specialTokens ?? [
    options.padToken ?? '[PAD]',
    options.unkToken ?? '[UNK]',
    options.clsToken ?? '[CLS]',
    options.sepToken ?? '[SEP]',
    options.maskToken ?? '[MASK]',
  ];
  if (new Set(specials).size !== specials.length) throw new CarlError('INVALID_ARGUMENT', 'special tokens must be distinct', { field: 'specialTokens' });

  // The trainer's words must be exactly the tokenizer's words: same normaliser, same split.
  const normalizer = {
    ...(options.lowercase === undefined ? {} : { lowercase: options.lowercase }),
    ...(options.stripAccents === undefined ? {} : { stripAccents: options.stripAccents }),
    ...(options.handleChineseChars === undefined ? {} : { handleChineseChars: options.handleChineseChars }),
  };
  const wordCounts = new Map<string, number>();
  let index = 0;
  for (const text of texts) {
    if (typeof text !== 'string') throw new CarlError('INVALID_ARGUMENT', `expected a string, got ${typeof text}`, { field: `texts[${index}]` });
    for (const word of bertPreTokenize(bertNormalize(text, normalizer))) {
      if (Array.from(word).length <= maxChars) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
    }
    index += 1;
  }

  // Alphabet: the `limitAlphabet` most frequent characters (ties by code point), sorted by code point.
  const charCounts = new Map<string, number>();
  for (const [word, count] of wordCounts) for (const ch of word) charCounts.set(ch, (charCounts.get(ch) ?? 0) + count);
  const byCodePoint = (a: string, b: string): number => (a.codePointAt(0) as number) - (b.codePointAt(0) as number);
  const alphabet = [...charCounts]
    .sort((a, b) => b[1] - a[1] || byCodePoint(a[0], b[0]))
    .slice(0, limitAlphabet)
    .map(([ch]) => ch)
    .sort(byCodePoint);
  const inAlphabet = new Set(alphabet);

  // Words (sorted, so their order cannot depend on the texts' order) as symbol-id sequences.
  const vocab: string[] = [...specials];
  const ids = new Map<string, number>(vocab.map((t, i) => [t, i]));
  const add = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = vocab.length;
      vocab.push(token);
      ids.set(token, id);
    }
    return id;
  };
  alphabet.forEach(add);
  const usable = [...wordCounts].filter(([word]) => Array.from(word).every((ch) => inAlphabet.has(ch))).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const continuation = new Set<string>();
  for (const [word] of usable) Array.from(word).slice(1).forEach((ch) => continuation.add(ch));
  [...continuation].sort(byCodePoint).forEach((ch) => add(prefix + ch));
  const words = usable.map(([word]) => Array.from(word).map((ch, i) => ids.get(i === 0 ? ch : prefix + ch) as number));
  const counts = usable.map(([, count]) => count);

  // Pair statistics with a lazy max-heap (stale entries are re-pushed with their current count).
  const SHIFT = 2 ** 21;
  const key = (a: number, b: number): number => a * SHIFT + b;
  const pairCounts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  const heap = new PairHeap();
  const bump = (a: number, b: number, delta: number, word: number): void => {
    const k = key(a, b);
    const next = (pairCounts.get(k) ?? 0) + delta;
    pairCounts.set(k, next);
    if (delta > 0) {
      let set = where.get(k);
      if (set === undefined) where.set(k, (set = new Set()));
      set.add(word);
    }
  };
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) bump(symbols[i] as number, symbols[i + 1] as number, counts[w] as number, w);
  });
  for (const [k, count] of pairCounts) heap.push(count, Math.floor(k / SHIFT), k % SHIFT);

  const prefixLength = prefix.length;
  while (vocab.length < vocabSize) {
    const top = heap.pop();
    if (top === undefined) break;
    const current = pairCounts.get(key(top.a, top.b)) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push(current, top.a, top.b);
      continue;
    }
    if (current < minFrequency) break;
    const { a, b } = top;
    const bToken = vocab[b] as string;
    const merged = (vocab[a] as string) + (bToken.startsWith(prefix) ? bToken.slice(prefixLength) : bToken);
    const c = add(merged);
    const touched = new Set<number>();
    for (const w of [...(where.get(key(a, b)) ?? [])].sort((x, y) => x - y)) {
      const symbols = words[w] as number[];
      const n = counts[w] as number;
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] !== a || symbols[i + 1] !== b) continue;
        const prev = i > 0 ? symbols[i - 1] : undefined;
        const next = i + 2 < symbols.length ? symbols[i + 2] : undefined;
        if (prev !== undefined) {
          bump(prev, a, -n, w);
          bump(prev, c, n, w);
          touched.add(key(prev, c));
        }
        if (next !== undefined) {
          bump(b, next, -n, w);
          bump(c, next, n, w);
          touched.add(key(c, next));
        }
        bump(a, b, -n, w);
        symbols.splice(i, 2, c);
      }
    }
    where.delete(key(a, b));
    // New pairs enter the heap once, with their final count for this merge.
    for (const k of [...touched].sort((x, y) => x - y)) {
      const count = pairCounts.get(k) ?? 0;
      if (count > 0) heap.push(count, Math.floor(k / SHIFT), k % SHIFT);
    }
  }
  const unkToken = options.unkToken ?? '[UNK]';
  const padToken = options.padToken ?? '[PAD]';
  return new WordPieceTokenizer(vocab, { ...options, unkToken, padToken });
}

/** A binary max-heap of (count, a, b) ordered by count, then by smaller a, then smaller b (deterministic ties). */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly as: number[] = [];
  private readonly bs: number[] = [];

  push(count: number, a: number, b: number): void {
    this.counts.push(count);
    this.as.push(a);
    this.bs.push(b);
    this.up(this.counts.length - 1);
  }

  pop(): { count: number; a: number; b: number } | undefined {
    const n = this.counts.length;
    if (n === 0) return undefined;
    const top = { count: this.counts[0] as number, a: this.as[0] as number, b: this.bs[0] as number };
    const last = n - 1;
    this.swap(0, last);
    this.counts.pop();
    this.as.pop();
    this.bs.pop();
    if (last > 0) this.down(0);
    return top;
  }

  private before(i: number, j: number): boolean {
    const ci = this.counts[i] as number;
    const cj = this.counts[j] as number;
    if (ci !== cj) return ci > cj;
    const ai = this.as[i] as number;
    const aj = this.as[j] as number;
    if (ai !== aj) return ai < aj;
    return (this.bs[i] as number) < (this.bs[j] as number);
  }

  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j] as number, this.counts[i] as number];
    [this.as[i], this.as[j]] = [this.as[j] as number, this.as[i] as number];
    [this.bs[i], this.bs[j]] = [this.bs[j] as number, this.bs[i] as number];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.counts.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
