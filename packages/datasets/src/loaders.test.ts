import * as path from 'node:path';
import type { LabeledText } from '@carl/core';
import {
  ISEAR_LABELS,
  loadDairAiEmotion,
  loadDataset,
  loadEmoBank,
  loadFacebookVA,
  loadGoEmotions,
  loadIsear,
  loadSentimentTransfer,
  loadWarrinerWords,
} from './loaders';
import { loadTable } from './table';
import { allRows } from './types';
import { describeWithData, expectCarlError, tmpTree } from '@carl/core/testing';

const enc = (s: string): number[] => [...new TextEncoder().encode(s)];

// ---------------------------------------------------------------------------------------------
// Hand-written miniature corpora, one folder per corpus, in the same formats as the real files.

const ISEAR_HEADER =
  'ID|CITY|COUN|SUBJ|SEX|AGE|RELI|PRAC|FOCC|MOCC|FIEL|EMOT|WHEN|LONG|INTS|ERGO|TROPHO|TEMPER|EXPRES|MOVE|EXP1|EXP2|EXP10|PARAL|CON|EXPC|PLEA|PLAN|FAIR|CAUS|COPING|MORL|SELF|RELA|VERBAL|NEUTRO|Field1|Field3|Field2|MYKEY|SIT|STATE|';
/** One ISEAR line: 36 coded fields, then Field1, Field3, Field2, MYKEY, SIT, STATE and the trailing empty field. */
function isearLine(code: number, emotion: string, key: string, sit: string): string {
  const coded = Array.from({ length: 36 }, (_, i) => (i === 11 ? String(code) : '1'));
  return [...coded, emotion, '3', '2', key, sit, '1', ''].join('|');
}

const emobankCsv = 'id,split,V,A,D,text\ns1,train,3.0,3.0,3.2,"Remember what she said in my last letter? """\ns2,test,2.8,3.1,2.8,"Commas, and ""quotes"""\ns3,dev,4.6,1.8,4.2,plain\n';
const readerCsv = '"id","V","A","D","stdV","stdA","stdD","N"\n"s1","3.0","3.2","3.0","0.0","0.4","0.0","5"\n"s2","2.6","3.0","2.6","0.49","0.63","0.49","5"\n"s3","5.0","1.0","4.0","0","0","0","5"\n';

