import { documentRetentionDaysOf, documentsDeleteFrom, type CourtOrder } from '../domain/court-order.ts';
import type { Policy } from '../domain/policy.ts';
import { storedFields } from '../domain/tombstone.ts';
import type { Deps } from '../lib/deps.ts';
import { orderUploadForm } from './create-court-order.ts';

/** The hold as counsel sees it: active, lapsed or released (R13). */
async function holdView(deps: Pick<Deps, 'holds'>, patronId: string, holdId: string) {
  const h = await deps.holds.get(patronId, holdId);
  if (!h) return undefined;
  const active = (await deps.holds.active(patronId)).some((a) => a.holdId === h.holdId);
  return {
    holdId: h.holdId,
    status: h.releasedAt ? 'released' : active ? 'active' : 'lapsed',
    placedAt: h.placedAt,
    ...(h.lapsesOn ? { lapsesOn: h.lapsesOn } : {}),
    ...(h.releasedAt ? { releasedAt: h.releasedAt, releasedBy: h.releasedBy } : {}),
  };
}

/**
 * R16: how long the order's documents are kept, as counsel reads it: the period (the order's own or the
 * library's) and, once the order has closed, the first instant the retention run may delete them;
 * computed by the same functions the run uses (app/court-order-documents.ts); and when they went.
 */
function documentsView(order: CourtOrder, policy: Pick<Policy, 'courtOrders'>, closedAt: string | undefined) {
  const retentionDays = documentRetentionDaysOf(order, policy);
  return {
    retentionDays,
    retentionSetBy: order.documentRetentionDays !== undefined ? ('order' as const) : ('library' as const),
    ...(closedAt ? { deleteFrom: documentsDeleteFrom(closedAt, retentionDays) } : {}),
    ...(order.documentsDeleted ? { deletedAt: order.documentsDeleted.at } : {}),
  };
}

/** A court order for counsel: its state, its request's approvals and its hold (R12, R13). */
export async function courtOrderView(
  deps: Pick<Deps, 'orders' | 'requests' | 'holds' | 'documents' | 'policy'>,
  orderId: string,
) {
  const order = await deps.orders.get(orderId);
  const stored = order.requestId ? await deps.requests.findStored(order.requestId) : undefined;
  const request = stored && storedFields(stored);
  const hold = order.holdId ? await holdView(deps, order.patronId, order.holdId) : undefined;
  return {
    orderId,
    status: order.status,
    court: order.court,
    caseNumber: order.caseNumber,
    orderType: order.orderType,
    issuedOn: order.issuedOn,
    categories: order.categories,
    ...(order.from ? { from: order.from } : {}),
    ...(order.to ? { to: order.to } : {}),
    nondisclosure: order.nondisclosure,
    ...(order.lapsesOn ? { lapsesOn: order.lapsesOn } : {}),
    ...(order.nondisclosureEndsOn ? { nondisclosureEndsOn: order.nondisclosureEndsOn } : {}),
    ...(order.noticeSettledAt ? { noticeSettledAt: order.noticeSettledAt } : {}),
    ...(order.returnOn ? { returnOn: order.returnOn } : {}),
    documents: documentsView(order, deps.policy, request?.closedAt),
    uploadedBy: order.uploadedBy,
    createdAt: order.createdAt,
    ...(order.file ? { file: { sha256: order.file.sha256, size: order.file.size } } : {}),
    // Until submitted, a fresh upload form (the first one expires after 15 minutes); asking changes nothing.
    ...(order.status === 'awaiting-upload' ? { upload: await orderUploadForm(deps, order.documentKey) } : {}),
    ...(request
      ? {
          request: {
            requestId: request.requestId,
            status: request.status,
            createdAt: request.createdAt,
            dueAt: request.dueAt,
            decisions: (request.decisions ?? []).map((d) => ({
              step: d.step,
              decision: d.decision,
              by: d.byStaffId,
              role: d.role,
              at: d.at,
              ...(d.reason ? { reason: d.reason } : {}),
            })),
          },
        }
      : {}),
    ...(hold ? { hold } : {}),
  };
}
