import type { Policy } from '../domain/policy.ts';
import { changesOf, consentOf, type RequestRecord } from '../domain/request.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import type { Patron } from '../domain/dataset.ts';
import { FIELD_NAMES } from '../domain/correction.ts';
import { requesterWords } from './link-pages.ts';

/**
 * What a deciding staff member sees on an approval page: enough to decide, per step.
 * Pages that show a patron's details return `readsPatron: true`, and the caller audits the read (R1).
 */
export interface ApprovalDetails {
  body: SafeHtml;
  readsPatron: boolean;
  fields?: string[];
}

const show = (v: unknown): string => {
  if (v === undefined || v === null || v === '') return '(none)';
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).join(', ');
  return String(v);
};

function correctionDetails(request: RequestRecord, patron: Patron | undefined): ApprovalDetails {
  const changes = changesOf(request) ?? {};
  const fields = Object.keys(changes);
  const rows = fields.map(
    (f) =>
      html`<tr><th scope="row">${FIELD_NAMES[f as keyof typeof FIELD_NAMES] ?? f}</th><td>${show(patron?.[f as keyof Patron])}</td><td>${show(changes[f as keyof typeof changes])}</td></tr>`,
  );
  return {
    readsPatron: true,
    fields,
    body: html`<p>The patron (verified through the contact on file) asks to change these details. Name, address and date-of-birth changes need your approval (R6). If you ask to see a document, look at it and hand it back: it is not copied or kept.</p>
<table><caption>Requested changes</caption><thead><tr><th scope="col">Field</th><th scope="col">Now</th><th scope="col">Requested</th></tr></thead><tbody>${rows}</tbody></table>`,
  };
}

const ACTION_LABELS: Record<string, string> = {
  erase: 'Erase',
  anonymise: 'Anonymise',
  delete: 'Delete',
  retain: 'Keep',
  'not-applicable': 'Nothing stored',
};

function deletionDetails(request: RequestRecord): ApprovalDetails {
  const plan = ((request.kind === 'deletion' ? request.plan : undefined) ?? {}) as {
    mode?: string;
    steps?: { category: string; action: string; count: number; reason?: string; until?: string }[];
    stopOutreach?: boolean;
    systems?: { name: string; how: string; outreach: boolean }[];
  };
  const rows = (plan.steps ?? []).map(
    (s) =>
      html`<tr><th scope="row">${s.category}</th><td>${ACTION_LABELS[s.action] ?? s.action}</td><td>${s.count}</td><td>${s.reason ?? ''}${s.until ? html` (until ${s.until})` : ''}</td></tr>`,
  );
  const systems = (plan.systems ?? []).map(
    (s) =>
      html`<li>${s.name}: ${s.how === 'connector' ? 'through its connector' : 'a task to its staff'}${s.outreach ? ' · outreach stops there' : ''}</li>`,
  );
  return {
    readsPatron: false,
    body: html`<p>The patron asked to delete their data. This is the plan: what happens to each category, and why anything is kept (R8). Nothing is touched until you approve, and records under a legal hold are never touched.</p>
<p>Plan: <strong>${plan.mode ?? 'unknown'}</strong>${plan.stopOutreach ? ' · donor outreach stops at once' : ''}</p>
<table><caption>Deletion plan</caption><thead><tr><th scope="col">Category</th><th scope="col">Action</th><th scope="col">Records</th><th scope="col">Reason kept</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Systems it reaches (R19)</h2><p>The table above is the built-in records table's plan. Each system erases what it holds, or waits while a blocker holds there.</p><ul>${systems}</ul>`,
  };
}

const BAND_TEXT: Record<string, string> = {
  child: 'under the consent age: a parent or guardian may see the records (R9)',
  'consent-age': 'between the consent age and adulthood: only with the child’s own consent (R10)',
  adult: 'an adult: a parent or guardian may not see the records (R11)',
};

const consentLine = (request: RequestRecord): string => {
  const c = consentOf(request);
  if (!c) return 'Not asked';
  const how =
    c.channel === 'email'
      ? 'through their own email on file'
      : `in person, recorded by library staff (${c.recordedByRole ?? 'staff'})`;
  return `${c.decision === 'consent' ? 'Given' : 'Declined'} ${how}, ${c.at.slice(0, 10)}`;
};

