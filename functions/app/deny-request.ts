import {
  isTerminal,
  withoutRequesterContact,
  type DenialCode,
  requesterPatronIdOf,
  contactEmailOf,
  withoutChanges,
} from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { deniedEmail } from '../render/emails.ts';
import { sendOnce } from './send-once.ts';

/**
 * Ends a request as denied and tells the requester why, in plain words: the staff member's
 * reason when one was given, else a fixed sentence for the code. Changes asked for are erased (R16).
 * Idempotent: a retry after the requester was told only erases again.
 */
export async function denyRequest(deps: Deps, requestId: string, code: DenialCode): Promise<void> {
  const request = await deps.requests.get(requestId);
  if (!isTerminal(request.status)) {
    await deps.requests.update(requestId, (r) => {
      if (isTerminal(r.status)) return undefined;
      return {
        ...withoutChanges(r),
        status: 'denied',
        denial: { code, at: deps.clock().toISOString(), ...(r.denial?.reason ? { reason: r.denial.reason } : {}) },
      };
    });
    await deps.tokens.revokeAll(requestId);
  }
  const events = await deps.audit.list(requestId);
  if (!events.some((e) => e.eventId === 'denied')) await tellRequester(deps, requestId, code);
  // R16: the third party's contact was needed only to tell them; it goes now.
  await deps.requests.update(requestId, withoutRequesterContact);
}

/** The requester is told: the patron, a guardian (never the child, R10), or a third party (R14). */
async function tellRequester(deps: Deps, requestId: string, code: DenialCode): Promise<void> {
  const current = await deps.requests.get(requestId);
  const requesterId = requesterPatronIdOf(current) ?? current.patronId;
  const patron = current.kind !== 'third-party' && requesterId ? await deps.people.getPatron(requesterId) : undefined;
  const to = contactEmailOf(current) ?? (current.kind === 'third-party' ? current.thirdParty?.email : patron?.email);
  if (to) {
    const library = await deps.records.library();
    // Faults: a retry after this email and before its event sends nothing again.
    await sendOnce(
      deps,
      { requestId, purpose: 'denied' },
      {
        to: [to],
        ...deniedEmail({
          library: library.name,
          code,
          ...(current.denial?.reason ? { reason: current.denial.reason } : {}),
        }),
      },
    );
  }
  await deps.audit.append(requestId, {
    eventId: 'denied',
    type: 'request-denied',
    actor: { kind: 'system' },
    data: { code, told: to ? 'email' : 'none' },
  });
}
