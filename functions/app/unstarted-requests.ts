import * as z from '../domain/zod.ts';
import { REQUEST_KINDS } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { WORKFLOW_OF_KIND } from '../../workflows/index.ts';

/**
 * A request is stored before its workflow starts (start-request.ts). A submission that fails in
 * between (Step Functions throttled, the function timed out) leaves a `received` record that
 * nothing would move on: the person's retry is a new request, and this one would stay open. The
 * sweep starts such a request's workflow: its first step then carries it as it would have, and a
 * repeat of the retry's request closes quietly (R7: one open request, one email).
 */

/** Long enough that a submission still under way, and its workflow's first step, are done. */
export const UNSTARTED_AFTER_MS = 5 * 60_000;
/**
 * How far back the sweep looks: a request whose start failed is started on the first run after five
 * minutes. Every workflow's first step moves its request on from `received` (the match steps, the
 * third party's address check, a court order's review), so one that runs is not found here; were
 * one found (its first step stuck), its start by name starts nothing, and its trail says once that
 * the sweep found it still `received` (R17).
 */
export const UNSTARTED_LOOKBACK_MS = 24 * 3600_000;

const receivedItem = z.object({ requestId: z.string(), kind: z.enum(REQUEST_KINDS), createdAt: z.string() });

export interface UnstartedSweep {
  /** `received` requests old enough to be looked at. */
  checked: number;
  /** Of those, the ones whose workflow this run started. */
  started: number;
}

/**
 * Starts the workflow of every request still `received` between five minutes and a day after it was
 * made, read from the status index by key (never a scan). The start is idempotent by name (the
 * request id), so a request whose workflow runs is left as it is; every request the sweep starts has
 * it on its trail, once, written before the start (R17), with ids only (R5).
 */
export async function startUnstartedRequests(
  deps: Pick<Deps, 'requests' | 'audit' | 'workflow' | 'clock' | 'logger'>,
): Promise<UnstartedSweep> {
  const now = deps.clock().getTime();
  const notBefore = new Date(now - UNSTARTED_LOOKBACK_MS).toISOString();
  const notAfter = new Date(now - UNSTARTED_AFTER_MS).toISOString();
  const result: UnstartedSweep = { checked: 0, started: 0 };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.requests.pageByStatus('received', {
      attributes: ['requestId', 'kind', 'createdAt'],
      ...(startKey ? { startKey } : {}),
    });
    for (const raw of page.items) {
      const item = z.safeParse(receivedItem, raw);
      if (!item.success) {
        deps.logger.warn('unreadable received request skipped', { issues: item.error.issues.length });
        continue;
      }
      const { requestId, kind, createdAt } = item.data;
      const workflow = WORKFLOW_OF_KIND[kind];
      if (!workflow || createdAt < notBefore || createdAt > notAfter) continue;
      result.checked++;
      // R17: on the trail before the start, keyed, so a failed append cannot leave a late start
      // unrecorded (after the start, the next run would find it running and write nothing); a start
      // that fails after it is made again by the next run, which appends nothing twice.
      await deps.audit.append(requestId, {
        eventId: 'workflow-started-late',
        type: 'workflow-started-late',
        actor: { kind: 'system' },
        data: { receivedAt: createdAt },
      });
      const { started } = await deps.workflow.start(workflow, requestId, { requestId });
      if (started) result.started++;
    }
    startKey = page.nextKey;
  } while (startKey);
  if (result.started > 0) deps.logger.warn('started unstarted requests', { ...result });
  return result;
}
