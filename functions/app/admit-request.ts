import { dailyCounterExpiry, libraryDay, repeatSlot, type Admission } from '../domain/repeats.ts';
import { isTerminal, requesterPatronIdOf, type RequestKind } from '../domain/request.ts';
import { isTombstone } from '../domain/tombstone.ts';
import type { Deps } from '../lib/deps.ts';

/**
 * R7: whether a matched request goes on. A patron who already has an open request of the kind, or
 * who reached the day's cap, gets no second email: the match step closes the request quietly, the
 * way an unmatched one closes, so its public answer and status are those of any submission. The
 * slot is claimed first, so a repeat does not use up the day; a request over the cap gives it back.
 * Safe to run again for the same request (a retried step): both writes recognise it.
 */
export async function admitRequest(
  deps: Pick<Deps, 'requests' | 'records' | 'policy'>,
  request: { requestId: string; kind: RequestKind; createdAt: string; submittedByStaff?: string | undefined },
  ids: { patronId?: string | undefined; requesterPatronId?: string | undefined },
): Promise<Admission> {
  const slot = repeatSlot(request.kind, ids);
  if (!slot) return { admitted: true };
  // Staff at the desk see the patron in front of them; the cap guards a patron's inbox from strangers.
  if (request.submittedByStaff !== undefined) return admitAtDesk(deps, request, ids);
  const claim = await deps.requests.claimOpen(slot.ownerId, slot.slot, request.requestId);
  if (!claim.claimed) return { admitted: false, reason: 'repeat', openRequestId: claim.openRequestId };

  const createdAt = new Date(request.createdAt);
  const library = await deps.records.library();
  const counted = await deps.requests.countForDay(
    slot.ownerId,
    libraryDay(createdAt, library.timezone),
    request.requestId,
    deps.policy.repeats.dailyCapPerPatron,
    dailyCounterExpiry(createdAt),
  );
  if (counted) return { admitted: true };
  await deps.requests.releaseOpen(slot.ownerId, slot.slot, request.requestId);
  return { admitted: false, reason: 'daily-cap' };
}

/**
 * R7 at the desk: neither capped nor held to one open request, except for the one stale case. A desk
 * submission whose workflow did not start answered staff with an error, so they made the request
 * again; the sweep of unstarted requests (unstarted-requests.ts) starts the first one minutes later.
 * When a newer open request of the same kind about the same person exists, that one goes on and this
 * one closes quietly as its repeat, as a public form's retry does: one deletion, one report.
 */
async function admitAtDesk(
  deps: Pick<Deps, 'requests'>,
  request: { requestId: string; kind: RequestKind; createdAt: string },
  ids: { patronId?: string | undefined; requesterPatronId?: string | undefined },
): Promise<Admission> {
  if (!ids.patronId) return { admitted: true };
  const newer = (await deps.requests.listByPatron(ids.patronId)).find(
    (r) =>
      !isTombstone(r) &&
      r.requestId !== request.requestId &&
      r.kind === request.kind &&
      !isTerminal(r.status) &&
      r.createdAt > request.createdAt &&
      requesterPatronIdOf(r) === ids.requesterPatronId,
  );
  return newer ? { admitted: false, reason: 'repeat', openRequestId: newer.requestId } : { admitted: true };
}

/** R7: the audit event of a quiet close, ids only (R5). */
export function quietCloseEvent(admission: Exclude<Admission, { admitted: true }>, ownerId: string) {
  return {
    eventId: 'matched',
    type: admission.reason === 'repeat' ? 'repeat-closed-quietly' : 'daily-cap-closed-quietly',
    actor: { kind: 'system' as const },
    data: {
      patronId: ownerId,
      ...(admission.reason === 'repeat' ? { openRequestId: admission.openRequestId } : {}),
    },
  };
}

/** R7: a closing request gives its slot back, so the patron's next submission is answered again. */
export async function releaseSlot(
  deps: Pick<Deps, 'requests'>,
  r: { requestId: string; kind: RequestKind; patronId?: string | undefined; requesterPatronId?: string | undefined },
): Promise<void> {
  const slot = repeatSlot(r.kind, r);
  if (slot) await deps.requests.releaseOpen(slot.ownerId, slot.slot, r.requestId);
}
