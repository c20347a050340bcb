import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { changesOf, isTerminal } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { confirmNewEmailEmail } from '../render/emails.ts';
import { readableMoment } from '../render/readable-time.ts';

const input = z.strictObject({ requestId: z.uuid(), taskToken: z.string().min(1).max(4096) });

/** R6: a new email address is confirmed through a link sent to that new address, then waits. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-email-confirmation', input, async ({ requestId, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (isTerminal(request.status)) return { requested: false };
    const newEmail = changesOf(request)?.email;
    if (!newEmail || !request.patronId) throw new IntegrityError('no new email to confirm');
    const library = await deps.records.library();
    const { secret, token } = await deps.tokens.issue({
      purpose: 'confirm-email',
      requestId,
      recipient: { kind: 'patron', id: request.patronId },
      step: 'confirm-new-email',
      decisions: ['confirm', 'decline'],
      ttlSeconds: Math.round(deps.policy.verification.linkTtlHours * 3600),
      maxAttempts: deps.policy.verification.maxAttempts,
      taskToken,
    });
    await deps.mailer.send({
      to: [newEmail],
      ...confirmNewEmailEmail({
        library: library.name,
        link: `${deps.baseUrl}/act/${secret}`,
        expiresAt: readableMoment(token.expiresAt, library.timezone),
      }),
    });
    await deps.audit.append(requestId, {
      eventId: 'new-email-confirmation-requested',
      type: 'new-email-confirmation-requested',
      actor: { kind: 'system' },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
