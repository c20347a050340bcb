import type { Patron } from '../domain/dataset.ts';
import { DOCUMENT_KINDS } from '../domain/identity-documents.ts';
import type { RequestRecord } from '../domain/request.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import { neutraliseLinks } from './consent-pages.ts';
import { REQUEST_WHAT } from './emails.ts';
import { renderNotice } from './layout.ts';

/**
 * The text of the emailed-link pages (`/act/{token}`, and the signed-in approval page): what each purpose's form explains, and the
 * pages every link shares (thanks, try again, used or expired, not found). No I/O: the actions in
 * app/actions/ fetch what these show.
 */

/** A patron confirms by email that they made the request. */
export const verifyIdentityDetails = (request: RequestRecord): SafeHtml =>
  html`<p>A request to <strong>${REQUEST_WHAT[request.kind] ?? request.kind}</strong> was made with your library card on ${request.createdAt.slice(0, 10)}.</p><p>If it was you, confirm below. If it was not, close this page: nothing happens and the request expires.</p>`;

/** R6: what a correction will change, field by field: the value on file and the value asked for. */
export const changeTable = (lines: readonly { field: string; from: string; to: string }[]): SafeHtml =>
  html`<h3>What will change</h3><table><thead><tr><th scope="col">Detail</th><th scope="col">Now</th><th scope="col">After the change</th></tr></thead><tbody>${lines.map((l) => html`<tr><th scope="row">${l.field}</th><td>${l.from || '(none)'}</td><td>${l.to}</td></tr>`)}</tbody></table>`;

/** R14: a third party confirms that the address typed in the form is theirs; no patron is named. */
export const THIRD_PARTY_ADDRESS_DETAILS: SafeHtml = html`<p>A request to receive a library patron's records, with the patron's written permission, named this email address as the recipient.</p><p>If it was you, confirm below: the patron is then asked. If it was not, close this page: nothing happens and the request expires.</p>`;

/** Desk staff check a patron with no email on file, and say how (the document is seen, never kept). */
export function inPersonVerificationDetails(request: RequestRecord, patron: Patron): SafeHtml {
  const options = Object.entries(DOCUMENT_KINDS).map(
    ([value, label]) => html`<option value="${value}">${label}</option>`,
  );
  return html`<p>Request <code>${request.requestId}</code> (${request.kind}) was made with card number <strong>${patron.cardNumber}</strong>. The patron has no email on file, so they must be verified at the desk.</p>
<p>Check their identity, then record how you checked. Do not copy, scan or keep the document (library policy: reviewed, not retained).</p>
<div class="field"><label for="documentKind">How did you verify them? (required)</label>
<select id="documentKind" name="documentKind" required><option value="">Choose&hellip;</option>${options}</select></div>`;
}

/** The request's dates above what a deciding staff member sees for the step. */
export const approvalDetailsWithDates = (request: RequestRecord, details: SafeHtml): SafeHtml =>
  html`<p>Request <code>${request.requestId}</code> (${request.kind}), received ${request.createdAt.slice(0, 10)}, due ${request.dueAt.slice(0, 10)}.</p>${details}`;

export const EMAIL_CONFIRMATION_DETAILS: SafeHtml = html`<p>A patron of the library asked to use this email address for their library account. Confirm only if that was you.</p>`;

/** Circulation staff call the new number (there is no SMS); `tryBefore` is when the link expires, in the library's time. */
export const phoneConfirmationDetails = (
  request: RequestRecord,
  patron: Patron,
  newPhone: string,
  tryBefore: string,
): SafeHtml =>
  html`<p>Request <code>${request.requestId}</code> (${request.kind}): the patron with card number <strong>${patron.cardNumber}</strong> asked to change the phone number on their record to</p>
<p><strong>${newPhone}</strong></p>
<ol><li>Call that number.</li><li>Ask for ${patron.firstName} ${patron.lastName} by name.</li><li>Ask them to confirm that they asked the library to change their phone number to this one.</li></ol>
<p>Confirm only if they answered and confirmed it themselves. Do not confirm on voicemail, an answering machine or a message taken by someone else: try again later, before ${tryBefore}. Do not tell whoever answers anything else from the patron's record.</p>
<p>If you cannot reach them, or they did not ask for this, choose &ldquo;Could not confirm&rdquo;: the number is not changed and the patron is told.</p>`;

/** A decision that was not accepted: the reason, and the way back to the form (`backTo`; the link still works). */
export const tryAgainBody = (message: string, backTo: string): SafeHtml =>
  html`${renderNotice('error', message)}<p><a href="${backTo}">Back</a></p>`;

/**
 * R12: a staff approval is seen and decided only signed in, by the person it was sent to. An older
 * `/act/{token}` link of one shows this and nothing about the request.
 */
export const signInFirstBody = (approvalPage: string): SafeHtml =>
  html`${renderNotice('info', 'Staff approvals are seen and decided signed in, by the member of staff the link was sent to. Nothing has been decided.')}<p><a class="button button-primary" href="${approvalPage}">Sign in to review and decide</a></p>`;

/**
 * R14: the requester's own free text on a staff page: escaped, links broken (neutraliseLinks), and
 * marked as their words, which the library did not check.
 */
export const requesterWords = (label: string, text: string): SafeHtml =>
  html`<figure class="requester-words"><figcaption>${label} (the requester's own words, not checked by the library; links are broken on purpose)</figcaption><blockquote class="purpose" style="white-space:pre-wrap">${neutraliseLinks(text)}</blockquote></figure>`;

export const thanksBody = (text: string): SafeHtml => renderNotice('success', text);

export const GONE_LINK = {
  status: 410,
  title: 'This link can no longer be used',
  body: renderNotice(
    'info',
    'It was already used, or it has expired. If you still need something, please make a new request or contact the library.',
  ),
} as const;

export const UNKNOWN_LINK = {
  status: 404,
  title: 'Link not found',
  body: renderNotice('error', 'This link is not valid. Please check that you copied the whole address.'),
} as const;
