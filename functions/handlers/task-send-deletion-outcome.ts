import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { deletionOutcomeEmail } from '../render/emails.ts';

const input = z.strictObject({ requestId: z.uuid() });
const outcomeSchema = z.object({
  erased: z.array(z.string()),
  anonymised: z.array(z.string()),
  retained: z.array(z.object({ category: z.string(), reason: z.string() })),
});

/**
 * R8: the outcome letter, to the address captured before erasure; then that address is erased
 * from the request too (R16). Idempotent through the audit event.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'send-deletion-outcome', input, async ({ requestId }) => {
    const events = await deps.audit.list(requestId);
    const request = await deps.requests.getOf(requestId, 'deletion');
    if (!request.outcome) throw new IntegrityError('no outcome to send');
    if (!events.some((e) => e.eventId === 'outcome-sent')) {
      const outcome = outcomeSchema.parse(request.outcome);
      if (request.contactEmail) {
        const library = await deps.records.library();
        await deps.mailer.send({
          to: [request.contactEmail],
          ...deletionOutcomeEmail({ library: library.name, outcome }),
        });
      }
      await deps.audit.append(requestId, {
        eventId: 'outcome-sent',
        type: 'outcome-sent',
        actor: { kind: 'system' },
        data: { channel: request.contactEmail ? 'email' : 'status-page' },
      });
    }
    await deps.requests.updateOf(requestId, 'deletion', (r) => {
      if (!r.contactEmail) return undefined;
      const { contactEmail: _erased, ...rest } = r;
      return rest;
    });
    return { sent: true };
  });

export const handler = lambdaEntry(createHandler);
