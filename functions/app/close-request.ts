import { isTerminal, withoutRequesterContact, type RequestStatus } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';

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
  if (isTerminal(current.status)) return current.status;
  await deps.requests.transition(requestId, status);
  if (status === 'expired') await deps.tokens.revokeAll(requestId);
  await deps.audit.append(requestId, {
    eventId: `status:${status}`,
    type: `request-${status}`,
    actor: { kind: 'system' },
  });
  return status;
}
