import { requesterPatronIdOf } from '../../domain/request.ts';
import { InvalidInputError } from '../../domain/errors.ts';
import type { StaffDecision } from '../../domain/request.ts';
import { approvalDetails } from '../../render/approval-details.ts';
import { stepTitle } from '../../render/emails.ts';
import { approvalDetailsWithDates } from '../../render/link-pages.ts';
import { courtOrderDetails, courtOrderDocument, refuseConflictedApprover, staffActor } from './court-order-approval.ts';
import type { LinkAction } from './link-action.ts';
import { recordStaffRead } from './staff-read.ts';

/** A staff decision on one workflow step: approve, or reject with a reason the requester reads. */
export const approve: LinkAction = {
  async show({ deps, token, request, secret }) {
    const patron = request.patronId ? await deps.people.getPatron(request.patronId) : undefined;
    const requester = requesterPatronIdOf(request)
      ? await deps.people.getPatron(requesterPatronIdOf(request) ?? '')
      : undefined;
    const details =
      request.kind === 'court-order'
        ? await courtOrderDetails(deps, request, patron, secret)
        : approvalDetails(token.step, request, patron, requester, deps.policy);
    if (details.readsPatron) {
      // R1: a staff member is about to see a patron's details; the read is on the record.
      await recordStaffRead(deps, token, `approval:${token.step}`, details.fields ?? []);
    }
    return {
      title: `Decision needed: ${stepTitle(token.step)}`,
      form: {
        question: `Approve ${stepTitle(token.step)}?`,
        details: approvalDetailsWithDates(request, details.body),
        buttons: [
          { decision: 'approve', label: 'Approve', primary: true },
          { decision: 'reject', label: 'Reject' },
        ],
        reasonField: { label: 'Reason (required to reject; the requester will read it)' },
      },
    };
  },
  thanks: {
    approve: 'Approved. The request continues.',
    reject: 'Rejected. The requester will be told, with your reason.',
  },
  check(input) {
    if (input.decision === 'reject' && !input.reason)
      throw new InvalidInputError('give a reason for rejecting: the requester will read it', [
        { path: 'reason', message: 'required' },
      ]);
  },
  // R12: the uploader and an earlier approver are never offered the decision; one arriving anyway is refused and recorded.
  refuse: ({ deps, request, token, signedIn }, record) =>
    refuseConflictedApprover(deps, request, token, record, signedIn),
  document: courtOrderDocument,
  async record({ deps, token, input, signedIn }) {
    const decision: StaffDecision = {
      step: token.step,
      decision: input.decision === 'approve' ? 'approve' : 'reject',
      byStaffId: token.recipient.id,
      role: token.recipient.role ?? '',
      // R12, R17: the signed-in person's stable id, beside the address the link was sent to.
      ...(signedIn ? { bySub: signedIn.sub } : {}),
      at: deps.clock().toISOString(),
      ...(input.reason ? { reason: input.reason } : {}),
    };
    await deps.requests.update(token.requestId, (r) => ({
      ...r,
      decisions: [...(r.decisions ?? []), decision],
      ...(decision.decision === 'reject'
        ? {
            denial: { code: 'rejected' as const, at: decision.at, ...(input.reason ? { reason: input.reason } : {}) },
          }
        : {}),
    }));
    // The reason is for the requester and may name people: it stays off the audit trail.
    await deps.audit.append(token.requestId, {
      eventId: `decided:${token.step}:${token.tokenHash.slice(0, 16)}`,
      type: 'approval-decided',
      actor: staffActor(token, signedIn),
      data: { step: token.step, decision: decision.decision },
    });
  },
};
