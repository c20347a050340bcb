import * as z from '../domain/zod.ts';
import { isTerminal } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { failureAlertEmail } from '../render/emails.ts';
import { sendOnce } from '../app/send-once.ts';

/** The error name from the Catch: an identifier like `TransientError`, never a message (R5). */
const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    error: z.catch(z.string().check(z.maxLength(200), z.regex(/^[A-Za-z0-9_.:-]*$/)), 'Unknown'),
  }),
);

/**
 * The failure path: no request is left in a state nobody can see. The request is marked failed,
 * its open links are revoked and the privacy officer is told.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'record-failure', input, async ({ requestId, error }) => {
    const current = await deps.requests.get(requestId);
    if (!isTerminal(current.status)) {
      await deps.requests.transition(requestId, 'failed', { failure: { error, at: deps.clock().toISOString() } });
      await deps.tokens.revokeAll(requestId);
    }
    const events = await deps.audit.list(requestId);
    if (!events.some((e) => e.eventId === 'failed')) {
      const officers = await deps.records.staffWithRole('privacy-officer');
      const library = await deps.records.library();
      if (officers.length > 0)
        // Faults: this path retries every error; the alert goes once whatever fails after it.
        await sendOnce(
          deps,
          { requestId, purpose: 'failed' },
          { to: officers.map((o) => o.email), ...failureAlertEmail({ library: library.name, requestId, error }) },
        );
      await deps.audit.append(requestId, {
        eventId: 'failed',
        type: 'request-failed',
        actor: { kind: 'system' },
        data: { error },
      });
    }
    return { status: 'failed' };
  });

export const handler = lambdaEntry(createHandler);
