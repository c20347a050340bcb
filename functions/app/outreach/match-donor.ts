import { isTerminal, type RequestOf } from '../../domain/request.ts';
import type { Deps } from '../../lib/deps.ts';

/** What the match step answers the workflow: a flag and a channel only (R5). */
export interface MatchAnswer {
  matched: boolean;
  channel: 'email' | 'in-person' | 'none';
}

/**
 * R20: a donor without a card is found by the email their donation record holds, by index (never a
 * scan). The typed email is erased from the request once read (R5); a match keeps the donor's id,
 * no match queues the request to close exactly when an unanswered link would (R14, R16), so the
 * answer, the status and the emails sent look the same to whoever typed the address.
 */
export async function matchDonor(
  deps: Pick<Deps, 'requests' | 'records' | 'audit' | 'clock' | 'policy'>,
  request: RequestOf<'outreach-opt-out'>,
): Promise<MatchAnswer> {
  const { requestId } = request;
  if (request.matched !== undefined) return { matched: request.matched, channel: request.matched ? 'email' : 'none' };
  const donor = request.submittedEmail ? await deps.records.findDonorByEmail(request.submittedEmail) : undefined;
  const verifyBy = new Date(deps.clock().getTime() + deps.policy.verification.linkTtlHours * 3_600_000).toISOString();
  if (!donor) await deps.requests.queueUnmatched(requestId, verifyBy);
  await deps.requests.update(requestId, (r) => {
    if (r.kind !== 'outreach-opt-out') return undefined;
    const { submittedEmail: _erased, ...rest } = r;
    return {
      ...rest,
      matched: donor !== undefined,
      verifyBy,
      status: isTerminal(r.status) ? r.status : 'verifying',
      ...(donor ? { donorId: donor.id } : {}),
    };
  });
  await deps.audit.append(requestId, {
    eventId: 'matched',
    type: donor ? 'donor-matched' : 'no-match',
    actor: { kind: 'system' },
    ...(donor ? { data: { donorId: donor.id } } : {}),
  });
  return donor ? { matched: true, channel: 'email' } : { matched: false, channel: 'none' };
}
