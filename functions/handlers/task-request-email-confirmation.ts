import * as z from '../domain/zod.ts';
import { IntegrityError } from '../domain/errors.ts';
import { changesOf, isTerminal } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { confirmNewEmailEmail } from '../render/emails.ts';
import { contactConfirmationToken, pauseClock, sendPatronLink } from '../app/ask-person.ts';

const input = z.lazy(() =>
  z.strictObject({ requestId: z.uuid(), taskToken: z.string().check(z.minLength(1), z.maxLength(4096)) }),
);

/** R6: a new email address is confirmed through a link sent to that new address, then waits. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-email-confirmation', input, async ({ requestId, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (isTerminal(request.status)) return { requested: false };
    const newEmail = changesOf(request)?.email;
    if (!newEmail || !request.patronId) throw new IntegrityError('no new email to confirm');
    // R6: to the new address, which is what is being confirmed; the token names the patron, not it (R5).
    await sendPatronLink(deps, {
      requestId,
      patronId: request.patronId,
      to: newEmail,
      token: contactConfirmationToken(deps.policy, { purpose: 'confirm-email', step: 'confirm-new-email', taskToken }),
      email: confirmNewEmailEmail,
    });
    await pauseClock(deps, requestId);
    await deps.audit.append(requestId, {
      eventId: 'new-email-confirmation-requested',
      type: 'new-email-confirmation-requested',
      actor: { kind: 'system' },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
