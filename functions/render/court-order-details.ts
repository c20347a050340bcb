import { CONFLICT_WORDS, type ApprovalConflict } from '../domain/approvals.ts';
import { AUTHORISE_STEP, ORDER_TYPE_WORDS, REVIEW_STEP, type CourtOrder } from '../domain/court-order.ts';
import type { Patron } from '../domain/dataset.ts';
import type { StaffDecision } from '../domain/request.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import { renderNotice } from './layout.ts';

/**
 * What a court order's approvers see (R12): what the order asks, the patron it names, the legal
 * hold, a link to the document itself, and who already approved; and the refusal a conflicted
 * approver gets instead.
 */
const STEP_ROLE_WORDS: Record<string, string> = { [REVIEW_STEP]: 'Reviewed', [AUTHORISE_STEP]: 'Authorised' };

/** R13a: what the approver is told about notice, nondisclosure period included. */
const noticeWords = (order: Pick<CourtOrder, 'nondisclosure' | 'nondisclosureEndsOn'>): string =>
  !order.nondisclosure
    ? 'The patron will be told of the disclosure'
    : order.nondisclosureEndsOn
      ? `Forbidden by the order until the end of ${order.nondisclosureEndsOn}: the patron will be told of the disclosure after that day`
      : 'Forbidden by the order: the patron will not be told';

export function courtOrderDetailsBody(o: {
  order: CourtOrder;
  hold: { placedAt: string; releasedAt?: string | undefined } | undefined;
  /** Undefined once the patron is no longer on file. */
  patron: Patron | undefined;
  /** The decisions already recorded on the request; the approvals among them are named. */
  decisions: readonly StaffDecision[];
  /** The link's secret: the document opens at `/act/{secret}?view=order`. */
  secret: string;
}): SafeHtml {
  const { order, hold, patron, secret } = o;
  const range = order.from || order.to ? `${order.from ?? 'any date'} to ${order.to ?? 'any date'}` : 'any date';
  const earlier = o.decisions.filter((d) => d.decision === 'approve');
  const sizeKb = order.file ? Math.max(1, Math.round(order.file.size / 1024)) : 0;
  return html`<p>Legal counsel (${order.uploadedBy}) uploaded this ${ORDER_TYPE_WORDS[order.orderType]} on ${(order.submittedAt ?? order.createdAt).slice(0, 10)}. Open the document and check that it names this patron, these categories and these dates. Nothing is released until two different people approve: a privacy officer reviews, then the director authorises (R12). Only what is listed here can be disclosed.</p>
<table><caption>The order</caption><tbody>
<tr><th scope="row">Kind</th><td>${ORDER_TYPE_WORDS[order.orderType]}</td></tr>
<tr><th scope="row">Court</th><td>${order.court}</td></tr>
<tr><th scope="row">Case number</th><td>${order.caseNumber}</td></tr>
<tr><th scope="row">Issued</th><td>${order.issuedOn}</td></tr>
<tr><th scope="row">Patron named</th><td>${patron ? html`${patron.firstName} ${patron.lastName}, card ${patron.cardNumber}` : '(no longer on file)'}</td></tr>
<tr><th scope="row">Categories</th><td>${order.categories.join(', ')}</td></tr>
<tr><th scope="row">Dates</th><td>${range}</td></tr>
<tr><th scope="row">Notice to the patron</th><td>${noticeWords(order)}</td></tr>
${order.returnOn ? html`<tr><th scope="row">Return date</th><td>${order.returnOn}: the response is due to the court that day</td></tr>` : ''}
<tr><th scope="row">Legal hold</th><td>${hold ? html`In place since ${hold.placedAt.slice(0, 10)}${hold.releasedAt ? html`; released ${hold.releasedAt.slice(0, 10)}` : ''}${order.lapsesOn ? html`; lapses after ${order.lapsesOn}` : ''}` : 'none'}</td></tr>
<tr><th scope="row">Document</th><td>${order.file ? html`<a href="/act/${secret}?view=order">Open the order (PDF, ${sizeKb} KB)</a><br>SHA-256 <code>${order.file.sha256}</code>` : '(missing)'}</td></tr>
</tbody></table>
${earlier.length ? html`<p>${earlier.map((d) => html`${STEP_ROLE_WORDS[d.step] ?? d.step} and approved by ${d.byStaffId} (${d.role}) on ${d.at.slice(0, 10)}. `)}</p>` : ''}`;
}

/** R12: why this person's decision is not taken; said to them, and recorded by the caller on a POST. */
export const conflictedApproverBody = (conflict: ApprovalConflict): SafeHtml =>
  html`${renderNotice('error', `Your decision was not recorded: ${CONFLICT_WORDS[conflict]}. Two different authorised people must approve, and never the person who made the request. Another member of staff will decide.`)}`;
