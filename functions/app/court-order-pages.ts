import { approvalConflict, CONFLICT_WORDS } from '../domain/approvals.ts';
import { AUTHORISE_STEP, ORDER_CONTENT_TYPE, ORDER_TYPE_WORDS, REVIEW_STEP } from '../domain/court-order.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { RequestRecord } from '../domain/request.ts';
import type { ActionToken } from '../domain/tokens.ts';
import type { Deps } from '../lib/deps.ts';
import { html } from '../lib/html.ts';
import { htmlResponse, type HttpResult } from '../lib/http.ts';
import type { Patron } from '../domain/dataset.ts';
import type { ApprovalDetails } from '../render/approval-details.ts';
import { renderNotice, renderPage } from '../render/layout.ts';

/**
 * The decision pages of a court order (R12), served by `act` for its `approve` links: what the
 * order asks, the patron it names (a staff read, audited by the caller, R1), the document itself
 * (opened by a GET that only reads, audited), and the refusal a conflicted approver gets.
 */
const STEP_ROLE_WORDS: Record<string, string> = { [REVIEW_STEP]: 'Reviewed', [AUTHORISE_STEP]: 'Authorised' };

export async function courtOrderDetails(
  deps: Deps,
  request: RequestRecord,
  patron: Patron | undefined,
  secret: string,
): Promise<ApprovalDetails> {
  if (request.kind !== 'court-order' || !request.orderId) throw new NotFoundError('no order');
  const order = await deps.orders.get(request.orderId);
  const hold = order.holdId ? await deps.holds.get(order.patronId, order.holdId) : undefined;
  const range = order.from || order.to ? `${order.from ?? 'any date'} to ${order.to ?? 'any date'}` : 'any date';
  const earlier = (request.decisions ?? []).filter((d) => d.decision === 'approve');
  const sizeKb = order.file ? Math.max(1, Math.round(order.file.size / 1024)) : 0;
  return {
    readsPatron: true,
    fields: ['name', 'cardNumber'],
    body: html`<p>Legal counsel (${order.uploadedBy}) uploaded this ${ORDER_TYPE_WORDS[order.orderType]} on ${(order.submittedAt ?? order.createdAt).slice(0, 10)}. Open the document and check that it names this patron, these categories and these dates. Nothing is released until two different people approve: a privacy officer reviews, then the director authorises (R12). Only what is listed here can be disclosed.</p>
<table><caption>The order</caption><tbody>
<tr><th scope="row">Kind</th><td>${ORDER_TYPE_WORDS[order.orderType]}</td></tr>
<tr><th scope="row">Court</th><td>${order.court}</td></tr>
<tr><th scope="row">Case number</th><td>${order.caseNumber}</td></tr>
<tr><th scope="row">Issued</th><td>${order.issuedOn}</td></tr>
<tr><th scope="row">Patron named</th><td>${patron ? html`${patron.firstName} ${patron.lastName}, card ${patron.cardNumber}` : '(no longer on file)'}</td></tr>
<tr><th scope="row">Categories</th><td>${order.categories.join(', ')}</td></tr>
<tr><th scope="row">Dates</th><td>${range}</td></tr>
<tr><th scope="row">Notice to the patron</th><td>${order.nondisclosure ? 'Forbidden by the order: the patron will not be told' : 'The patron will be told of the disclosure'}</td></tr>
<tr><th scope="row">Legal hold</th><td>${hold ? html`In place since ${hold.placedAt.slice(0, 10)}${hold.releasedAt ? html`; released ${hold.releasedAt.slice(0, 10)}` : ''}${order.lapsesOn ? html`; lapses after ${order.lapsesOn}` : ''}` : 'none'}</td></tr>
<tr><th scope="row">Document</th><td>${order.file ? html`<a href="/act/${secret}?view=order">Open the order (PDF, ${sizeKb} KB)</a><br>SHA-256 <code>${order.file.sha256}</code>` : '(missing)'}</td></tr>
</tbody></table>
${earlier.length ? html`<p>${earlier.map((d) => html`${STEP_ROLE_WORDS[d.step] ?? d.step} and approved by ${d.byStaffId} (${d.role}) on ${d.at.slice(0, 10)}. `)}</p>` : ''}`,
  };
}

/**
 * R12, second line of defence: whoever uploaded the order, or approved an earlier step, may not
 * decide. The links are never sent to them; a decision arriving anyway is refused here, recorded
 * when it was a POST (`record`), and changes nothing.
 */
export async function refuseConflictedApprover(
  deps: Deps,
  request: RequestRecord,
  token: ActionToken,
  record: boolean,
): Promise<HttpResult | undefined> {
  const conflict = approvalConflict(request, token.recipient.id);
  if (!conflict) return undefined;
  if (record) {
    await deps.audit.append(token.requestId, {
      eventId: `approval-refused:${token.tokenHash.slice(0, 16)}`,
      type: 'approval-refused',
      actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
      data: { step: token.step, reason: conflict },
    });
  }
  return htmlResponse(
    403,
    renderPage({
      title: 'You cannot decide on this request',
      status: 403,
      body: html`${renderNotice('error', `Your decision was not recorded: ${CONFLICT_WORDS[conflict]}. Two different authorised people must approve, and never the person who made the request. Another member of staff will decide.`)}`,
    }),
  );
}

/** `GET /act/{token}?view=order`: the order's PDF for its approvers, as stored and checked (the version pinned at submit). */
export async function courtOrderDocument(deps: Deps, token: ActionToken): Promise<HttpResult> {
  const request = await deps.requests.get(token.requestId);
  if (request.kind !== 'court-order' || !request.orderId) throw new NotFoundError('no document');
  const order = await deps.orders.get(request.orderId);
  if (!order.file) throw new NotFoundError('no document');
  // R1, R17: opening the order (it names the patron) is a staff read.
  await deps.audit.append(token.requestId, {
    eventId: `document-read:${token.tokenHash.slice(0, 16)}`,
    type: 'staff-read',
    actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
    data: { purpose: `approval:${token.step}`, fields: ['court-order-document'] },
  });
  const fileName = `court-order-${order.orderId.slice(0, 8)}.pdf`;
  const file = await deps.documents.download(order.file.key, {
    ...(order.file.versionId ? { versionId: order.file.versionId } : {}),
    fileName,
    contentType: ORDER_CONTENT_TYPE,
  });
  if (file.kind === 'redirect')
    return {
      statusCode: 303,
      headers: { location: file.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
    };
  return {
    statusCode: 200,
    headers: {
      'content-type': ORDER_CONTENT_TYPE,
      // Saved, not rendered in the page's origin: the PDF is checked only by its header.
      'content-disposition': `attachment; filename="${fileName}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    },
    body: file.body.toString('base64'),
    isBase64Encoded: true,
  };
}
