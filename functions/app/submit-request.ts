import { newRequestRecord } from '../domain/new-request.ts';
import type { RequestInput } from '../domain/request-input.ts';
import type { Deps } from '../lib/deps.ts';
import { startRequest, workflowFor } from './start-request.ts';

/** Where a requester checks progress or cancels; the key is the only credential (stored as a hash). */
export const statusUrlOf = (requestId: string, statusKey: string): string =>
  `/api/requests/${requestId}?key=${statusKey}`;

/**
 * A request from the public form. Every submission starts a workflow, matched or not, so the answer
 * and its timing are the same whoever typed the card (R14).
 */
export async function submitRequest(
  deps: Pick<Deps, 'requests' | 'audit' | 'workflow' | 'clock' | 'policy'>,
  input: RequestInput,
): Promise<{ requestId: string; statusUrl: string }> {
  workflowFor(input.kind); // refused before anything is stored
  const { record, statusKey } = newRequestRecord(input, deps.clock(), deps.policy);
  const { requestId } = await startRequest(deps, {
    record,
    events: [
      { eventId: 'received', type: 'request-received', actor: { kind: 'requester' }, data: { kind: input.kind } },
    ],
  });
  return { requestId, statusUrl: statusUrlOf(requestId, statusKey) };
}
