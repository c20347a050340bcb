import { resumeClock, type Verification } from '../../domain/request.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { Deps } from '../../lib/deps.ts';

/** Records who the requester proved to be, by their email link or at the desk, once. */
export async function recordVerification(
  deps: Pick<Deps, 'requests' | 'audit' | 'clock'>,
  token: ActionToken,
  verification: Verification,
): Promise<void> {
  // R15: the clock paused while the request waited on the requester.
  await deps.requests.update(token.requestId, (r) =>
    r.verification ? undefined : { ...resumeClock(r, deps.clock()), verification },
  );
  await deps.audit.append(token.requestId, {
    eventId: `verified:${token.step}`,
    type: 'identity-verified',
    actor:
      token.recipient.kind === 'staff'
        ? { kind: 'staff', id: token.recipient.id, role: token.recipient.role }
        : { kind: 'patron' },
    data: {
      method: verification.method,
      ...(verification.documentKind ? { documentKind: verification.documentKind } : {}),
    },
  });
}