function fixtureTree(overrides: Record<string, string | Uint8Array> = {}): string {
  return tmpTree({
    'emobank/emobank.csv': emobankCsv,
    'emobank/reader.csv': readerCsv,
    'emobank/writer.csv': '"id","V","A","D","stdV","stdA","stdD","N"\n"s1","3","3","3","0","0","0","2"\n"s2","3","3","3","0","0","0","2"\n',
    'fb-valence-arousal/dataset-fb-valence-arousal-anon.csv': 'Anonymized Message,Valence1,Valence2,Arousal1,Arousal2\r\n"Hi, <NAME>! ""so"" glad",9,7,1,3\r\n,6,6,3,1\r\nplain,5,5,5,5\r\n',
    'goemotions/original/labels.txt': 'admiration\namusement\nneutral',
    'goemotions/original/train.tsv': '"Quoted" start, bare "quote\t0,1\tc1\nok [NAME]\t2\tc2\n',
    'goemotions/original/dev.tsv': 'dev text\t1\tc3\n',
    'goemotions/original/test.tsv': 'test text\t0\tc4\n',
    'dair-ai-emotion/train.jsonl': '{"text": "i feel \\"great\\"", "label": "joy"}\n{"text": "i feel low", "label": "sadness"}\n',
    'dair-ai-emotion/validation.jsonl': '{"text": "v", "label": "love"}\n',
    'dair-ai-emotion/test.jsonl': '{"text": "t", "label": "surprise"}\n',
    'isear/isear.csv': [
      ISEAR_HEADER,
      isearLine(1, 'joy', '0110011', 'When we met and á especially then.'),
      isearLine(3, 'anger', '0110013', 'A motorist | refused to let me pass | at all.'),
      isearLine(6, 'shame', '0110016', 'I said \\"no\\" and \\yes\\.  '),
    ].join('\n'),
    'sentiment-transfer/MR/rt-polarity.pos': new Uint8Array([...enc('a caf'), 0xe9, ...enc(' scene '), 0x96, ...enc(' lovely \nsecond\n')]),
    'sentiment-transfer/MR/rt-polarity.neg': 'dull .\n',
    'sentiment-transfer/CR/custrev.pos': 'good\n\nfine\n',
    'sentiment-transfer/CR/custrev.neg': 'bad\n\n',
    'sentiment-transfer/SUBJ/subj.objective': 'the film starts in 1950 .\n',
    'sentiment-transfer/SUBJ/subj.subjective': new Uint8Array([...enc('na'), 0xef, ...enc('ve but fun\n')]),
    'sentiment-transfer/MPQA/mpqa.pos': 'helpful\n',
    'sentiment-transfer/MPQA/mpqa.neg': 'complaining\n',
    'sentiment-transfer/SST/stsa.binary.train': '1 a stirring , funny film\n0 dull\n',
    'sentiment-transfer/SST/stsa.binary.dev': '1 ok\n',
    'sentiment-transfer/SST/stsa.binary.test': '0 bad\n',
    'sentiment-transfer/SST/stsa.fine.train': '4 great\n0 awful\n2 meh\n',
    'sentiment-transfer/SST/stsa.fine.dev': '3 good\n',
    'sentiment-transfer/SST/stsa.fine.test': '1 poor\n',
    'warriner-vad-norms/Ratings_Warriner_et_al.csv': ',Word,V.Mean.Sum,A.Mean.Sum,D.Mean.Sum\n1,aardvark,6.26,2.41,4.27\n2,joy,8.21,5.55,7\n3,sad,2.1,3.49,3.64\n4,alarm clock,4,6,4\n',
    'warriner-vad-norms/splits_crosslingual/train.txt': 'aardvark\njoy',
    'warriner-vad-norms/splits_crosslingual/dev.txt': 'sad',
    'warriner-vad-norms/splits_crosslingual/test.txt': '',
    ...overrides,
  });
}

const unit19 = (x: number): number => (x - 1) / 4 - 1;

