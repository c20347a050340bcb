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

/**
 * R12: an approval is given signed in, by the person the link was sent to, while they hold the
 * role it was sent for. Anyone else signed in (a colleague reading a shared or forwarded mailbox,
 * someone who left the role) is refused, and the link stays usable by its recipient.
 */
export type SignInRefusal = 'not-the-recipient' | 'not-in-role';

export function signInRefusal(
  recipient: { id: string; role?: string | undefined },
  signedIn: { email: string; groups: readonly string[] },
): SignInRefusal | undefined {
  if (!same(recipient.id, signedIn.email)) return 'not-the-recipient';
  if (!recipient.role || !signedIn.groups.includes(recipient.role)) return 'not-in-role';
  return undefined;
}

export const SIGN_IN_REFUSAL_WORDS: Record<SignInRefusal, string> = {
  'not-the-recipient':
    'This approval was sent to another member of staff: only they can open it and decide, signed in as themselves.',
  'not-in-role': 'Your sign-in does not hold the role this approval was sent for, so you cannot decide it.',
};

/** R15, R17: the audit event of the `round`-th time a step was asked (task-request-approval). */
export const approvalRequestedEventId = (step: string, round: number): string => `approval-requested:${step}:${round}`;

/**
 * R15: which round of `step` lapsed: the last one asked, as its own audit event says. A lapse
 * follows an ask, so a retried lapse step reads the same ask and counts the same round, where
 * "rounds so far + 1" would count a round again after its first try had stored it. Only a trail
 * with no ask of the step (none is known to exist) falls back to the stored count.
 */
export function lapsedRound(eventIds: Iterable<string>, step: string, roundsSoFar: number | undefined): number {
  const prefix = approvalRequestedEventId(step, 0).slice(0, -1);
  let asked = 0;
  for (const id of eventIds) {
    if (!id.startsWith(prefix)) continue;
    const round = Number(id.slice(prefix.length));
    if (Number.isSafeInteger(round) && round > asked) asked = round;
  }
  return asked > 0 ? asked : (roundsSoFar ?? 0) + 1;
}
