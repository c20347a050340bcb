import { z } from 'zod';
import { GoneError, InvalidInputError, NotFoundError } from '../domain/errors.ts';
import { isTerminal, resumeClock, type StaffDecision, type Verification } from '../domain/request.ts';
import type { ActionToken } from '../domain/tokens.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import { htmlResponse, httpHandler, parseBody, type HttpEvent, type HttpResult } from '../lib/http.ts';
import { approvalDetails } from '../notify/approval-details.ts';
import { stepTitle } from '../notify/emails.ts';
import { renderDecisionForm, renderNotice, renderPage } from '../notify/layout.ts';

/** R4: staff record what kind of document they saw, never the document or its number. */
const DOCUMENT_KINDS = {
  'photo-id': 'Government photo ID (driver licence, state ID, passport)',
  'library-card-and-photo-id': 'Library card and photo ID',
  'known-to-staff': 'Known to staff, with the card on file',
} as const;

const decisionSchema = z.object({
  decision: z.enum(['confirm', 'approve', 'reject', 'consent', 'decline', 'done']),
  reason: z.string().trim().max(2000).optional(),
  documentKind: z.enum(Object.keys(DOCUMENT_KINDS) as [keyof typeof DOCUMENT_KINDS]).optional(),
});

const THANKS: Partial<Record<ActionToken['purpose'], Record<string, string>>> = {
  'verify-identity': { default: 'Your request is confirmed. We will email you when it is done.' },
  'verify-in-person': { default: 'The patron is verified. Their request continues.' },
  approve: { approve: 'Approved. The request continues.', reject: 'Rejected. The requester will be told, with your reason.' },
  'confirm-email': { confirm: 'Your new email address is confirmed.', decline: 'Thank you. This address will not be used.' },
};

