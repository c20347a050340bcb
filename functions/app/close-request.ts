import { isTerminal, requesterPatronIdOf, withoutRequesterContact, type RequestStatus } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { releaseSlot } from './admit-request.ts';

/**
 * Closes a request as a workflow's own last step does (completed, or expired when nobody acted in
 * time). A request cancelled meanwhile stays cancelled: the requester's word wins.
 */
export async function closeRequest(
  deps: Pick<Deps, 'requests' | 'tokens' | 'audit'>,
  requestId: string,
  status: 'completed' | 'expired',
): Promise<RequestStatus> {
  // R16: a closed request keeps no third party's contact or purpose (first, so a retry after the close still erases).
  const current = await deps.requests.update(requestId, withoutRequesterContact);
  // R7: the patron's slot for this kind is free again (also on a retry after the close below).
  const release = () => releaseSlot(deps, { ...current, requesterPatronId: requesterPatronIdOf(current) });
  // R17: the closing event is keyed, so a retry after a crash between the close and its event
  // records it then (and once), rather than finding the request closed and saying nothing.
  const recordClose = () =>
    deps.audit.append(requestId, { eventId: `status:${status}`, type: `request-${status}`, actor: { kind: 'system' } });
  if (isTerminal(current.status)) {
    await release();
    if (current.status === status) await recordClose();
    return current.status;
  }
  // R1, R17: a file for a patron with no email completes the request when a staff member records
  // handing it over (hand-over.ts), not when the workflow has sent the links: until then it waits
  // in progress (no longer cancellable: the file exists), in the queue, its detail saying so.
  if (status === 'completed' && current.handOver?.status === 'waiting') {
    await deps.audit.append(requestId, {
      eventId: 'awaiting-hand-over',
      type: 'awaiting-hand-over',
      actor: { kind: 'system' },
    });
    return current.status;
  }
  await deps.requests.transition(requestId, status);
  await release();
  if (status === 'expired') await deps.tokens.revokeAll(requestId);
  await recordClose();
  return status;
}
