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

/** A court order for counsel: its state, its request's approvals and its hold (R12, R13). */
export async function courtOrderView(deps: Pick<Deps, 'orders' | 'requests' | 'holds' | 'documents'>, orderId: string) {
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
