import type { PatronRef, SystemConnector } from '../../connectors/port.ts';
import type { Category } from '../../domain/categories.ts';
import type { RequestRecord } from '../../domain/request.ts';
import type { SystemResult } from '../../domain/system-result.ts';
import type { SystemConfig } from '../../domain/systems.ts';
import type { Deps } from '../../lib/deps.ts';

/** R19: what one request's work in one system answers, before it is stored as the system's result. */
export type Outcome = Partial<Pick<SystemResult, 'counts' | 'blockers' | 'pendingCleanup' | 'retained' | 'reason'>> & {
  state: 'done' | 'not-held' | 'blocked' | 'could-not';
};

/** One request, one system reached through its connector, and the person's id there. */
export interface Reach {
  deps: Deps;
  request: RequestRecord;
  system: SystemConfig;
  connector: SystemConnector;
  ref: PatronRef;
}

/**
 * How many records the system holds of the person, per category it can read among `categories`:
 * counted page by page, so a long history is never held in memory (ids and counts only, R5).
 */
export async function countHeld(
  connector: SystemConnector,
  ref: PatronRef,
  categories: readonly Category[],
): Promise<Partial<Record<Category, number>>> {
  const counts: Partial<Record<Category, number>> = {};
  for (const category of categories) {
    if (!connector.capabilities.categories.includes(category)) continue;
    let n = 0;
    for await (const page of connector.readRecords(ref, category)) n += page.records.length;
    counts[category] = n;
  }
  return counts;
}