describe('corpus loaders on hand-written fixtures', () => {
  const dataDir = fixtureTree();
  const common = { dataDir, download: false } as const;

  it('EmoBank combined: official splits, 1–5 mapped to [-1, 1], RFC-4180 quoting traps', async () => {
    const eb = await loadEmoBank(common);
    expect(eb.splits.train).toEqual([{ id: 's1', text: 'Remember what she said in my last letter? "', va: { valence: 0, arousal: 0, dominance: expect.closeTo(0.1, 12) }, source: 'emobank' }]);
    expect(eb.splits.test?.[0]?.text).toBe('Commas, and "quotes"');
    expect(eb.splits.test?.[0]?.va).toEqual({ valence: expect.closeTo(-0.1, 12), arousal: expect.closeTo(0.05, 12), dominance: expect.closeTo(-0.1, 12) });
    expect(eb.splits.dev?.[0]?.va).toEqual({ valence: expect.closeTo(0.8, 12), arousal: expect.closeTo(-0.6, 12), dominance: expect.closeTo(0.6, 12) });
    expect(eb.officialSplits).toBe(true);
    expect(eb.scale).toEqual({ name: 'sam-1-5', min: 1, max: 5 });
    expect(eb.info?.commit).toBe('248ce2a43e165a66d31aeaed83cff9641d6654e0');
  });

  it('EmoBank reader perspective: ratings from reader.csv joined on id', async () => {
    const eb = await loadEmoBank({ ...common, perspective: 'reader' });
    expect(eb.splits.train[0]?.va).toEqual({ valence: 0, arousal: expect.closeTo(0.1, 12), dominance: 0 });
    expect(eb.splits.dev?.[0]?.va).toEqual({ valence: 1, arousal: -1, dominance: 0.5 });
  });

  it('EmoBank writer perspective: a sentence without a writer rating is an error naming it', async () => {
    await expectCarlError(loadEmoBank({ ...common, perspective: 'writer' }), 'INVALID_DATA', /emobank\.csv:4 \[id\]: no writer rating for id "s3" in writer\.csv/);
    const eb = await loadEmoBank({ ...common, perspective: 'writer', skipBadRows: true });
    expect(eb.splits.dev).toBeUndefined();
    expect(eb.report.rowsKept).toBe(2);
    expect(eb.report.skipped).toEqual([expect.objectContaining({ line: 4, reason: 'missing-value' })]);
  });

  it('Facebook posts: mean of two annotators on 1–9; the empty post is skipped and reported', async () => {
    const fb = await loadFacebookVA(common);
    expect(fb.splits.train.map((r) => [r.id, r.text, r.va])).toEqual([
      ['fb:1', 'Hi, <NAME>! "so" glad', { valence: 0.75, arousal: -0.75 }],
      ['fb:3', 'plain', { valence: 0, arousal: 0 }],
    ]);
    expect(fb.report.skipped).toEqual([expect.objectContaining({ line: 3, reason: 'empty-text', field: 'Anonymized Message' })]);
    expect(fb.officialSplits).toBe(false);
    const second = await loadFacebookVA({ ...common, annotator: 2 });
    expect(second.splits.train[0]?.va).toEqual({ valence: 0.5, arousal: -0.5 });
  });

  it('GoEmotions: header-less TSV, bare quotes kept, multi-label ids mapped through labels.txt', async () => {
    const ge = await loadGoEmotions(common);
    expect(ge.labelNames).toEqual(['admiration', 'amusement', 'neutral']);
    expect(ge.splits.train).toEqual([
      { id: 'c1', text: '"Quoted" start, bare "quote', labels: ['admiration', 'amusement'], source: 'goemotions' },
      { id: 'c2', text: 'ok [NAME]', labels: ['neutral'], source: 'goemotions' },
    ]);
    expect(ge.splits.dev?.map((r) => r.id)).toEqual(['c3']);
    expect(ge.multiLabel).toBe(true);
  });

  it('GoEmotions: a label id outside labels.txt or a 4th column is an error with its line', async () => {
    const bad = fixtureTree({ 'goemotions/original/dev.tsv': 'fine\t1\tc3\nbad\t7\tc9\n' });
    await expectCarlError(loadGoEmotions({ dataDir: bad, download: false }), 'INVALID_DATA', /dev\.tsv:2 \[1\]: unknown label "7"/);
    const extra = fixtureTree({ 'goemotions/original/test.tsv': 'a\tb\t0\tc4\n' });
    await expectCarlError(loadGoEmotions({ dataDir: extra, download: false }), 'INVALID_DATA', /test\.tsv:1: expected 3 fields, found 4/);
  });

  it('dair-ai emotion: JSON Lines, HF label order, validation read as dev, ids per split', async () => {
    const d = await loadDairAiEmotion(common);
    expect(d.labelNames).toEqual(['sadness', 'joy', 'love', 'anger', 'fear', 'surprise']);
    expect(d.splits.train.map((r) => [r.id, r.text, r.labels])).toEqual([
      ['dair-ai-emotion:train:1', 'i feel "great"', ['joy']],
      ['dair-ai-emotion:train:2', 'i feel low', ['sadness']],
    ]);
    expect(d.splits.dev?.[0]?.labels).toEqual(['love']);
    const bad = fixtureTree({ 'dair-ai-emotion/test.jsonl': '{"text": "t", "label": "rage"}\n{"text": 5, "label": "joy"}\n' });
    await expectCarlError(loadDairAiEmotion({ dataDir: bad, download: false }), 'INVALID_DATA', /test\.jsonl:1 \[label\]: unknown label "rage"/);
    const skipped = await loadDairAiEmotion({ dataDir: bad, download: false, skipBadRows: true });
    expect(skipped.report.skipped.map((s) => [path.basename(s.file), s.line, s.reason])).toEqual([['test.jsonl', 1, 'unknown-label'], ['test.jsonl', 2, 'malformed']]);
  });

  it('ISEAR: pipe-separated, situations with extra pipes rejoined, artefacts cleaned', async () => {
    const isear = await loadIsear(common);
    expect(isear.labelNames).toEqual(ISEAR_LABELS);
    expect(isear.splits.train).toEqual([
      { id: '0110011', text: 'When we met and especially then.', labels: ['joy'], source: 'isear' },
      { id: '0110013', text: 'A motorist refused to let me pass at all.', labels: ['anger'], source: 'isear' },
      { id: '0110016', text: 'I said "no" and "yes".', labels: ['shame'], source: 'isear' },
    ]);
    const raw = await loadIsear({ ...common, clean: false });
    expect(raw.splits.train[1]?.text).toBe('A motorist   refused to let me pass   at all.');
  });

  it('ISEAR: an EMOT code that contradicts the emotion name is an error', async () => {
    const bad = fixtureTree({ 'isear/isear.csv': `${ISEAR_HEADER}\n${isearLine(2, 'joy', 'k1', 'x')}` });
    await expectCarlError(loadIsear({ dataDir: bad, download: false }), 'INVALID_DATA', /isear\.csv:2 \[EMOT\]: EMOT code "2" does not match emotion "joy"/);
  });

  it('MR and SUBJ: Windows-1252 bytes decoded (é, en dash), classes from file names', async () => {
    const mr = await loadSentimentTransfer('mr', common);
    expect(mr.labelNames).toEqual(['negative', 'positive']);
    expect(allRows(mr).map((r) => [r.id, r.text, r.labels?.[0]])).toEqual([
      ['mr:neg:1', 'dull .', 'negative'],
      ['mr:pos:1', 'a café scene – lovely', 'positive'],
      ['mr:pos:2', 'second', 'positive'],
    ]);
    const subj = await loadSentimentTransfer('subj', common);
    expect(subj.splits.train.map((r) => r.text)).toEqual(['the film starts in 1950 .', 'naïve but fun']);
  });

  it('CR: blank lines are reported as skipped, never silently dropped', async () => {
    const cr = await loadSentimentTransfer('cr', common);
    expect(cr.splits.train.map((r) => r.text)).toEqual(['bad', 'good', 'fine']);
    expect(cr.report.rowsRead).toBe(5);
    expect(cr.report.skipped.map((s) => [path.basename(s.file), s.line, s.reason])).toEqual([['custrev.neg', 2, 'empty-text'], ['custrev.pos', 2, 'empty-text']]);
  });

  it('SST-2 / SST-5: `<label> <sentence>` lines with official splits and named classes', async () => {
    const sst5 = await loadSentimentTransfer('sst5', common);
    expect(sst5.splits.train.map((r) => r.labels?.[0])).toEqual(['very positive', 'very negative', 'neutral']);
    expect(sst5.splits.test?.[0]).toEqual({ id: 'sst5:test:1', text: 'poor', labels: ['negative'], source: 'sst5' });
    const sst2 = await loadDataset('sst2', common);
    expect(sst2.splits.train[0]?.text).toBe('a stirring , funny film');
    const bad = fixtureTree({ 'sentiment-transfer/SST/stsa.binary.dev': '1 ok\n5 what\n' });
    await expectCarlError(loadSentimentTransfer('sst2', { dataDir: bad, download: false }), 'INVALID_DATA', /stsa\.binary\.dev:2 \[label\]: label "5" is not 0–1/);
  });

  it('Warriner: words with V/A/D on 1–9 and the official word split; unsplit words noted', async () => {
    const w = await loadWarrinerWords(common);
    expect(w.splits.train.map((r) => r.id)).toEqual(['aardvark', 'joy']);
    expect(w.splits.dev?.[0]?.va).toEqual({ valence: expect.closeTo(unit19(2.1), 12), arousal: expect.closeTo(unit19(3.49), 12), dominance: expect.closeTo(unit19(3.64), 12) });
    expect(w.splits.test).toBeUndefined();
    expect(w.report.notes).toEqual([expect.stringMatching(/^1 words are in no official split.*"alarm clock"/)]);
    expect(w.report.rowsKept).toBe(3);
    const all = await loadWarrinerWords({ ...common, split: 'none' });
    expect(all.splits.train).toHaveLength(4);
    expect(all.officialSplits).toBe(false);
  });

  it('a missing corpus fails with DATASET_NOT_FOUND that says how to fix it', async () => {
    const empty = tmpTree({});
    const e = await expectCarlError(loadDataset('isear', { dataDir: empty, cacheDir: empty, download: false }), 'DATASET_NOT_FOUND');
    expect(e.message).toMatch(/isear\.csv[\s\S]*py_isear_dataset/);
  });
});

