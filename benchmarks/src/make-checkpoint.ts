/**
 * `npm run -w benchmarks make-checkpoint -- [--arch bert|roberta] [--out DIR] [--seed N] [--layers N]`
 *
 * Writes a randomly initialised BERT-base- or RoBERTa-base-shaped Hugging Face folder — `config.json`,
 * `model.safetensors` (a bare `BertModel` / `RobertaModel` state dict, 110M / 125M parameters, weights
 * normal(0, 0.02) as transformers initialises them) and a tokenizer of the real vocabulary size — for end-to-end
 * checks such as `carl train --init DIR --method carl --batch-size 32` (issue 13). Prints the folder.
 *
 * The tokenizers are real, if small, vocabularies padded to the base models' sizes:
 * - BERT (`vocab.txt`, 30,522 tokens): the bundled 8,000-token uncased WordPiece vocabulary of @carl/encoder,
 *   then `[unused…]` entries, as BERT's own vocabulary has;
 * - RoBERTa (`vocab.json` + `merges.txt`, 50,265 tokens): GPT-2's 256 byte symbols, merges that spell the words of
 *   that WordPiece vocabulary (with and without the leading-space symbol `Ġ`, lower-case and capitalised) until the
 *   vocabulary is full, then `<unused…>` entries; `<mask>` is the last id, as in roberta-base.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Random } from '@carl/core';
import { defaultTokenizer, parameterShapes, presets, toHfConfig, writeSafetensorsFile, type EncoderConfig, type TensorToWrite } from '@carl/encoder';

export interface MakeCheckpointArgs {
  readonly arch: 'bert' | 'roberta';
  readonly out: string | undefined;
  readonly seed: number;
  readonly layers: number | undefined;
}

function parseArgs(argv: readonly string[]): MakeCheckpointArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const arch = value('--arch') ?? 'bert';
  if (arch !== 'bert' && arch !== 'roberta') throw new Error(`--arch must be bert or roberta, got ${arch}`);
  const layers = value('--layers');
  return { arch, out: value('--out'), seed: Number(value('--seed') ?? 0), layers: layers === undefined ? undefined : Number(layers) };
}

/** The base model's config (vocabulary size of the released checkpoints). */
function baseConfig(arch: 'bert' | 'roberta', layers: number | undefined): EncoderConfig {
  const { referenceVocabSize, ...preset } = presets[arch === 'bert' ? 'bert-base' : 'roberta-base'];
  return { ...preset, vocabSize: referenceVocabSize as number, ...(layers === undefined ? {} : { numHiddenLayers: layers }) };
}

/** transformers' `_init_weights`: normal(0, range) matrices and embeddings, zero biases, unit LayerNorm scales, zero padding row. */
function randomWeights(config: EncoderConfig, seed: number): Map<string, TensorToWrite> {
  const rng = new Random(seed);
  const out = new Map<string, TensorToWrite>();
  for (const [name, shape] of parameterShapes(config, true)) {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/LayerNorm\.weight$/.test(name)) values.fill(1);
    else if (!/\.bias$/.test(name)) {
      const r = rng.fork();
      for (let i = 0; i < values.length; i++) values[i] = r.normal() * config.initializerRange;
    }
    if (name === 'embeddings.word_embeddings.weight' || name === 'embeddings.position_embeddings.weight') {
      // nn.Embedding(padding_idx) keeps its padding row at zero (RoBERTa's positions use the padding id too).
      if (name === 'embeddings.word_embeddings.weight' || config.architecture === 'roberta') {
        values.fill(0, config.padTokenId * config.hiddenSize, (config.padTokenId + 1) * config.hiddenSize);
      }
    }
    out.set(name, { shape, values });
  }
  return out;
}

/** Words of the bundled WordPiece vocabulary (whole words of ASCII letters), in its order. */
function bundledWords(): string[] {
  return defaultTokenizer().vocab.filter((t) => /^[a-z]{2,}$/.test(t));
}

function writeWordPiece(dir: string, vocabSize: number): void {
  const vocab = [...defaultTokenizer().vocab];
  for (let k = 0; vocab.length < vocabSize; k++) vocab.push(`[unused${k}]`);
  fs.writeFileSync(path.join(dir, 'vocab.txt'), `${vocab.join('\n')}\n`);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), `${JSON.stringify({ do_lower_case: true, model_max_length: 512, tokenizer_class: 'BertTokenizer' }, null, 2)}\n`);
}

/** GPT-2's reversible byte → printable-character table. */
function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
}

function writeBpe(dir: string, vocabSize: number): void {
  const vocab = new Map<string, number>();
  const add = (token: string): void => {
    if (!vocab.has(token)) vocab.set(token, vocab.size);
  };
  for (const special of ['<s>', '<pad>', '</s>', '<unk>']) add(special);
  for (const symbol of bytesToUnicode()) add(symbol);
  const merges: string[] = [];
  const room = vocabSize - 1; // the last id is <mask>
  const words = bundledWords();
  const capital = (w: string): string => (w[0] as string).toUpperCase() + w.slice(1);
  const variants = [words.map((w) => `Ġ${w}`), words, words.map((w) => `Ġ${capital(w)}`), words.map(capital)];
  outer: for (const list of variants) {
    for (const word of list) {
      // "Ġ" is one symbol; merge left to right, so every prefix of the word becomes a token.
      const symbols = [...word];
      let prefix = symbols[0] as string;
      for (const symbol of symbols.slice(1)) {
        const next = prefix + symbol;
        if (!vocab.has(next)) {
          if (vocab.size >= room) break outer;
          merges.push(`${prefix} ${symbol}`);
          add(next);
        }
        prefix = next;
      }
    }
  }
  for (let k = 0; vocab.size < room; k++) add(`<unused${k}>`);
  add('<mask>');
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(vocab)));
  fs.writeFileSync(path.join(dir, 'merges.txt'), `#version: 0.2\n${merges.join('\n')}\n`);
  fs.writeFileSync(
    path.join(dir, 'tokenizer_config.json'),
    `${JSON.stringify({ model_max_length: 512, add_prefix_space: false, bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', unk_token: '<unk>', mask_token: '<mask>', tokenizer_class: 'RobertaTokenizer' }, null, 2)}\n`,
  );
}

/**
 * Writes the folder and returns its path.
 *
 * @example
 * ```ts
 * const dir = makeCheckpoint({ arch: 'roberta', out: undefined, seed: 0, layers: undefined });
 * ```
 */
export function makeCheckpoint(args: MakeCheckpointArgs): string {
  const config = baseConfig(args.arch, args.layers);
  const dir = args.out ?? fs.mkdtempSync(path.join(os.tmpdir(), `carl-${args.arch}-base-`));
  fs.mkdirSync(dir, { recursive: true });
  if (args.arch === 'bert') writeWordPiece(dir, config.vocabSize);
  else writeBpe(dir, config.vocabSize);
  const model = args.arch === 'bert' ? 'BertModel' : 'RobertaModel';
  fs.writeFileSync(path.join(dir, 'config.json'), `${JSON.stringify(toHfConfig(config, [model]), null, 2)}\n`);
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), randomWeights(config, args.seed), { format: 'pt' });
  return dir;
}

// Run as a script (also through a TypeScript runner, where require.main is the runner), not when imported.
if (require.main === module || process.argv.some((a) => a.endsWith('make-checkpoint.ts') || a.endsWith('make-checkpoint.js'))) {
  const dir = makeCheckpoint(parseArgs(process.argv.slice(2)));
  process.stdout.write(`${dir}\n`);
}
