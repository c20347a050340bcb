import { isCallbackGone } from '../adapters/step-functions.ts';
import * as z from 'zod';
import { GoneError, InvalidInputError, NotFoundError } from '../domain/errors.ts';
import {
  changesOf,
  isTerminal,
  requesterPatronIdOf,
  resumeClock,
  type Consent,
  type StaffDecision,
  type Verification,
} from '../domain/request.ts';
import type { ActionToken } from '../domain/tokens.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { html, type SafeHtml } from '../lib/html.ts';
import { htmlResponse, httpHandler, parseBody, type HttpEvent, type HttpResult } from '../lib/http.ts';
import { approvalDetails } from '../render/approval-details.ts';
import { consentCategories, consentPage, guardianLinkPage } from '../render/consent-pages.ts';
import { DOCUMENT_KINDS, RELATIONSHIP_DOCUMENTS } from '../domain/identity-documents.ts';
import { courtOrderDetails, courtOrderDocument, refuseConflictedApprover } from '../app/court-order-pages.ts';
import { REQUEST_WHAT, stepTitle } from '../render/emails.ts';
import { renderDecisionForm, renderNotice, renderPage } from '../render/layout.ts';
import { readableMoment } from '../render/readable-time.ts';

const decisionSchema = z.object({
  decision: z.enum(['confirm', 'approve', 'reject', 'consent', 'decline', 'done']),
  reason: z.string().trim().max(2000).optional(),
  // Identity documents (in-person verification) or relationship documents (a guardian's link, R11); each purpose checks its own list below.
  documentKind: z
    .enum([...Object.keys(DOCUMENT_KINDS), ...Object.keys(RELATIONSHIP_DOCUMENTS)] as [string, ...string[]])
    .optional(),
});

const THANKS: Partial<Record<ActionToken['purpose'], Record<string, string>>> = {
  'verify-identity': { default: 'Your request is confirmed. We will email you when it is done.' },
  'verify-in-person': { default: 'The patron is verified. Their request continues.' },
  approve: {
    approve: 'Approved. The request continues.',
    reject: 'Rejected. The requester will be told, with your reason.',
  },
  'confirm-email': {
    confirm: 'Your new email address is confirmed.',
    decline: 'Thank you. This address will not be used.',
  },
  'confirm-phone': {
    confirm: 'Recorded: the new number is confirmed. The correction continues.',
    decline: 'Recorded: the number could not be confirmed. Nothing is changed and the patron is told.',
  },
  consent: {
    consent: 'Thank you. The answer “yes” is recorded. Library staff review the request before anything is shared.',
    decline: 'Thank you. The answer “no” is recorded: nothing will be shared.',
  },
  'guardian-link': {
    done: 'The link is recorded. The parent or guardian is told by email that they can make a new request.',
  },
};

/** Step Functions answers these when the waiting task is gone (timed out, stopped). */