// ---------------------------------------------------------------------------------------------
// The real corpora: published sizes and splits.

function labelCounts(rows: readonly LabeledText[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) for (const label of row.labels ?? []) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

function mean(rows: readonly LabeledText[], f: (r: LabeledText) => number): number {
  return rows.reduce((s, r) => s + f(r), 0) / rows.length;
}

describeWithData('real corpora: published sizes and splits', (dataDir) => {
  const common = { dataDir, download: false } as const;

  it('EmoBank: 10,062 = 8,062 / 1,000 / 1,000 in every perspective; combined means ≈ 2.98 / 3.04 / 3.06', async () => {
    for (const perspective of ['combined', 'reader', 'writer'] as const) {
      const eb = await loadEmoBank({ ...common, perspective });
      expect([eb.splits.train.length, eb.splits.dev?.length, eb.splits.test?.length]).toEqual([8062, 1000, 1000]);
      expect(eb.report.skipped).toEqual([]);
      if (perspective === 'combined') {
        const rows = allRows(eb);
        const raw = (x: number): number => ((x + 1) / 2) * 4 + 1; // back to 1–5
        expect(raw(mean(rows, (r) => r.va?.valence ?? NaN))).toBeCloseTo(2.98, 1);
        expect(raw(mean(rows, (r) => r.va?.arousal ?? NaN))).toBeCloseTo(3.04, 1);
        expect(raw(mean(rows, (r) => r.va?.dominance ?? NaN))).toBeCloseTo(3.06, 1);
        // SOURCE.md: observed V range 1.2–4.6
        expect(Math.min(...rows.map((r) => raw(r.va?.valence ?? NaN)))).toBeCloseTo(1.2, 6);
        expect(Math.max(...rows.map((r) => raw(r.va?.valence ?? NaN)))).toBeCloseTo(4.6, 6);
      }
    }
  });

  it('Facebook posts: 2,895 posts, one with an empty message reported; means ≈ 5.26 / 3.35', async () => {
    const fb = await loadFacebookVA(common);
    expect(fb.report.rowsRead).toBe(2895);
    expect(fb.splits.train).toHaveLength(2894);
    expect(fb.report.skipped).toEqual([expect.objectContaining({ line: 72, reason: 'empty-text' })]);
    const raw = (x: number): number => ((x + 1) / 2) * 8 + 1;
    expect(raw(mean(fb.splits.train, (r) => r.va?.valence ?? NaN))).toBeCloseTo(5.26, 1);
    expect(raw(mean(fb.splits.train, (r) => r.va?.arousal ?? NaN))).toBeCloseTo(3.35, 1);
  });

  it('GoEmotions: 43,410 / 5,426 / 5,427 in all three taxonomies; label-count profile of original/train', async () => {
    for (const [taxonomy, labels] of [['original', 28], ['ekman', 7], ['group', 4]] as const) {
      const ge = await loadGoEmotions({ ...common, taxonomy });
      expect([ge.splits.train.length, ge.splits.dev?.length, ge.splits.test?.length]).toEqual([43410, 5426, 5427]);
      expect(ge.labelNames).toHaveLength(labels);
      if (taxonomy === 'original') {
        const byCount: Record<number, number> = {};
        for (const r of ge.splits.train) byCount[r.labels?.length ?? 0] = (byCount[r.labels?.length ?? 0] ?? 0) + 1;
        expect(byCount).toEqual({ 1: 36308, 2: 6541, 3: 532, 4: 28, 5: 1 });
        expect(ge.labelNames?.[27]).toBe('neutral');
      }
    }
  });

  it('dair-ai emotion: 16,000 / 2,000 / 2,000 with the published class counts', async () => {
    const d = await loadDairAiEmotion(common);
    expect([d.splits.train.length, d.splits.dev?.length, d.splits.test?.length]).toEqual([16000, 2000, 2000]);
    expect(labelCounts(d.splits.train)).toEqual({ joy: 5362, sadness: 4666, anger: 2159, fear: 1937, love: 1304, surprise: 572 });
    expect(labelCounts(d.splits.test ?? [])).toEqual({ joy: 695, sadness: 581, anger: 275, fear: 224, love: 159, surprise: 66 });
  });

  it('ISEAR: 7,666 episodes with the published class counts; texts equal the independently derived CSV', async () => {
    const isear = await loadIsear(common);
    expect(isear.splits.train).toHaveLength(7666);
    expect(labelCounts(isear.splits.train)).toEqual({ joy: 1094, fear: 1095, anger: 1096, sadness: 1096, disgust: 1096, shame: 1096, guilt: 1093 });
    const derived = await loadTable({ file: path.join(dataDir, 'isear', 'isear_text_emotion.csv'), textColumn: 'text', idColumn: 'id', labelColumn: 'emotion' });
    expect(derived.splits.train).toHaveLength(7666);
    const byId = new Map(derived.splits.train.map((r) => [r.id, r]));
    for (const row of isear.splits.train) {
      const other = byId.get(row.id);
      expect(other?.text).toBe(row.text);
      expect(other?.labels).toEqual(row.labels);
    }
  });

  it('MR 10,662, CR 3,775, SUBJ 10,000, MPQA 10,606 lines (blank lines reported); SST-2/5 official splits', async () => {
    const sizes: Record<string, [number, number]> = { mr: [10662, 0], cr: [3771, 4], subj: [10000, 0], mpqa: [10603, 3] };
    for (const [name, [rows, blank]] of Object.entries(sizes)) {
      const ds = await loadSentimentTransfer(name as 'mr', common);
      expect(ds.splits.train).toHaveLength(rows);
      expect(ds.report.rowsRead).toBe(rows + blank);
      expect(ds.report.skipped).toHaveLength(blank);
      expect(ds.report.skipped.every((s) => s.reason === 'empty-text')).toBe(true);
      // No mojibake: Windows-1252 decoding leaves neither U+FFFD nor C1 control characters.
      expect(ds.splits.train.some((r) => /[\uFFFD\u0080-\u009F]/.test(r.text))).toBe(false);
    }
    const mr = await loadSentimentTransfer('mr', common);
    expect(labelCounts(mr.splits.train)).toEqual({ negative: 5331, positive: 5331 });
    expect(mr.splits.train.some((r) => r.text.includes('é'))).toBe(true);
    const sst2 = await loadSentimentTransfer('sst2', common);
    expect([sst2.splits.train.length, sst2.splits.dev?.length, sst2.splits.test?.length]).toEqual([6920, 872, 1821]);
    const sst5 = await loadSentimentTransfer('sst5', common);
    expect([sst5.splits.train.length, sst5.splits.dev?.length, sst5.splits.test?.length]).toEqual([8544, 1101, 2210]);
  });

  it('Warriner: 13,915 words; official split 11,463 / 1,296 / 1,032 with 124 words in none', async () => {
    const w = await loadWarrinerWords(common);
    expect([w.splits.train.length, w.splits.dev?.length, w.splits.test?.length]).toEqual([11463, 1296, 1032]);
    expect(w.report.rowsRead).toBe(13915);
    expect(w.report.notes[0]).toMatch(/^124 words are in no official split/);
    const all = await loadWarrinerWords({ ...common, split: 'none' });
    expect(all.splits.train).toHaveLength(13915);
    const joy = all.splits.train.find((r) => r.id === 'joy');
    expect(joy?.va?.valence).toBeCloseTo(unit19(8.21), 12);
  });
});
