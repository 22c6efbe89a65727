import { CarlError } from '@carl/core';

/**
 * A `selfMask` that excludes, for each query, the candidates carrying the query's own sentence id,
 * e.g. stale copies of the sentence still waiting in the queue, so a sentence is never its own
 * negative. Pass `null` for candidates that must never be excluded (typically the in-batch keys, whose
 * own-id column is the positive).
 *
 * @param queryIds one id per query.
 * @param candidateIds one id (or `null`) per candidate: in-batch keys first, then extra keys.
 * @example
 * ```ts
 * const selfMask = sameIdMask(batchIds, [...batchIds.map(() => null), ...queue.ids]);
 * ```
 */
export function sameIdMask(queryIds: readonly string[], candidateIds: readonly (string | null)[]): boolean[][] {
  const columns = new Map<string, number[]>();
  candidateIds.forEach((id, j) => {
    if (id === null) return;
    if (typeof id !== 'string') throw new CarlError('INVALID_ARGUMENT', `id must be a string or null, got ${typeof id}`, { field: `candidateIds[${j}]` });
    const list = columns.get(id);
    if (list === undefined) columns.set(id, [j]);
    else list.push(j);
  });
  return queryIds.map((id, i) => {
    if (typeof id !== 'string') throw new CarlError('INVALID_ARGUMENT', `id must be a string, got ${typeof id}`, { field: `queryIds[${i}]` });
    const row = new Array<boolean>(candidateIds.length).fill(false);
    for (const j of columns.get(id) ?? []) row[j] = true;
    return row;
  });
}
