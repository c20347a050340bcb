import type { Category } from '../domain/categories.ts';
import { policyVersionWords, type Policy } from '../domain/policy.ts';
import type { RequestRecord } from '../domain/request.ts';
import { RELATIONSHIP_DOCUMENTS } from '../domain/identity-documents.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import type { Patron } from '../domain/dataset.ts';
import type { DecisionButton } from './layout.ts';

/**
 * What the emailed-link pages of guardian and third-party requests show (act.ts renders them):
 * the consent question (R10, R14), asked of the data subject or recorded by desk staff in person,
 * and the desk task that records a guardian's link to a card (R11, R4).
 */

/** The categories this consent covers: the third party's list (R14), or what the policy lets a guardian see (R10). */
export function consentCategories(request: RequestRecord, policy: Policy): Category[] {
  return request.kind === 'third-party'
    ? [...(request.thirdParty?.categories ?? [])]
    : [...policy.minors.guardianCategories];
}

/** A person's name as it appears on file (R10: the consent names the guardian who asked). */
export const personName = (p: Pick<Patron, 'firstName' | 'lastName'> | undefined): string =>
  p ? `${p.firstName} ${p.lastName}`.trim() : '';

/** R18: the policy the answer is given under; the answer is stored with this version (actions/consent.ts). */
const policyLine = (policy: Policy): SafeHtml =>
  html`<p class="meta">This question is asked under ${policyVersionWords(policy)}; the answer is recorded with that version.</p>`;

/** The two answers a consent question takes: consent, or decline (no reason is asked for either). */
const answers = (consent: string, decline: string): DecisionButton[] => [
  { decision: 'consent', label: consent },
  { decision: 'decline', label: decline },
];

export interface ConsentPage {
  question: string;
  details: SafeHtml;
  buttons: DecisionButton[];
}

/**
 * The consent question. No reason field: a child's reasons are never asked for, so they can never
 * reach the guardian (R10); a patron's refusal needs no reason either (R14).
 * `subject` is set when desk staff ask in person: the page then says who to ask, and the caller audits the read (R1).
 */
export function consentPage(o: {
  request: RequestRecord;
  policy: Policy;
  subject?: Patron;
  /** R10: the guardian who asked, named as on file. */
  guardian?: Pick<Patron, 'firstName' | 'lastName'>;
}): ConsentPage {
  const { request, policy, subject } = o;
  const categories = consentCategories(request, policy).map((c) => policy.categories[c]);
  const guardian = request.kind === 'guardian-access';
  const desk = subject
    ? html`<p>Request <code>${request.requestId}</code>: <strong>${subject.firstName} ${subject.lastName}</strong> (card <strong>${subject.cardNumber}</strong>) has no email of their own on file (none, or one shared with a parent, guardian or the requester), so they are asked at the desk. Check who they are, ${guardian ? 'ask them in private, away from the parent or guardian, ' : 'let them read this page, '}and record only their answer. Do not write down any reason.</p><hr>`
    : '';
  if (guardian) {
    return {
      question: subject ? 'Record the child’s answer' : 'May your parent or guardian see these records?',
      details: html`${desk}<p><strong>${personName(o.guardian)}</strong>, a parent or guardian linked to ${subject ? 'the child’s' : 'your'} library card, asked to see ${subject ? 'the child’s' : 'your'} library records:</p>
<ul>${categories.map((c) => html`<li><strong>${c.title}</strong>: ${c.what}</li>`)}</ul>
<p>Because of ${subject ? 'the child’s' : 'your'} age, they can see them only with ${subject ? 'the child’s' : 'your'} agreement. It is ${subject ? 'the child’s' : 'your'} choice. If the answer is no, nothing is shown to them, and they are told only that the request could not go ahead. We do not ask for reasons.</p>
<p>If the answer is yes, library staff still review the request before anything is shared, and ${subject ? 'the child is' : 'you are'} told when the records are released.</p>
${policyLine(policy)}`,
      buttons: subject
        ? answers('Yes, the child agrees', 'No, the child does not agree')
        : answers('Yes, they may see these records', 'No, do not show them'),
    };
  }
  const tp = (request.kind === 'third-party' ? request.thirdParty : undefined) ?? { categories: [] };
  const who = tp.organization
    ? html`<strong>${tp.name ?? ''}</strong> (${tp.organization})`
    : html`<strong>${tp.name ?? ''}</strong>`;
  return {
    question: subject ? 'Record the patron’s answer' : 'Do you give your written permission?',
    details: html`${desk}<p>${who} asked the library for some of ${subject ? 'the patron’s' : 'your'} library records.</p>
<h3>Why, in their words</h3>
<blockquote class="purpose">${tp.purpose ?? ''}</blockquote>
<h3>The records asked for</h3>
<ul>${categories.map((c) => html`<li><strong>${c.title}</strong>: ${c.what}</li>`)}</ul>
<p>They receive only these kinds of records, and only with ${subject ? 'the patron’s' : 'your'} written permission and after library staff approve. Nothing else is ever sent to them. If the answer is no, nothing is shared, and they are told only that the request could not go ahead.</p>
<p>${subject ? 'Pressing “Yes” records the patron’s written permission, given at the desk.' : 'Pressing “Yes” is your written permission for exactly these records, to this requester, for this purpose.'}</p>
${policyLine(policy)}`,
    buttons: subject
      ? answers('Yes, the patron gives written permission', 'No, the patron does not give permission')
      : answers('Yes, I give my written permission', 'No, I do not give permission'),
  };
}

/** R11, R4: the desk task that records a guardian's link to a child's card, after seeing a document it does not keep. */
export function guardianLinkPage(o: { request: RequestRecord; guardian: Patron; child: Patron }): SafeHtml {
  const options = Object.entries(RELATIONSHIP_DOCUMENTS).map(
    ([value, label]) => html`<option value="${value}">${label}</option>`,
  );
  return html`<p>Request <code>${o.request.requestId}</code>: <strong>${o.guardian.firstName} ${o.guardian.lastName}</strong> (card <strong>${o.guardian.cardNumber}</strong>) asked to see the records of <strong>${o.child.firstName} ${o.child.lastName}</strong> (card <strong>${o.child.cardNumber}</strong>, born ${o.child.dateOfBirth}) and is not linked to that card.</p>
<p>Check the adult's identity and look at the document they bring. If it shows that they are the child's parent or legal guardian, record the link. Hand the document back: do not copy, scan or keep it (library policy: reviewed, not retained). If it does not show it, close this page and do nothing.</p>
<div class="field"><label for="documentKind">What document did you see? (required)</label>
<select id="documentKind" name="documentKind" required><option value="">Choose…</option>${options}</select></div>`;
}
