import * as z from '../domain/zod.ts';
import { isTerminal, requesterPatronIdOf } from '../domain/request.ts';
import {
  isTombstone,
  storedFields,
  TOMBSTONE_DROPPED,
  TOMBSTONE_REDUCED,
  tombstone,
  tombstoneCutoff,
} from '../domain/tombstone.ts';
import type { Deps } from '../lib/deps.ts';

export const tombstoneRequestsInput = z.lazy(() =>
  z.strictObject({
    runId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
    asOf: z.iso.datetime(),
    budgetSeconds: z.number().check(z.int(), z.gte(1), z.lte(840)),
    progress: z.strictObject({
      /** The queue entry (its sort key: a close time and a request id) this run reached. */
      cursor: z.nullable(z.string().check(z.maxLength(200))),
      tombstoned: z.number().check(z.int(), z.gte(0)),
      held: z.number().check(z.int(), z.gte(0)),
      dropped: z.number().check(z.int(), z.gte(0)),
    }),
  }),
);

/**
 * R16: every request that closed more than `retention.tombstoneAfterDays` ago is reduced to its
 * de-identified tombstone (domain/tombstone.ts). Reads the closed-requests queue by close time, by
 * key, never a scan; stops once `deadline` passes and returns where it got to (the state machine
 * calls it again). A request whose patron is under legal hold is left as it is and looked at again
 * on the next run (R13). The audit trail stays whole (R17); the tombstoning is itself an audit
 * event, appended first, so a retry finds the work recorded and finishes it.
 */
export async function tombstoneClosedRequests(
  deps: Deps,
  { asOf, progress }: z.infer<typeof tombstoneRequestsInput>,
  deadline: number,
) {
  const cutoff = tombstoneCutoff(new Date(asOf), deps.policy.retention.tombstoneAfterDays);
  const held = new Map<string, boolean>();
  const isHeld = async (patronId: string | undefined) => {
    if (!patronId) return false;
    if (!held.has(patronId)) held.set(patronId, await deps.holds.isHeld(patronId));
    return held.get(patronId) === true;
  };
  let { cursor, tombstoned, held: kept, dropped } = progress;

  for (;;) {
    const page = await deps.requests.closedBefore(cutoff, { limit: 50, ...(cursor ? { after: cursor } : {}) });
    if (page.length === 0) return { cursor: null, hasMore: false, tombstoned, held: kept, dropped };
    for (const entry of page) {
      const r = await deps.requests.findStored(entry.requestId);
      if (!r || isTombstone(r) || !isTerminal(r.status) || r.closedAt !== entry.closedAt) {
        // Gone, not closed after all (a lost race), queued twice, or done: off the queue.
        await deps.requests.dropClosed(entry.sk);
        dropped++;
      } else if ((await isHeld(r.patronId)) || (await isHeld(requesterPatronIdOf(r)))) {
        kept++; // R13: stays as it is, and on the queue
      } else {
        const removed = [...TOMBSTONE_REDUCED, ...TOMBSTONE_DROPPED].filter((f) => storedFields(r)[f] !== undefined);
        await deps.audit.append(r.requestId, {
          eventId: 'tombstoned',
          type: 'request-tombstoned',
          actor: { kind: 'system' },
          data: { closedAt: r.closedAt ?? null, fieldsReducedOrRemoved: removed },
        });
        const at = deps.clock();
        await deps.requests.reduceToTombstone(r.requestId, (current) =>
          isTerminal(current.status) ? tombstone(current, at) : undefined,
        );
        await deps.requests.dropClosed(entry.sk);
        tombstoned++;
      }
      cursor = entry.sk;
    }
    if (Date.now() >= deadline) return { cursor, hasMore: true, tombstoned, held: kept, dropped };
  }
}
