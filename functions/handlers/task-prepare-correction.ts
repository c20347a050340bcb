import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { isNewPhone } from '../domain/phone.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.strictObject({ requestId: z.uuid() });

/** R6: the fields whose change needs the privacy officer's approval (a document may be looked at, never kept). */
/**
 * R6: like a name, a new username waits for staff approval: it is the name the patron signs in with,
 * so staff check it is not another patron's login and not someone else's name before any system is changed.
 */
const NEEDS_APPROVAL = ['firstName', 'lastName', 'address', 'dateOfBirth', 'username'] as const;

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
    const confirmEmail =
      changes.email !== undefined && changes.email.toLowerCase() !== (patron.email ?? '').toLowerCase();
    // R6: the same number in another format is not a new number, so there is nothing to call.
    const confirmPhone = changes.phone !== undefined && isNewPhone(changes.phone, patron.phone);
    const needsApproval = NEEDS_APPROVAL.some((f) => changes[f] !== undefined);
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
