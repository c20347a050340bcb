import type { ChainHead } from '../domain/audit.ts';
import type { Deps } from '../lib/deps.ts';

/**
 * How many days back the copy looks for chains that grew: a week, so a few days of failed runs
 * still leave no chain uncopied. Copies only add (the verifier keeps each chain's furthest head).
 */
export const HEAD_COPY_LOOKBACK_DAYS = 7;

const DAY_MS = 86_400_000;

/**
 * R17: copies the head (request id, length, last MAC) of every chain that grew in the last week to
 * write-once storage, so `npm run audit:verify` can tell a cut-off tail or a deleted chain. Reads
 * the audit table's day index and each chain's last event by key. `copied` remembers what this
 * instance copied already, so a frequent local timer adds only what changed.
 */
export async function copyChainHeads(
  deps: Pick<Deps, 'audit' | 'auditHeads' | 'clock'>,
  copied: Map<string, ChainHead> = new Map(),
): Promise<{ chains: number; copied: number }> {
  const now = deps.clock();
  const grown = new Set<string>();
  for (let d = 0; d < HEAD_COPY_LOOKBACK_DAYS; d++) {
    const day = new Date(now.getTime() - d * DAY_MS).toISOString().slice(0, 10);
    for (const requestId of await deps.audit.requestsOfDay(day)) grown.add(requestId);
  }
  const heads: ChainHead[] = [];
  for (const requestId of grown) {
    const head = await deps.audit.head(requestId);
    const before = copied.get(requestId);
    if (head && (before?.seq !== head.seq || before.hash !== head.hash)) heads.push(head);
  }
  await deps.auditHeads.record(heads, now);
  for (const h of heads) copied.set(h.requestId, h);
  // R5: counts only.
  return { chains: grown.size, copied: heads.length };
}
