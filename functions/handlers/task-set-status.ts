import * as z from 'zod';
import { isTerminal, withoutRequesterContact } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/** Only the closing moves a workflow makes on its own; others go through their own steps. */
const input = z.strictObject({ requestId: z.uuid(), status: z.enum(['completed', 'expired']) });

export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'set-status', input, async ({ requestId, status }) => {
    // R16: a closed request keeps no third party's contact or purpose (first, so a retry after the close still erases).
    const current = await deps.requests.update(requestId, withoutRequesterContact);
    // A request cancelled meanwhile stays cancelled: the requester's word wins.
    if (isTerminal(current.status)) return { status: current.status };
    await deps.requests.transition(requestId, status);
    if (status === 'expired') await deps.tokens.revokeAll(requestId);
    await deps.audit.append(requestId, { eventId: `status:${status}`, type: `request-${status}`, actor: { kind: 'system' } });
    return { status };
  });

export const handler = lambdaEntry(createHandler);
