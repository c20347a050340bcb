import * as z from '../domain/zod.ts';
import { REQUEST_KINDS, REQUEST_STATUSES, type RequestKind, type RequestStatus } from '../domain/request.ts';
import { byDue, OPEN_STATUSES, QUEUE_ATTRIBUTES, queueItem, type QueueItem } from '../domain/staff-desk.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { mayRead } from './staff-read.ts';
import { publicSystems } from './systems/systems-view.ts';

const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);

/** `?status=&kind=&limit=`: an empty filter is no filter. */
export const queueQuerySchema = z.lazy(() =>
  z.strictObject({
    status: z.pipe(z.transform(blankToUndefined), z.optional(z.enum(REQUEST_STATUSES))),
    kind: z.pipe(z.transform(blankToUndefined), z.optional(z.enum(REQUEST_KINDS))),
    limit: z.pipe(z.transform(blankToUndefined), z.optional(z.coerce.number().check(z.int(), z.gte(1), z.lte(500)))),
  }),
);
export type QueueQuery = z.infer<typeof queueQuerySchema>;

/**
 * The staff queue, soonest due first: read per status from gsi2 (never a scan), and only ids, enums
 * and dates, so no name, email or card number is on it (R1).
 */
export async function staffQueue(
  deps: Pick<Deps, 'requests' | 'clock' | 'systemResults' | 'systems'>,
  who: Principal,
  q: QueueQuery,
) {
  const limit = q.limit ?? 200;
  const now = deps.clock();
  const statuses: readonly RequestStatus[] = q.status ? [q.status] : OPEN_STATUSES;
  const items: QueueItem[] = [];
  let truncated = false;
  // Each status is one partition of gsi2, already sorted by due date: read each, merge, sort.
  for (const status of statuses) {
    let startKey: Record<string, unknown> | undefined;
    let kept = 0;
    do {
      const page = await deps.requests.pageByStatus(status, {
        attributes: QUEUE_ATTRIBUTES,
        limit: 200,
        ...(startKey ? { startKey } : {}),
      });
      for (const row of page.items) {
        if (q.kind && row.kind !== q.kind) continue;
        if (!mayRead(who, { kind: row.kind as RequestKind })) continue;
        const item = queueItem(row, now);
        if (item) {
          items.push(item);
          kept++;
        }
      }
      startKey = page.nextKey;
      if (startKey && kept >= limit) {
        truncated = true;
        break;
      }
    } while (startKey);
  }
  items.sort(byDue);
  const shown = items.slice(0, limit);
  return {
    filters: { status: q.status ?? 'open', kind: q.kind ?? 'any' },
    generatedAt: now.toISOString(),
    count: shown.length,
    truncated: truncated || items.length > limit,
    // R19: a waiting request shows what it waits on: each system by name with its answer (no blocker's detail, R13a).
    requests: await Promise.all(
      shown.map(async (item) =>
        item.status === 'waiting' ? { ...item, systems: await publicSystems(deps, item.requestId) } : item,
      ),
    ),
  };
}
