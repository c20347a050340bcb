import * as z from '../domain/zod.ts';
import { IntegrityError } from '../domain/errors.ts';
import { correctionNeeds } from '../domain/correction.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/**
 * Decides what a correction needs (R6): a new email confirmed through itself, a new phone number
 * confirmed by the desk calling it, staff approval, any of these or none. Returns booleans only
 * (R5); the changes stay in the request item.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'prepare-correction', input, async ({ requestId }) => {
    const request = await deps.requests.getOf(requestId, 'correction');
    const changes = request.changes;
    if (!changes || !request.patronId) throw new IntegrityError('a correction needs changes and a matched patron');
    const patron = await deps.people.getPatron(request.patronId);
    if (!patron) throw new IntegrityError('the matched patron is gone');
    // R6: the rules are the domain's (a replaced email needs staff approval too).
    const { confirmEmail, confirmPhone, needsApproval } = correctionNeeds(changes, patron);
    await deps.requests.update(requestId, (r) =>
      r.status === 'in-progress' ? undefined : { ...r, status: 'in-progress' },
    );
    await deps.audit.append(requestId, {
      eventId: 'correction-prepared',
      type: 'correction-prepared',
      actor: { kind: 'system' },
      data: { fields: Object.keys(changes), confirmEmail, confirmPhone, needsApproval },
    });
    return { confirmEmail, confirmPhone, needsApproval };
  });

export const handler = lambdaEntry(createHandler);
