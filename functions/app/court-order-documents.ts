import {
  documentRetentionDaysOf,
  documentsDeleteFrom,
  holdIdFor,
  recordedHoldIdFor,
  type CourtOrder,
} from '../domain/court-order.ts';
import { storedFields } from '../domain/tombstone.ts';
import type { Deps } from '../lib/deps.ts';

type DocumentsDeps = Pick<
  Deps,
  'orders' | 'requests' | 'holds' | 'documents' | 'audit' | 'policy' | 'clock' | 'logger'
>;

/** What one look at an order's documents found. */
type Outcome = 'deleted' | 'kept-open' | 'kept-period' | 'kept-held' | 'gone';

/**
 * R16, R13: whether the documents of one order may go now, and if so, deleting them. They go once the
 * order has closed and its period (the order's own, else the library's `courtOrders.documentRetentionDays`)
 * has ended, and never while a legal hold of that order holds the patron's records. Each step is
 * idempotent: a retry after a crash deletes what is left and writes the same audit event.
 */
async function settleOrderDocuments(deps: DocumentsDeps, order: CourtOrder): Promise<Outcome> {
  if (order.documentsDeleted || !order.file || !order.requestId) return 'gone';
  const stored = await deps.requests.findStored(order.requestId);
  const closedAt = stored ? storedFields(stored).closedAt : undefined;
  if (!closedAt) return 'kept-open';
  const retentionDays = documentRetentionDaysOf(order, deps.policy);
  const deleteFrom = documentsDeleteFrom(closedAt, retentionDays);
  if (deps.clock().toISOString() < deleteFrom) return 'kept-period';
  const ours = new Set([holdIdFor(order.orderId), recordedHoldIdFor(order.orderId)]);
  if ((await deps.holds.active(order.patronId)).some((h) => ours.has(h.holdId))) return 'kept-held';

  const versions = await deps.documents.deleteAllVersions(order.file.key);
  // R17: ids, counts and dates only (R5); the order's hash stays on the order as the record of what it was.
  await deps.audit.append(order.requestId, {
    eventId: 'court-order-documents-deleted',
    type: 'court-order-documents-deleted',
    actor: { kind: 'system' },
    data: { orderId: order.orderId, versions, retentionDays, closedAt, deleteFrom },
  });
  await deps.orders.update(order.orderId, (o) =>
    o.documentsDeleted ? undefined : { ...o, documentsDeleted: { at: deps.clock().toISOString(), versions } },
  );
  return 'deleted';
}

/**
 * R16, scheduled daily: every order whose documents are kept (one small item each, read by key; never a
 * scan) is looked at, and the documents whose period has ended are deleted (R13: unless held). An order
 * whose documents are gone leaves the list. Counts only in the answer and the log (R5).
 */
export async function deleteExpiredOrderDocuments(deps: DocumentsDeps): Promise<Record<Outcome, number>> {
  const counts: Record<Outcome, number> = { deleted: 0, 'kept-open': 0, 'kept-period': 0, 'kept-held': 0, gone: 0 };
  let firstFailure: unknown;
  for (const orderId of await deps.orders.ordersWithKeptDocuments()) {
    // One order that fails does not hold back the others; the run still fails at the end, so the
    // function's error alarm fires and tomorrow's run tries it again.
    try {
      const order = await deps.orders.find(orderId);
      const outcome = order ? await settleOrderDocuments(deps, order) : 'gone';
      counts[outcome]++;
      if (outcome === 'deleted' || outcome === 'gone') await deps.orders.forgetKeptDocuments(orderId);
    } catch (e) {
      deps.logger.warn('court-order documents not settled', {
        orderId,
        errorName: e instanceof Error ? e.name : typeof e,
      });
      firstFailure ??= e;
    }
  }
  deps.logger.info('court-order documents', counts);
  if (firstFailure !== undefined) throw firstFailure;
  return counts;
}
