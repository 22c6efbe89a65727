/**
 * Pieces shared by `reproduce.ts` and `sweep.ts`: the decontaminated MLM common starts, opening a model
 * for embedding at a fixed maximum length, and the EmoBank-dev score that the sweep tunes on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LabeledText } from '@carl/core';
import { loadDataset, loadEmoBank, type DatasetName } from '@carl/datasets';
import { createEncoder, loadMlmHead, loadPretrained, pretrainMLM, savePretrained, trainWordPiece, type PresetName } from '@carl/encoder';
import { builtinTask, contaminationSet, decontaminate, DEFAULT_TASKS, fitRidge, pearson } from '@carl/eval-benchmarks';
import { loadCarlModel } from '@carl/trainer';

/** Corpora whose training text the MLM pre-training reads (after decontamination). */
export const PRETRAIN_CORPORA: readonly DatasetName[] = ['emobank', 'goemotions', 'dair-ai-emotion', 'sst5'];

/** Per pre-training corpus: what decontamination removed. */
export interface DecontaminationCounts {
  readonly texts: number;
  readonly sentences: number;
  readonly sentencesRemoved: number;
  readonly textsAffected: number;
  readonly textsDropped: number;
}

/** A model that embeds texts (trained model folder or bare encoder checkpoint). */
export interface OpenModel {
  embed(texts: readonly string[]): Float32Array[];
  dispose(): void;
}

/**
 * A trained model folder (encoder + VA head, which embeds at its training `maxLength`) or a bare
 * checkpoint (the common start), which is cut at `maxLength` too so `none` sees what trained models see.
 */
export async function openModel(dir: string, maxLength: number): Promise<OpenModel> {
  if (fs.existsSync(path.join(dir, 'carl.json'))) return loadCarlModel(dir);
  const encoder = await loadPretrained(dir);
  return { embed: (texts) => encoder.embed([...texts], { maxLength }).map((row) => Float32Array.from(row)), dispose: () => encoder.dispose() };
}

/** Every evaluation text that pre-training must not see: test splits, and the whole pool of k-fold tasks. */
export async function evaluationTexts(log: (m: string) => void): Promise<Set<string>> {
  const texts: string[] = [];
  for (const name of DEFAULT_TASKS.filter((t) => t !== 'align-uniform')) {
    const spec = builtinTask(name);
    const rows = await spec.load({});
    const used = spec.split.type === 'official' ? rows.test ?? [] : [...rows.train, ...(rows.test ?? [])];
    texts.push(...used.map((r) => r.text));
    log(`  decontamination: ${used.length} ${spec.split.type === 'official' ? 'test' : 'k-fold pool'} texts of ${name}`);
  }
  return contaminationSet(texts);
}

/** Options of {@link commonStart}. */
export interface StartOptions {
  readonly cacheDir: string;
  readonly preset: string;
  /** 1, 2, …: the MLM seed; seed s of the benchmark uses start ((s − 1) mod starts) + 1. */
  readonly start: number;
  readonly pretrainSteps: number;
  readonly vocabSize: number;
  readonly maxLength: number;
  readonly log: (m: string) => void;
}

/**
 * A method's row name in the report: the method alone on the base (first) preset, `method (preset)` on a
 * larger one, so one table holds both.
 *
 * @example
 * ```ts
 * modelName('carl', 'mini', 'tiny'); // 'carl (mini)'
 * ```
 */
export function modelName(method: string, preset: string, basePreset: string): string {
  return preset === basePreset ? method : `${method} (${preset})`;
}

/**
 * The inverse of {@link modelName}: the method and, for a larger preset's row, the preset.
 *
 * @example
 * ```ts
 * parseModelName('carl (mini)'); // { method: 'carl', preset: 'mini' }
 * ```
 */
export function parseModelName(model: string): { method: string; preset?: string } {
  const m = /^(.*) \(([^()]*)\)$/.exec(model);
  return m === null ? { method: model } : { method: m[1] as string, preset: m[2] as string };
}

/** Folder of a common start. */
export function startDir(cacheDir: string, preset: string, start: number): string {
  return path.join(cacheDir, `start-${preset}-${start}`);
}

/**
 * Refuses a cached start pre-trained for another number of MLM steps than asked (its `mlm-losses.json` has
 * one loss per step): the start folder is named by preset and index only, so a run with another
 * `--pretrain-steps` would otherwise reuse it, and every cell trained from it, without a word. A folder
 * without the loss record (not built yet) passes.
 *
 * @example
 * ```ts
 * checkStartSteps(startDir(cacheDir, 'mini', 1), 6000); // throws if start-mini-1 has 3,000 steps
 * ```
 */
export function checkStartSteps(dir: string, pretrainSteps: number): void {
  const file = path.join(dir, 'mlm-losses.json');
  if (!fs.existsSync(file)) return;
  const steps = (JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[]).length;
  if (steps !== pretrainSteps) {
    throw new Error(`${dir} was pre-trained for ${steps} MLM steps, but this run asks for ${pretrainSteps}: use another --cache (the cells trained from it are cached beside it) or the same step count`);
  }
}