export const createHandler = (deps: Deps) => {
  /** R1: the staff member holding this link is about to see a patron's details; the read is on the record, once per link. */
  const recordStaffRead = (token: ActionToken, purpose: string, fields: readonly string[]) =>
    deps.audit.append(token.requestId, {
      eventId: `staff-read:${token.tokenHash.slice(0, 16)}`,
      type: 'staff-read',
      actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
      data: { purpose, fields: [...fields] },
    });

  const page = (status: number, title: string, body: SafeHtml) =>
    htmlResponse(status, renderPage({ title, body, status }));

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
          details: html`<p>A request to <strong>${REQUEST_WHAT[request.kind] ?? request.kind}</strong> was made with your library card on ${request.createdAt.slice(0, 10)}.</p><p>If it was you, confirm below. If it was not, close this page: nothing happens and the request expires.</p>`,
          buttons: [{ decision: 'confirm', label: 'Yes, this was me', primary: true }],
        }),
      );
    }
    if (token.purpose === 'verify-in-person') {
      // A guardian is verified as themselves, never as the child (R11).
      const verifiedId = requesterPatronIdOf(request) ?? request.patronId;
      const patron = verifiedId ? await deps.records.getPatron(verifiedId) : undefined;
      if (!patron) throw new NotFoundError('no patron');
      // R1: a staff member is about to see a patron's details; the read is on the record.
      await recordStaffRead(token, 'in-person-verification', ['name', 'cardNumber']);
      const options = Object.entries(DOCUMENT_KINDS).map(
        ([value, label]) => html`<option value="${value}">${label}</option>`,
      );
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
      // R12: the uploader and an earlier approver are never offered the decision.
      const refused = await refuseConflictedApprover(deps, request, token, false);
      if (refused) return refused;
      const patron = request.patronId ? await deps.records.getPatron(request.patronId) : undefined;
      const requesterId = requesterPatronIdOf(request);
      const requester = requesterId ? await deps.records.getPatron(requesterId) : undefined;
      const details =
        request.kind === 'court-order'
          ? await courtOrderDetails(deps, request, patron, secret)
          : approvalDetails(token.step, request, patron, requester, deps.policy);
      if (details.readsPatron) {
        // R1: a staff member is about to see a patron's details; the read is on the record.
        await recordStaffRead(token, `approval:${token.step}`, details.fields ?? []);
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
    if (token.purpose === 'confirm-phone') {
      const patron = request.patronId ? await deps.records.getPatron(request.patronId) : undefined;
      if (!patron) throw new NotFoundError('no patron');
      const newPhone = changesOf(request)?.phone;
      if (!newPhone) throw new GoneError('no new number to confirm');
      const library = await deps.records.library();
      // R1: a staff member is about to see a patron's details and the number they asked for; the read is on the record.
      await recordStaffRead(token, 'phone-confirmation', ['name', 'cardNumber', 'newPhone']);
      return page(
        200,
        'Call to confirm a new phone number',
        renderDecisionForm({
          action,
          question: `Confirm the new phone number of ${patron.firstName} ${patron.lastName}`,
          details: html`<p>Request <code>${request.requestId}</code> (${request.kind}): the patron with card number <strong>${patron.cardNumber}</strong> asked to change the phone number on their record to</p>
<p><strong>${newPhone}</strong></p>
<ol><li>Call that number.</li><li>Ask for ${patron.firstName} ${patron.lastName} by name.</li><li>Ask them to confirm that they asked the library to change their phone number to this one.</li></ol>
<p>Confirm only if they answered and confirmed it themselves. Do not confirm on voicemail, an answering machine or a message taken by someone else: try again later, before ${readableMoment(token.expiresAt, library.timezone)}. Do not tell whoever answers anything else from the patron's record.</p>
<p>If you cannot reach them, or they did not ask for this, choose “Could not confirm”: the number is not changed and the patron is told.</p>`,
          buttons: [
            { decision: 'confirm', label: 'Confirmed: they answered and asked for this change', primary: true },
            { decision: 'decline', label: 'Could not confirm' },
          ],
        }),
      );
    }
    if (token.purpose === 'consent') {
      // R10, R14: the subject answers through their own email, or desk staff record it in person.
      const inPerson = token.recipient.kind === 'staff';
      const subject = inPerson && request.patronId ? await deps.records.getPatron(request.patronId) : undefined;
      if (inPerson && !subject) throw new NotFoundError('no patron');
      if (subject) {
        // R1: a staff member is about to see a patron's details; the read is on the record.
        await recordStaffRead(token, 'in-person-consent', ['name', 'cardNumber']);
      }
      const consent = consentPage({ request, policy: deps.policy, ...(subject ? { subject } : {}) });
      return page(
        200,
        request.kind === 'third-party' ? 'Written permission asked' : 'Your consent is asked',
        renderDecisionForm({ action, ...consent }),
      );
    }
    if (token.purpose === 'guardian-link') {
      const [guardian, child] = await Promise.all([
        request.kind === 'guardian-access' && request.requesterPatronId
          ? deps.records.getPatron(request.requesterPatronId)
          : undefined,
        request.patronId ? deps.records.getPatron(request.patronId) : undefined,
      ]);
      if (!guardian || !child) throw new NotFoundError('no patron');
      // R1: the desk sees both people's details; the read is on the record.
      await recordStaffRead(token, 'guardian-link', ['name', 'cardNumber', 'dateOfBirth']);
      return page(
        200,
        'Record a guardian’s link to a card',
        renderDecisionForm({
          action,
          question: 'Is this adult the child’s parent or guardian?',
          details: guardianLinkPage({ request, guardian, child }),
          buttons: [{ decision: 'done', label: 'Record the link', primary: true }],
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
      if (
        token.purpose === 'verify-in-person' &&
        !(input.documentKind && Object.hasOwn(DOCUMENT_KINDS, input.documentKind))
      )
        throw new InvalidInputError('choose how you verified the patron', [
          { path: 'documentKind', message: 'required' },
        ]);
      if (
        token.purpose === 'guardian-link' &&
        !(input.documentKind && Object.hasOwn(RELATIONSHIP_DOCUMENTS, input.documentKind))
      )
        throw new InvalidInputError('choose the document you saw', [{ path: 'documentKind', message: 'required' }]);
      if (token.purpose === 'approve' && input.decision === 'reject' && !input.reason)
        throw new InvalidInputError('give a reason for rejecting: the requester will read it', [
          { path: 'reason', message: 'required' },
        ]);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      // R7: a few bad tries, then the link locks.
      await deps.tokens.recordFailedAttempt(token);
      return page(
        400,
        'Please try again',
        html`${renderNotice('error', e.message)}<p><a href="/act/${secret}">Back</a></p>`,
      );
    }

    const request = await deps.requests.get(token.requestId);
    // A guardian's link is recorded after the request that revealed it was denied (R11): its task outlives the request.
    if (isTerminal(request.status) && token.purpose !== 'guardian-link') throw new GoneError('request closed');
    if (token.purpose === 'approve') {
      // R12, defence in depth: a decision from the uploader or an earlier approver is refused and recorded.
      const refused = await refuseConflictedApprover(deps, request, token, true);
      if (refused) return refused;
    }
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
      await deps.requests.update(used.requestId, (r) =>
        r.verification ? undefined : { ...resumeClock(r, deps.clock()), verification },
      );
      await deps.audit.append(used.requestId, {
        eventId: `verified:${used.step}`,
        type: 'identity-verified',
        actor:
          used.recipient.kind === 'staff'
            ? { kind: 'staff', id: used.recipient.id, role: used.recipient.role }
            : { kind: 'patron' },
        data: {
          method: verification.method,
          ...(verification.documentKind ? { documentKind: verification.documentKind } : {}),
        },
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
        ...(decision.decision === 'reject'
          ? {
              denial: { code: 'rejected' as const, at: decision.at, ...(input.reason ? { reason: input.reason } : {}) },
            }
          : {}),
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
    if (used.purpose === 'confirm-phone') {
      // R6: who confirmed the new number by calling it, or could not; never the number (R5).
      await deps.audit.append(used.requestId, {
        eventId: `phone-confirmation:${used.step}`,
        type: input.decision === 'confirm' ? 'phone-confirmed' : 'phone-not-confirmed',
        actor: { kind: 'staff', id: used.recipient.id, role: used.recipient.role },
      });
    }
    if (used.purpose === 'consent') {
      const staff = used.recipient.kind === 'staff';
      const at = deps.clock().toISOString();
      const consent: Consent = {
        decision: input.decision === 'consent' ? 'consent' : 'decline',
        at,
        channel: staff ? 'in-person' : 'email',
        ...(staff
          ? { recordedByStaffId: used.recipient.id, recordedByRole: used.recipient.role ?? 'circulation' }
          : {}),
      };
      // R14: what was shown is what was permitted; any reason typed into the form is never kept (R10).
      await deps.requests.update(used.requestId, (r) =>
        (r.kind !== 'guardian-access' && r.kind !== 'third-party') || r.consent
          ? undefined
          : {
              ...r,
              consent:
                consent.decision === 'consent'
                  ? { ...consent, categories: consentCategories(r, deps.policy) }
                  : consent,
            },
      );
      await deps.audit.append(used.requestId, {
        eventId: `consent:${used.step}`,
        type: consent.decision === 'consent' ? 'consent-given' : 'consent-declined',
        actor: staff ? { kind: 'staff', id: used.recipient.id, role: used.recipient.role } : { kind: 'patron' },
        data: {
          channel: consent.channel,
          ...(consent.decision === 'consent' ? { categories: consentCategories(request, deps.policy) } : {}),
        },
      });
    }
    if (used.purpose === 'guardian-link') {
      const check = {
        byStaffId: used.recipient.id,
        role: used.recipient.role ?? 'circulation',
        documentKind: input.documentKind ?? '',
        at: deps.clock().toISOString(),
      };
      // R4: who looked, when, and what kind of document; never the document or its number.
      await deps.requests.update(used.requestId, (r) =>
        r.kind !== 'guardian-access' || r.guardianLinkCheck ? undefined : { ...r, guardianLinkCheck: check },
      );
      await deps.audit.append(used.requestId, {
        eventId: `guardian-relationship-checked:${used.step}`,
        type: 'guardian-relationship-checked',
        actor: { kind: 'staff', id: used.recipient.id, role: used.recipient.role },
        data: { documentKind: check.documentKind },
      });
    }
    // The other staff members' copies of this task are now void.
    await deps.tokens.revokeAll(used.requestId);

    if (used.taskToken) {
      try {
        await deps.workflow.sendTaskSuccess(used.taskToken, { decision: input.decision });
      } catch (e) {
        if (isCallbackGone(e)) throw new GoneError('the request has moved on');
        throw e;
      }
    }
    return page(
      200,
      'Thank you',
      renderNotice('success', THANKS[used.purpose]?.[input.decision] ?? THANKS[used.purpose]?.default ?? 'Thank you.'),
    );
  }

  return httpHandler(deps, async (event) => {
    const secret = event.pathParameters?.token ?? '';
    try {
      const token = await deps.tokens.findUsable(secret);
      if (token.purpose === 'download') throw new NotFoundError('not an action link');
      // R12: an approver opens the order's PDF from the decision page; a GET that only reads.
      if (
        token.purpose === 'approve' &&
        event.requestContext.http.method === 'GET' &&
        event.queryStringParameters?.view === 'order'
      )
        return await courtOrderDocument(deps, token);
      if (event.requestContext.http.method === 'POST') return await act(event, secret, token);
      return await show(secret, token);
    } catch (e) {
      // People follow these links from email: answer with a page, not JSON.
      if (e instanceof GoneError)
        return page(
          410,
          'This link can no longer be used',
          renderNotice(
            'info',
            'It was already used, or it has expired. If you still need something, please make a new request or contact the library.',
          ),
        );
      if (e instanceof NotFoundError)
        return page(
          404,
          'Link not found',
          renderNotice('error', 'This link is not valid. Please check that you copied the whole address.'),
        );
      throw e;
    }
  });
};

export const handler = lambdaEntry(createHandler);