const verifiedLine = (request: RequestRecord): string =>
  request.verification
    ? `${request.verification.method === 'email-link' ? 'By a link to the email on their own record' : 'In person at the desk'}, ${request.verification.verifiedAt.slice(0, 10)}`
    : 'Not verified';

/** R9, R10: who asks, for whom, the child's age band on the day of the request, the child's consent, and what would be released. */
function guardianDetails(
  request: RequestRecord,
  child: Patron | undefined,
  guardian: Patron | undefined,
  policy: Policy | undefined,
): ApprovalDetails {
  const categories = (consentOf(request)?.categories ?? policy?.minors.guardianCategories ?? []).map(
    (c) => policy?.categories[c].title ?? c,
  );
  const name = (p: Patron | undefined) => (p ? `${p.firstName} ${p.lastName} (card ${p.cardNumber})` : '(unknown)');
  return {
    readsPatron: true,
    fields: ['name', 'cardNumber', 'dateOfBirth'],
    body: html`<p>A parent or guardian asks to see a child's library records. The library's policy allows it for a child linked to their card, below adulthood; from the consent age only with the child's own consent, given through the child's own channel.</p>
<table><caption>Guardian request</caption><tbody>
<tr><th scope="row">Parent or guardian</th><td>${name(guardian)}; linked to the child's card</td></tr>
<tr><th scope="row">Guardian verified</th><td>${verifiedLine(request)}</td></tr>
<tr><th scope="row">Child</th><td>${name(child)}, born ${child?.dateOfBirth ?? '(unknown)'}</td></tr>
<tr><th scope="row">Age on the day of the request</th><td>${BAND_TEXT[(request.kind === 'guardian-access' ? request.ageBand : undefined) ?? ''] ?? '(unknown)'}</td></tr>
<tr><th scope="row">Child's consent</th><td>${consentLine(request)}</td></tr>
<tr><th scope="row">Released if you approve</th><td>${categories.join(', ')}</td></tr>
</tbody></table>
<p>If you reject, the parent or guardian reads your reason: do not say anything about the child's records or answers.</p>`,
  };
}

/** R14: who asks, why, the patron's written permission and exactly the categories it covers. */
function thirdPartyDetails(
  request: RequestRecord,
  patron: Patron | undefined,
  policy: Policy | undefined,
): ApprovalDetails {
  const tp = (request.kind === 'third-party' ? request.thirdParty : undefined) ?? { categories: [] };
  const categories = (consentOf(request)?.categories ?? []).map((c) => policy?.categories[c].title ?? c);
  return {
    readsPatron: true,
    fields: ['name', 'cardNumber'],
    body: html`<p>A third party asks for a patron's records. The patron gave written permission through their own channel; only the categories below would be released (R14).</p>
<table><caption>Third-party request</caption><tbody>
<tr><th scope="row">Requester</th><td>${tp.name ?? ''}${tp.organization ? ` (${tp.organization})` : ''}, ${tp.email ?? ''}</td></tr>
<tr><th scope="row">Purpose</th><td>${requesterWords('Their reason', tp.purpose ?? '')}</td></tr>
<tr><th scope="row">Patron</th><td>${patron ? `${patron.firstName} ${patron.lastName} (card ${patron.cardNumber})` : '(unknown)'}</td></tr>
<tr><th scope="row">Written permission</th><td>${consentLine(request)}</td></tr>
<tr><th scope="row">Released if you approve</th><td>${categories.join(', ') || '(none)'}</td></tr>
</tbody></table>
<p>If you reject, the requester reads your reason: do not say anything about the patron or their records.</p>`,
  };
}

export function approvalDetails(
  step: string,
  request: RequestRecord,
  patron: Patron | undefined,
  requester?: Patron,
  policy?: Policy,
): ApprovalDetails {
  if (step === 'correction') return correctionDetails(request, patron);
  if (step === 'deletion-plan') return deletionDetails(request);
  if (step === 'guardian-access') return guardianDetails(request, patron, requester, policy);
  if (step === 'third-party') return thirdPartyDetails(request, patron, policy);
  return {
    readsPatron: false,
    body: html`<p>Request <code>${request.requestId}</code> (${request.kind}) needs a decision.</p>`,
  };
}
