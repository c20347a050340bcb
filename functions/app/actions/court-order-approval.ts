import { approvalConflict } from '../../domain/approvals.ts';
import { ORDER_CONTENT_TYPE } from '../../domain/court-order.ts';
import type { Patron } from '../../domain/dataset.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { RequestRecord } from '../../domain/request.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { AuditActor } from '../../domain/audit.ts';
import type { Principal } from '../../lib/auth.ts';
import type { Deps } from '../../lib/deps.ts';
import type { ApprovalDetails } from '../../render/approval-details.ts';
import { conflictedApproverBody, courtOrderDetailsBody } from '../../render/court-order-details.ts';
import type { LinkFile, LinkPage } from './link-action.ts';

/** The staff member a link names, with the signed-in person's stable id when there is one (R12, R17). */
export const staffActor = (token: ActionToken, signedIn?: Principal): AuditActor => ({
  kind: 'staff',
  id: token.recipient.id,
  ...(token.recipient.role ? { role: token.recipient.role } : {}),
  ...(signedIn ? { sub: signedIn.sub } : {}),
});

/**
 * The court order's side of an `approve` link (R12): the order its approvers decide on (the
 * patron it names is a staff read, audited by the caller, R1), the document itself (opened by a
 * GET that only reads, audited), and the refusal a conflicted approver gets.
 */
export async function courtOrderDetails(
  deps: Deps,
  request: RequestRecord,
  patron: Patron | undefined,
  secret: string,
): Promise<ApprovalDetails> {
  if (request.kind !== 'court-order' || !request.orderId) throw new NotFoundError('no order');
  const order = await deps.orders.get(request.orderId);
  const hold = order.holdId ? await deps.holds.get(order.patronId, order.holdId) : undefined;
  return {
    readsPatron: true,
    fields: ['name', 'cardNumber'],
    body: courtOrderDetailsBody({ order, hold, patron, decisions: request.decisions ?? [], secret }),
  };
}

/**
 * R12, second line of defence: whoever uploaded the order, or approved an earlier step, may not
 * decide. The links are never sent to them; a decision arriving anyway is refused here, recorded
 * when it was a POST (`record`), and changes nothing.
 */
export async function refuseConflictedApprover(
  deps: Pick<Deps, 'audit'>,
  request: RequestRecord,
  token: ActionToken,
  record: boolean,
  signedIn?: Principal,
): Promise<LinkPage | undefined> {
  const conflict = approvalConflict(request, token.recipient.id);
  if (!conflict) return undefined;
  if (record) {
    await deps.audit.append(token.requestId, {
      eventId: `approval-refused:${token.tokenHash.slice(0, 16)}`,
      type: 'approval-refused',
      actor: staffActor(token, signedIn),
      data: { step: token.step, reason: conflict },
    });
  }
  return { status: 403, title: 'You cannot decide on this request', body: conflictedApproverBody(conflict) };
}

/** The order's PDF (R12: from the signed-in approval page) for its approvers, as stored and checked (the version pinned at submit). */
export async function courtOrderDocument(deps: Deps, token: ActionToken, signedIn?: Principal): Promise<LinkFile> {
  const request = await deps.requests.get(token.requestId);
  if (request.kind !== 'court-order' || !request.orderId) throw new NotFoundError('no document');
  const order = await deps.orders.get(request.orderId);
  if (!order.file) throw new NotFoundError('no document');
  // R1, R17: opening the order (it names the patron) is a staff read.
  await deps.audit.append(token.requestId, {
    eventId: `document-read:${token.tokenHash.slice(0, 16)}`,
    type: 'staff-read',
    actor: staffActor(token, signedIn),
    data: { purpose: `approval:${token.step}`, fields: ['court-order-document'] },
  });
  const fileName = `court-order-${order.orderId.slice(0, 8)}.pdf`;
  const file = await deps.documents.download(order.file.key, {
    ...(order.file.versionId ? { versionId: order.file.versionId } : {}),
    fileName,
    contentType: ORDER_CONTENT_TYPE,
  });
  if (file.kind === 'redirect') return file;
  // Sent as the PDF it was checked to be at submit, whatever type storage reports.
  return { kind: 'body', body: file.body, fileName, contentType: ORDER_CONTENT_TYPE };
}
