import { CarlError, Random } from '@carl/core';
import { checkShape, widthOf, type TokenMatrix } from './matrix';

/**
 * How tokens are chosen from the saliency scores.
 * - `top`: the k highest scores (ties: the earlier position), deterministic.
 * - `sample`: k tokens drawn without replacement with probability ∝ score^(1/temperature)
 *   (Gumbel-top-k), so salient tokens dominate but the choice varies from step to step.
 * - `random`: k tokens uniformly at random, ignoring scores: the ablation baseline with the same budget.
 */
export type SelectionMethod = 'top' | 'sample' | 'random';

/** How many tokens per sentence {@link selectTokens} picks. */
export interface SelectionBudget {
  /** Fraction ρ of a sentence's candidate tokens, in [0, 1]. Default 0.15 (the MLM/ELECTRA rate). */
  readonly ratio?: number;
  /** At least this many per sentence (when it has that many candidates). Default 1. */
  readonly minTokens?: number;
  /** At most this many per sentence. Default no cap. */
  readonly maxTokens?: number;
}

/** Options of {@link selectTokens}. */
export interface SelectTokensOptions extends SelectionBudget {
  /** One score row per sentence (e.g. `tokenSaliency(...).scores`); not needed for `random`. */
  readonly scores?: readonly ArrayLike<number>[];
  /** 1 where a token may be chosen (e.g. `tokenSaliency(...).candidates`); special and padding tokens are 0. */
  readonly candidates: TokenMatrix;
  /** Default `top`. */
  readonly method?: SelectionMethod;
  /** For `sample`: > 0; small values approach `top`, large ones approach `random`. Default 1. */
  readonly temperature?: number;
  /** Seeded stream for `sample` and `random` (required there, so each step draws afresh and reproducibly). */
  readonly rng?: Random;
}

/**
 * The number of tokens chosen in a sentence with `candidateCount` eligible tokens:
 * round(ρ·n) (half up), raised to `minTokens`, capped at `maxTokens` and at n.
 *
 * @example
 * ```ts
 * selectionSize(10);                    // 2  (0.15·10 = 1.5 → 2)
 * selectionSize(4);                     // 1  (0.6 → 1, and at least 1)
 * selectionSize(40, { maxTokens: 3 });  // 3
 * ```
 */
export function selectionSize(candidateCount: number, budget: SelectionBudget = {}): number {
  const { ratio = 0.15, minTokens = 1, maxTokens = Number.POSITIVE_INFINITY } = budget;
  if (!Number.isInteger(candidateCount) || candidateCount < 0) {
    throw new CarlError('INVALID_ARGUMENT', `candidate count must be a non-negative integer, got ${candidateCount}`, { field: 'candidateCount' });
  }
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new CarlError('INVALID_ARGUMENT', `ratio must be in [0, 1], got ${ratio}`, { field: 'ratio' });
  if (!Number.isInteger(minTokens) || minTokens < 0) {
    throw new CarlError('INVALID_ARGUMENT', `minTokens must be a non-negative integer, got ${minTokens}`, { field: 'minTokens' });
  }
  if (maxTokens !== Number.POSITIVE_INFINITY && (!Number.isInteger(maxTokens) || maxTokens < minTokens)) {
    throw new CarlError('INVALID_ARGUMENT', `maxTokens must be an integer ≥ minTokens (${minTokens}), got ${maxTokens}`, { field: 'maxTokens' });
  }
  // The epsilon makes decimal ratios round as written (0.15·30 is 4.4999… in binary, meant as 4.5).
  const wanted = Math.floor(ratio * candidateCount + 0.5 + 1e-9);
  return Math.min(candidateCount, Math.min(maxTokens, Math.max(minTokens, wanted)));
}

/**
 * Chooses the tokens to perturb in each sentence: positions (ascending) of the top-ρ salient
 * tokens, a temperature sample of them, or a random set of the same size. Special and padding
 * tokens (candidates 0) are never chosen.
 *
 * @example
 * ```ts
 * const sal = tokenSaliency({ encoder, inputs, loss, specialTokensMask: batch.specialTokensMask });
 * const selected = selectTokens({ scores: sal.scores, candidates: sal.candidates, ratio: 0.15 });
 * // e.g. [[3], [1, 4]]
 * ```
 */
export function selectTokens(options: SelectTokensOptions): number[][] {
  const { candidates, method = 'top', temperature = 1, rng, scores } = options;
  if (method !== 'top' && method !== 'sample' && method !== 'random') {
    throw new CarlError('INVALID_ARGUMENT', `unknown selection method "${String(method)}"; expected top, sample or random`, { field: 'method' });
  }
  const width = widthOf(candidates, 'candidates');
  if (method !== 'random') {
    if (scores === undefined) throw new CarlError('INVALID_ARGUMENT', `method "${method}" needs scores`, { field: 'scores' });
    checkShape(scores, candidates.length, width, 'scores');
  }
  if (method !== 'top' && !(rng instanceof Random)) {
    throw new CarlError('INVALID_ARGUMENT', `method "${method}" needs a seeded rng (a Random from @carl/core)`, { field: 'rng' });
  }
  if (method === 'sample' && !(Number.isFinite(temperature) && temperature > 0)) {
    throw new CarlError('INVALID_ARGUMENT', `temperature must be a positive finite number, got ${temperature}`, { field: 'temperature' });
  }
  selectionSize(0, options); // validates the budget once, before any row

  return candidates.map((row, i) => {
    const eligible: number[] = [];
    row.forEach((c, j) => {
      if (c !== 0 && c !== 1) throw new CarlError('INVALID_ARGUMENT', `candidate mask must hold 0 or 1, got ${c}`, { field: `candidates[${i}][${j}]` });
      if (c === 1) eligible.push(j);
    });
    const k = selectionSize(eligible.length, options);
    if (k === 0) return [];
    let ranked: number[];
    if (method === 'random') {
      ranked = (rng as Random).shuffle(eligible);
    } else {
      const s = scores?.[i] as ArrayLike<number>;
      for (const j of eligible) {
        const v = s[j] as number;
        if (!Number.isFinite(v) || (method === 'sample' && v < 0)) {
          throw new CarlError('INVALID_ARGUMENT', `score must be a finite${method === 'sample' ? ', non-negative' : ''} number, got ${v}`, {
            field: `scores[${i}][${j}]`,
          });
        }
      }
      ranked = method === 'top' ? rankTop(eligible, s) : rankGumbel(eligible, s, temperature, rng as Random);
    }
    return ranked.slice(0, k).sort((a, b) => a - b);
  });
}

function rankTop(eligible: number[], s: ArrayLike<number>): number[] {
  return eligible.slice().sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
}

/**
 * Gumbel-top-k: adding Gumbel noise to log p and keeping the k largest keys is an exact draw of
 * k items without replacement from p ∝ s^(1/T). Zero scores get −∞ keys and only fill the budget
 * (uniformly) when fewer than k tokens have positive saliency.
 */
function rankGumbel(eligible: number[], s: ArrayLike<number>, temperature: number, rng: Random): number[] {
  const keyed = eligible.map((j) => {
    const gumbel = -Math.log(-Math.log(openUnit(rng)));
    const v = s[j] as number;
    return { j, key: v > 0 ? Math.log(v) / temperature + gumbel : Number.NEGATIVE_INFINITY, tie: gumbel };
  });
  keyed.sort((a, b) => (a.key === b.key ? b.tie - a.tie : b.key - a.key));
  return keyed.map((k) => k.j);
}

function openUnit(rng: Random): number {
  let u = rng.float();
  while (u === 0) u = rng.float();
  return u;
}
