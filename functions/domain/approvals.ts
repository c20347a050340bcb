import type { RequestRecord } from './request.ts';

/**
 * Separation of duties for staff decisions (R12: "approved by two different authorised people").
 * A person may not decide on a request they made themselves (counsel who uploaded a court order),
 * nor approve a second step of a request whose earlier step they approved. Enforced twice: links
 * are never sent to such a person (task-request-approval), and a decision from one is refused (act).
 */
export type ApprovalConflict = 'submitted-the-request' | 'approved-an-earlier-step';

const same = (a: string | undefined, b: string): boolean =>
  a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();

export function approvalConflict(
  request: Pick<RequestRecord, 'submittedByStaff' | 'decisions'>,
  staffId: string,
): ApprovalConflict | undefined {
  if (same(request.submittedByStaff, staffId)) return 'submitted-the-request';
  if ((request.decisions ?? []).some((d) => d.decision === 'approve' && same(d.byStaffId, staffId)))
    return 'approved-an-earlier-step';
  return undefined;
}

/** The staff who may decide the next step of this request. */
export const eligibleApprovers = <S extends { email: string }>(
  request: Pick<RequestRecord, 'submittedByStaff' | 'decisions'>,
  staff: readonly S[],
): S[] => staff.filter((s) => approvalConflict(request, s.email) === undefined);

export const CONFLICT_WORDS: Record<ApprovalConflict, string> = {
  'submitted-the-request': 'you submitted this request yourself',
  'approved-an-earlier-step':
    'you already approved an earlier step of this request, and two different people must approve it',
};
