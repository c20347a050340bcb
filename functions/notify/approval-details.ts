import type { RequestRecord } from '../domain/request.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import type { Patron } from '../sources/dataset.ts';

/**
 * What a deciding staff member sees on an approval page: enough to decide, per step.
 * Pages that show a patron's details return `readsPatron: true`, and the caller audits the read (R1).
 */
export interface ApprovalDetails {
  body: SafeHtml;
  readsPatron: boolean;
  fields?: string[];
}

const FIELD_LABELS: Record<string, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  email: 'Email',
  phone: 'Phone',
  address: 'Address',
  dateOfBirth: 'Date of birth',
};

const show = (v: unknown): string => {
  if (v === undefined || v === null || v === '') return '(none)';
  if (typeof v === 'object') return Object.values(v as Record<string, unknown>).join(', ');
  return String(v);
};

function correctionDetails(request: RequestRecord, patron: Patron | undefined): ApprovalDetails {
  const changes = request.changes ?? {};
  const fields = Object.keys(changes);
  const rows = fields.map(
    (f) => html`<tr><th scope="row">${FIELD_LABELS[f] ?? f}</th><td>${show(patron?.[f as keyof Patron])}</td><td>${show(changes[f as keyof typeof changes])}</td></tr>`,
  );
  return {
    readsPatron: true,
    fields,
    body: html`<p>The patron (verified through the contact on file) asks to change these details. Name, address and date-of-birth changes need your approval (R6). If you ask to see a document, look at it and hand it back: it is not copied or kept.</p>
<table><caption>Requested changes</caption><thead><tr><th scope="col">Field</th><th scope="col">Now</th><th scope="col">Requested</th></tr></thead><tbody>${rows}</tbody></table>`,
  };
}

const ACTION_LABELS: Record<string, string> = { erase: 'Erase', anonymise: 'Anonymise', delete: 'Delete', retain: 'Keep', 'not-applicable': 'Nothing stored' };

function deletionDetails(request: RequestRecord): ApprovalDetails {
  const plan = (request.plan ?? {}) as { mode?: string; steps?: { category: string; action: string; count: number; reason?: string; until?: string }[]; stopOutreach?: boolean };
  const rows = (plan.steps ?? []).map(
    (s) => html`<tr><th scope="row">${s.category}</th><td>${ACTION_LABELS[s.action] ?? s.action}</td><td>${s.count}</td><td>${s.reason ?? ''}${s.until ? html` (until ${s.until})` : ''}</td></tr>`,
  );
  return {
    readsPatron: false,
    body: html`<p>The patron asked to delete their data. This is the plan: what happens to each category, and why anything is kept (R8). Nothing is touched until you approve, and records under a legal hold are never touched.</p>
<p>Plan: <strong>${plan.mode ?? 'unknown'}</strong>${plan.stopOutreach ? ' · donor outreach stops at once' : ''}</p>
<table><caption>Deletion plan</caption><thead><tr><th scope="col">Category</th><th scope="col">Action</th><th scope="col">Records</th><th scope="col">Reason kept</th></tr></thead><tbody>${rows}</tbody></table>`,
  };
}

export function approvalDetails(step: string, request: RequestRecord, patron: Patron | undefined): ApprovalDetails {
  if (step === 'correction') return correctionDetails(request, patron);
  if (step === 'deletion-plan') return deletionDetails(request);
  return { readsPatron: false, body: html`<p>Request <code>${request.requestId}</code> (${request.kind}) needs a decision.</p>` };
}
