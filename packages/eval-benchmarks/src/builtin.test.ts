import * as path from 'node:path';
import { builtinTask, BUILTIN_TASK_NAMES, DEFAULT_TASKS } from './builtin';
import { evaluate } from './evaluate';
import { formatTable } from './report';
import { runTask } from './tasks';
import { lexiconVA, loadWarrinerNorms } from '@carl/va-labeling';
import { realDataDir } from '@carl/core/testing';

// The real corpora are not in the repository: tests read $CARL_DATA_DIR, else ../shared/data next to the repo.
const DATA_DIR = realDataDir();
const withData = DATA_DIR === undefined ? describe.skip : describe;
if (DATA_DIR === undefined) {
  // eslint-disable-next-line no-console
  console.warn('[eval-benchmarks] skipping the real-data task tests: set CARL_DATA_DIR to the folder holding emobank/, sentiment-transfer/, … (see ../shared/data/README.md)');
}

/** Signed feature hashing of lower-cased words into `dims` dimensions, L2-normalised: a bag of words that needs no model. */
function hashWords(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const word of text.toLowerCase().match(/[a-z']+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619) >>> 0;
    v[h % dims] = (v[h % dims] as number) + (h & 0x80000000 ? -1 : 1);
  }
  const norm = Math.hypot(...v);
  return norm === 0 ? v : v.map((x) => x / norm);
}

/**
 * A classical affect baseline: mean Warriner valence, arousal and dominance of the words (NOTES: V .38
 * on EmoBank alone), their coverage, and a hashed bag of words.
 */
async function lexiconEmbedder(dataDir: string): Promise<(texts: readonly string[]) => number[][]> {
  const norms = await loadWarrinerNorms(path.join(dataDir, 'warriner-vad-norms', 'Ratings_Warriner_et_al.csv'));
  return (texts) =>
    texts.map((text) => {
      const est = lexiconVA(text, { lexicon: 'warriner', norms });
      return [est.valence ?? 0, est.arousal ?? 0, est.dominance ?? 0, est.coverage, ...hashWords(text, 128)];
    });
}

const hashEmbed = (texts: readonly string[]): number[][] => texts.map((t) => hashWords(t, 64));

describe('built-in task registry', () => {
  it('has the default suite of issue 8 and three extras, each with a split rule and description', () => {
    expect(DEFAULT_TASKS).toEqual(['emobank-va', 'fb-va', 'mr', 'cr', 'sst2', 'sst5', 'dair-emotion', 'goemotions-ekman', 'align-uniform']);
    expect(BUILTIN_TASK_NAMES).toHaveLength(12);
    expect(builtinTask('fb-va').split).toEqual({ type: 'kfold', k: 10 });
    expect(builtinTask('sst5').split).toEqual({ type: 'official' });
    expect(builtinTask('align-uniform').kind).toBe('align-uniform');
    for (const name of BUILTIN_TASK_NAMES) expect(builtinTask(name).description).toMatch(/\w/);
  });
});

withData('built-in tasks on the real corpora', () => {
  const dataDir = DATA_DIR as string;

  it('load the published numbers of rows', async () => {
    const available = async (name: string): Promise<number> => {
      const r = await runTask(name, hashEmbed, { dataDir, download: false, maxTrain: 50, maxTest: 50 });
      return r.protocol.available;
    };
    expect(await available('emobank-va')).toBe(8062 + 1000); // dev is not used
    expect(await available('fb-va')).toBe(2894); // 2,895 posts, one with an empty text, which @carl/datasets skips and reports
    expect(await available('mr')).toBe(10662);
    expect(await available('cr')).toBe(3771); // 3,775 lines, 4 of them empty (skipped and reported by @carl/datasets)
    expect(await available('sst2')).toBe(6920 + 1821);
    expect(await available('sst5')).toBe(8544 + 2210);
    expect(await available('dair-emotion')).toBe(16000 + 2000);
    expect(await available('align-uniform')).toBe(1000);
  }, 60_000);

  it('goemotions-ekman keeps only single-label comments, in 7 classes', async () => {
    const rows = await builtinTask('goemotions-ekman').load({ dataDir, download: false });
    expect(rows.labelNames).toEqual(['anger', 'disgust', 'fear', 'joy', 'neutral', 'sadness', 'surprise']);
    const all = [...rows.train, ...(rows.test ?? [])];
    expect(all.every((r) => r.labels?.length === 1)).toBe(true);
    // most comments carry one label; the multi-label ones (about a sixth) are gone
    expect(rows.train.length).toBeGreaterThan(30000);
    expect(rows.train.length).toBeLessThan(43410);
    expect(rows.test?.length).toBeLessThan(5427);
  }, 60_000);

  it('run the default suite end to end with a lexicon + bag-of-words baseline', async () => {
    const embed = await lexiconEmbedder(dataDir);
    const report = await evaluate({ embed, dataDir, download: false, seed: 1, maxTrain: 400, maxTest: 200, model: 'warriner+bow' });
    expect(report.tasks.map((t) => t.task)).toEqual([...DEFAULT_TASKS]);
    const byName = new Map(report.tasks.map((t) => [t.task, t]));
    const eb = byName.get('emobank-va');
    if (eb?.kind !== 'va') throw new Error('emobank-va is a VA task');
    expect(eb.protocol).toMatchObject({ train: 400, test: 200 });
    // word norms carry valence: a probe on them must find it (a random embedding gives r ≈ 0 ± 0.07 here)
    expect(eb.metrics.valence.pearson).toBeGreaterThan(0.2);
    const fb = byName.get('fb-va');
    if (fb?.kind !== 'va') throw new Error('fb-va is a VA task');
    expect(fb.foldMetrics).toHaveLength(10);
    expect(fb.metrics.valence.pearson).toBeGreaterThan(0.2);
    const sst2 = byName.get('sst2');
    if (sst2?.kind !== 'classification') throw new Error('sst2 is a classification task');
    expect(sst2.metrics.accuracy).toBeGreaterThan(0.55);
    const ge = byName.get('goemotions-ekman');
    if (ge?.kind !== 'classification') throw new Error('goemotions-ekman');
    expect(ge.labels).toHaveLength(7);
    const au = byName.get('align-uniform');
    if (au?.kind !== 'align-uniform') throw new Error('align-uniform');
    expect(au.protocol.test).toBe(200);
    expect(au.metrics.positivePairs).toBeGreaterThan(0);
    expect(au.metrics.alignment).toBeGreaterThan(0);
    expect(au.metrics.alignment).toBeLessThanOrEqual(4);
    expect(au.metrics.uniformity).toBeLessThan(0);
    // every metric is a finite number (JSON would turn NaN into null)
    expect(JSON.stringify(report.tasks.map((t) => t.metrics))).not.toContain('null');
    expect(formatTable(report)).toContain('goemotions-ekman');
  }, 120_000);
});