/** Step Functions answers these when the waiting task is gone (timed out, stopped). */
const CALLBACK_GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export const createHandler = (deps: Deps) => {
  const page = (status: number, title: string, body: SafeHtml) => htmlResponse(status, renderPage({ title, body, status }));

  async function show(secret: string, token: ActionToken): Promise<HttpResult> {
    const request = await deps.requests.get(token.requestId);
    const action = `/act/${secret}`;
    if (token.purpose === 'verify-identity') {
      return page(
        200,
        'Confirm your request',
        renderDecisionForm({
          action,
          question: 'Did you make this request?',
          details: html`<p>A request to <strong>${request.kind === 'access' ? 'see the records the library holds about you' : request.kind}</strong> was made with your library card on ${request.createdAt.slice(0, 10)}.</p><p>If it was you, confirm below. If it was not, close this page: nothing happens and the request expires.</p>`,
          buttons: [{ decision: 'confirm', label: 'Yes, this was me', primary: true }],
        }),
      );
    }
    if (token.purpose === 'verify-in-person') {
      const patron = request.patronId ? await deps.records.getPatron(request.patronId) : undefined;
      if (!patron) throw new NotFoundError('no patron');
      // R1: a staff member is about to see a patron's details; the read is on the record.
      await deps.audit.append(token.requestId, {
        eventId: `staff-read:${token.tokenHash.slice(0, 16)}`,
        type: 'staff-read',
        actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
        data: { purpose: 'in-person-verification', fields: ['name', 'cardNumber'] },
      });
      const options = Object.entries(DOCUMENT_KINDS).map(([value, label]) => html`<option value="${value}">${label}</option>`);
      return page(
        200,
        'Verify a patron in person',
        renderDecisionForm({
          action,
          question: `Verify the identity of ${patron.firstName} ${patron.lastName}`,
          details: html`<p>Request <code>${request.requestId}</code> (${request.kind}) was made with card number <strong>${patron.cardNumber}</strong>. The patron has no email on file, so they must be verified at the desk.</p>
<p>Check their identity, then record how you checked. Do not copy, scan or keep the document (library policy: reviewed, not retained).</p>
<div class="field"><label for="documentKind">How did you verify them? (required)</label>
<select id="documentKind" name="documentKind" required><option value="">Choose…</option>${options}</select></div>`,
          buttons: [{ decision: 'done', label: 'Identity verified', primary: true }],
        }),
      );
    }
    if (token.purpose === 'approve') {
      const patron = request.patronId ? await deps.records.getPatron(request.patronId) : undefined;
      const details = approvalDetails(token.step, request, patron);
      if (details.readsPatron) {
        // R1: a staff member is about to see a patron's details; the read is on the record.
        await deps.audit.append(token.requestId, {
          eventId: `staff-read:${token.tokenHash.slice(0, 16)}`,
          type: 'staff-read',
          actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
          data: { purpose: `approval:${token.step}`, fields: details.fields ?? [] },
        });
      }
      return page(
        200,
        `Decision needed: ${stepTitle(token.step)}`,
        renderDecisionForm({
          action,
          question: `Approve ${stepTitle(token.step)}?`,
          details: html`<p>Request <code>${request.requestId}</code> (${request.kind}), received ${request.createdAt.slice(0, 10)}, due ${request.dueAt.slice(0, 10)}.</p>${details.body}`,
          buttons: [
            { decision: 'approve', label: 'Approve', primary: true },
            { decision: 'reject', label: 'Reject' },
          ],
          reasonField: { label: 'Reason (required to reject; the requester will read it)' },
        }),
      );
    }
    if (token.purpose === 'confirm-email') {
      return page(
        200,
        'Confirm your new email address',
        renderDecisionForm({
          action,
          question: 'Is this your email address?',
          details: html`<p>A patron of the library asked to use this email address for their library account. Confirm only if that was you.</p>`,
          buttons: [
            { decision: 'confirm', label: 'Yes, use this address', primary: true },
            { decision: 'decline', label: 'This is not my address' },
          ],
        }),
      );
    }
    throw new NotFoundError('not an action link');
  }

  async function act(event: HttpEvent, secret: string, token: ActionToken): Promise<HttpResult> {
    let input: z.infer<typeof decisionSchema>;
    try {
      input = parseBody(event, decisionSchema);
      if (!token.decisions.includes(input.decision)) throw new InvalidInputError('that choice is not offered here');
      if (token.purpose === 'verify-in-person' && !input.documentKind) throw new InvalidInputError('choose how you verified the patron', [{ path: 'documentKind', message: 'required' }]);
      if (token.purpose === 'approve' && input.decision === 'reject' && !input.reason) throw new InvalidInputError('give a reason for rejecting: the requester will read it', [{ path: 'reason', message: 'required' }]);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      // R7: a few bad tries, then the link locks.
      await deps.tokens.recordFailedAttempt(token);
      return page(400, 'Please try again', html`${renderNotice('error', e.message)}<p><a href="/act/${secret}">Back</a></p>`);
    }

    const request = await deps.requests.get(token.requestId);
    if (isTerminal(request.status)) throw new GoneError('request closed');
    const used = await deps.tokens.consume(token, input.decision);

    if (used.purpose === 'verify-identity' || used.purpose === 'verify-in-person') {
      const verification: Verification =
        used.purpose === 'verify-identity'
          ? { method: 'email-link', verifiedAt: deps.clock().toISOString() }
          : {
              method: 'in-person',
              verifiedAt: deps.clock().toISOString(),
              verifiedByRole: used.recipient.role ?? 'circulation',
              verifiedByStaffId: used.recipient.id,
              ...(input.documentKind ? { documentKind: input.documentKind } : {}),
            };
      // R15: the clock paused while the request waited on the requester.
      await deps.requests.update(used.requestId, (r) => (r.verification ? undefined : { ...resumeClock(r, deps.clock()), verification }));
      await deps.audit.append(used.requestId, {
        eventId: `verified:${used.step}`,
        type: 'identity-verified',
        actor: used.recipient.kind === 'staff' ? { kind: 'staff', id: used.recipient.id, role: used.recipient.role } : { kind: 'patron' },
        data: { method: verification.method, ...(verification.documentKind ? { documentKind: verification.documentKind } : {}) },
      });
    }
    if (used.purpose === 'approve') {
      const decision: StaffDecision = {
        step: used.step,
        decision: input.decision === 'approve' ? 'approve' : 'reject',
        byStaffId: used.recipient.id,
        role: used.recipient.role ?? '',
        at: deps.clock().toISOString(),
        ...(input.reason ? { reason: input.reason } : {}),
      };
      await deps.requests.update(used.requestId, (r) => ({
        ...r,
        decisions: [...(r.decisions ?? []), decision],
        ...(decision.decision === 'reject' ? { denial: { code: 'rejected' as const, at: decision.at, ...(input.reason ? { reason: input.reason } : {}) } } : {}),
      }));
      // The reason is for the requester and may name people: it stays off the audit trail.
      await deps.audit.append(used.requestId, {
        eventId: `decided:${used.step}:${used.tokenHash.slice(0, 16)}`,
        type: 'approval-decided',
        actor: { kind: 'staff', id: used.recipient.id, role: used.recipient.role },
        data: { step: used.step, decision: decision.decision },
      });
    }
    if (used.purpose === 'confirm-email') {
      await deps.audit.append(used.requestId, {
        eventId: `email-confirmation:${used.step}`,
        type: input.decision === 'confirm' ? 'new-email-confirmed' : 'new-email-declined',
        actor: { kind: 'patron' },
      });
    }
    // The other staff members' copies of this task are now void.
    await deps.tokens.revokeAll(used.requestId);

    if (used.taskToken) {
      try {
        await deps.workflow.sendTaskSuccess(used.taskToken, { decision: input.decision });
      } catch (e) {
        if (e instanceof Error && CALLBACK_GONE.has(e.name)) throw new GoneError('the request has moved on');
        throw e;
      }
    }
    return page(200, 'Thank you', renderNotice('success', THANKS[used.purpose]?.[input.decision] ?? THANKS[used.purpose]?.default ?? 'Thank you.'));
  }

  return httpHandler(deps, async (event) => {
    const secret = event.pathParameters?.token ?? '';
    try {
      const token = await deps.tokens.findUsable(secret);
      if (token.purpose === 'download') throw new NotFoundError('not an action link');
      if (event.requestContext.http.method === 'POST') return await act(event, secret, token);
      return await show(secret, token);
    } catch (e) {
      // People follow these links from email: answer with a page, not JSON.
      if (e instanceof GoneError) return page(410, 'This link can no longer be used', renderNotice('info', 'It was already used, or it has expired. If you still need something, please make a new request or contact the library.'));
      if (e instanceof NotFoundError) return page(404, 'Link not found', renderNotice('error', 'This link is not valid. Please check that you copied the whole address.'));
      throw e;
    }
  });
};

export const handler = lambdaEntry(createHandler);
