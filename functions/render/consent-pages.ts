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
  /** R14: the card holder is under 13, and a parent or guardian gives the permission. */
  forChild?: boolean;
}): ConsentPage {
  const { request, policy, subject } = o;
  const categories = consentCategories(request, policy).map((c) => policy.categories[c]);
  const guardian = request.kind === 'guardian-access';
  const desk =
    subject && o.forChild
      ? html`<p>Request <code>${request.requestId}</code>: the card of <strong>${subject.firstName} ${subject.lastName}</strong> (card <strong>${subject.cardNumber}</strong>) belongs to a child under 13, so a parent or guardian linked to the card gives the permission, and none has an email on file. Check that the adult is a parent or guardian on this card, let them read this page, and record only their answer.</p><hr>`
      : subject
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
  // R14: the exact recipient; the address is the one the third party confirmed before the patron was asked.
  const who = html`<strong>${tp.name ?? ''}</strong>${tp.organization ? html` (${tp.organization})` : ''}, email <strong>${tp.email ?? ''}</strong>`;
  const child = o.forChild;
  const whose = subject ? 'the patron’s' : child ? 'your child’s' : 'your';
  const deskWho = child ? 'the parent or guardian’s' : 'the patron’s';
  return {
    question: subject
      ? `Record ${child ? 'the parent or guardian’s' : 'the patron’s'} answer`
      : 'Do you give your written permission?',
    details: html`${desk}<p>A third party asked the library for some of ${whose} library records.${child ? ' The card holder is under 13, so a parent or guardian gives the permission.' : ''}</p>
<h3>Who would receive them</h3>
<p>${who}</p>
<h3>The records asked for</h3>
<ul>${categories.map((c) => html`<li><strong>${c.title}</strong>: ${c.what}</li>`)}</ul>
<h3>The reason they gave, in their own words (not checked by the library)</h3>
<blockquote class="purpose" style="white-space:pre-wrap">${neutraliseLinks(tp.purpose ?? '')}</blockquote>
<p>They receive only these kinds of records, and only with ${subject ? `${deskWho}` : 'your'} written permission and after library staff approve. Nothing else is ever sent to them. If the answer is no, nothing is shared, and they are told only that the request could not go ahead.</p>
<p>${subject ? `Pressing “Yes” records ${deskWho} written permission, given at the desk.` : 'Pressing “Yes” is your written permission for exactly these records, to this recipient, for this purpose.'}</p>
${policyLine(policy)}`,
    buttons: subject
      ? answers(
          child ? 'Yes, the parent or guardian gives written permission' : 'Yes, the patron gives written permission',
          child ? 'No, the parent or guardian does not give permission' : 'No, the patron does not give permission',
        )
      : answers('Yes, I give my written permission', 'No, I do not give permission'),
  };
}

/**
 * R14: the requester's free text, made inert: it is escaped where it is shown (no HTML), and
 * anything that reads as a link (a scheme, a domain name) is broken with brackets so that no page,
 * mail client or copy-paste turns it into something to click.
 */
export function neutraliseLinks(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*):\/\//gi, '$1[:]//')
    .replace(/\b(mailto|javascript|data|tel|file|vbscript):/gi, '$1[:]')
    .replace(/\b(?:[a-z0-9-]+\.)+[a-z]{2,}\b/gi, (host) => host.replace(/\./g, '[.]'));
}

/** R11, R4: the desk task that records a guardian's link to a child's card, after seeing a document it does not keep. */
export function guardianLinkPage(o: { request: RequestRecord; guardian: Patron; child: Patron }): SafeHtml {
  const options = Object.entries(RELATIONSHIP_DOCUMENTS).map(
    ([value, label]) => html`<option value="${value}">${label}</option>`,
  );
  return html`<p>Request <code>${o.request.requestId}</code>: <strong>${o.guardian.firstName} ${o.guardian.lastName}</strong> (card <strong>${o.guardian.cardNumber}</strong>) asked to see the records of <strong>${o.child.firstName} ${o.child.lastName}</strong> (card <strong>${o.child.cardNumber}</strong>, born ${o.child.dateOfBirth}) and is not linked to that card.</p>
<p>Check the adult's identity and look at the document they bring. If it shows that they are the child's parent or legal guardian, record the link. Hand the document back: do not copy, scan or keep it (library policy: reviewed, not retained). If it does not show it, close this page and do nothing.</p>
<div class="field"><label for="documentKind">What document did you see? (required)</label>
<select id="documentKind" name="documentKind" required><option value="">Choose&hellip;</option>${options}</select></div>`;
}
