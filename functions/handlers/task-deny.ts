import * as z from 'zod';
import {
  contactEmailOf,
  DENIAL_CODES,
  isTerminal,
  requesterPatronIdOf,
  withoutChanges,
  withoutRequesterContact,
} from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { deniedEmail } from '../render/emails.ts';

const input = z.strictObject({ requestId: z.uuid(), code: z.enum(DENIAL_CODES) });

/**
 * Ends a request as denied and tells the requester why, in plain words: the staff member's
 * reason when one was given, else a fixed sentence for the code. Changes asked for are erased (R16).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'deny', input, async ({ requestId, code }) => {
    const request = await deps.requests.get(requestId);
    if (!isTerminal(request.status)) {
      await deps.requests.update(requestId, (r) => {
        if (isTerminal(r.status)) return undefined;
        const rest = withoutChanges(r);
        return {
          ...rest,
          status: 'denied',
          denial: { code, at: deps.clock().toISOString(), ...(r.denial?.reason ? { reason: r.denial.reason } : {}) },
        };
      });
      await deps.tokens.revokeAll(requestId);
    }
    const events = await deps.audit.list(requestId);
    if (events.some((e) => e.eventId === 'denied')) {
      await deps.requests.update(requestId, withoutRequesterContact);
      return { status: 'denied' };
    }
    const current = await deps.requests.get(requestId);
    // The requester is told: the patron, a guardian (never the child, R10), or a third party (R14).
    const requesterId = requesterPatronIdOf(current) ?? current.patronId;
    const patron =
      current.kind !== 'third-party' && requesterId ? await deps.records.getPatron(requesterId) : undefined;
    const to = contactEmailOf(current) ?? (current.kind === 'third-party' ? current.thirdParty?.email : patron?.email);
    if (to) {
      const library = await deps.records.library();
      await deps.mailer.send({
        to: [to],
        ...deniedEmail({
          library: library.name,
          code,
          ...(current.denial?.reason ? { reason: current.denial.reason } : {}),
        }),
      });
    }
    await deps.audit.append(requestId, {
      eventId: 'denied',
      type: 'request-denied',
      actor: { kind: 'system' },
      data: { code, told: to ? 'email' : 'none' },
    });
    // R16: the third party's contact was needed only to tell them; it goes now.
    await deps.requests.update(requestId, withoutRequesterContact);
    return { status: 'denied' };
  });

export const handler = lambdaEntry(createHandler);