/**
 * The MLM-pretrained encoder of one start (cached; the pre-training resumes). Its text is the training
 * text of {@link PRETRAIN_CORPORA} with every sentence that occurs in an evaluation set removed
 * (`decontamination.json` records the counts per corpus); the MLM loss of every step goes to
 * `mlm-losses.json`.
 */
export async function commonStart(options: StartOptions): Promise<string> {
  const dir = startDir(options.cacheDir, options.preset, options.start);
  if (fs.existsSync(path.join(dir, 'config.json'))) {
    checkStartSteps(dir, options.pretrainSteps);
    await restoreMlmHead(dir, options.log);
    return dir;
  }
  const forbidden = await evaluationTexts(options.log);
  const texts: string[] = [];
  const counts: Record<string, DecontaminationCounts> = {};
  for (const name of PRETRAIN_CORPORA) {
    const dataset = await loadDataset(name);
    const raw = dataset.splits.train.map((r: LabeledText) => r.text);
    const clean = decontaminate(raw, forbidden);
    counts[name] = { texts: raw.length, sentences: clean.sentencesBefore, sentencesRemoved: clean.sentencesRemoved, textsAffected: clean.textsAffected, textsDropped: clean.textsDropped };
    options.log(`  ${name}: removed ${clean.sentencesRemoved} of ${clean.sentencesBefore} sentences (${clean.textsDropped} texts dropped)`);
    texts.push(...clean.texts);
  }
  options.log(`start ${options.preset} #${options.start}: WordPiece ${options.vocabSize} + ${options.pretrainSteps} MLM steps on ${texts.length} decontaminated training texts`);
  const tokenizer = trainWordPiece(texts, { vocabSize: options.vocabSize });
  const encoder = createEncoder({ preset: options.preset as PresetName, tokenizer, seed: options.start });
  const result = await pretrainMLM({
    encoder,
    texts,
    steps: options.pretrainSteps,
    batchSize: 64,
    maxLength: options.maxLength,
    seed: options.start,
    checkpointDir: `${dir}-mlm`,
    checkpointEvery: 100,
    resume: fs.existsSync(`${dir}-mlm`),
    onProgress: (p) => {
      if (p.step % 100 === 0) options.log(`  mlm step ${p.step}/${options.pretrainSteps} loss ${p.loss.toFixed(3)}`);
    },
  });
  // With its MLM head: the `generator` PTD strategy samples replacement tokens from it.
  await savePretrained(encoder, dir, { mlmHead: result.mlmHead });
  fs.writeFileSync(path.join(dir, 'mlm-losses.json'), JSON.stringify(result.losses));
  fs.writeFileSync(path.join(dir, 'decontamination.json'), `${JSON.stringify(counts, null, 2)}\n`);
  encoder.dispose();
  return dir;
}

/** Starts already checked by {@link restoreMlmHead} in this process. */
const startsWithHead = new Set<string>();

/**
 * Starts saved before they kept their MLM head get it back from the pre-training's final folder
 * (`<start>-mlm`, saved from the same encoder with its head), so the `generator` strategy can run from them.
 * The encoder's own weights are not touched.
 */
async function restoreMlmHead(dir: string, log: (m: string) => void): Promise<void> {
  // Called for every cell; the model is loaded to check only the first time per start and process.
  if (startsWithHead.has(dir)) return;
  startsWithHead.add(dir);
  const encoder = await loadPretrained(dir);
  try {
    if ((encoder.loadReport?.mlmHead ?? []).length > 0 || !fs.existsSync(path.join(`${dir}-mlm`, 'config.json'))) return;
    const head = await loadMlmHead(`${dir}-mlm`, encoder);
    await savePretrained(encoder, dir, { mlmHead: head });
    log(`  ${path.basename(dir)}: MLM head restored from ${path.basename(dir)}-mlm`);
  } finally {
    encoder.dispose();
  }
}

/** Dev score of a model: ridge on (up to) 3,000 EmoBank train embeddings, Pearson r on EmoBank dev. */
export async function emobankDevScore(model: OpenModel, seed: number): Promise<{ valence: number; arousal: number; score: number }> {
  const emobank = await loadEmoBank();
  const train = emobank.splits.train.filter((r) => r.va !== undefined).slice(0, 3000);
  const dev = (emobank.splits.dev ?? []).filter((r) => r.va !== undefined);
  const probe = fitRidge(model.embed(train.map((r) => r.text)), train.map((r) => [r.va!.valence, r.va!.arousal]), { seed });
  const predicted = probe.predict(model.embed(dev.map((r) => r.text)));
  const valence = pearson(dev.map((r) => r.va!.valence), predicted.map((p) => p[0] as number));
  const arousal = pearson(dev.map((r) => r.va!.arousal), predicted.map((p) => p[1] as number));
  return { valence, arousal, score: (valence + arousal) / 2 };
}
