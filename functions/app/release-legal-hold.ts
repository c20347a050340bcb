import { recordedHoldIdFor } from '../domain/court-order.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';

/** An order that was never submitted has no hold to release. */
export class NoHoldToReleaseError extends Error {
  override name = 'NoHoldToReleaseError';
}

/** Counsel releases a court order's legal hold (R13); the release is on the request's trail (R17). */
export async function releaseLegalHold(
  deps: Pick<Deps, 'orders' | 'holds' | 'audit'>,
  who: Principal,
  orderId: string,
) {
  const order = await deps.orders.get(orderId);
  if (order.status !== 'submitted' || !order.holdId || !order.requestId)
    throw new NoHoldToReleaseError('no hold to release');
  const hold = await deps.holds.release(order.patronId, order.holdId, who.email);
  // R13: the hold placed when the order was recorded goes with it (it may have lapsed already).
  if (await deps.holds.get(order.patronId, recordedHoldIdFor(orderId)))
    await deps.holds.release(order.patronId, recordedHoldIdFor(orderId), who.email);
  await deps.orders.update(orderId, (o) =>
    o.holdReleasedAt ? undefined : { ...o, holdReleasedAt: hold.releasedAt, holdReleasedBy: hold.releasedBy },
  );
  await deps.audit.append(order.requestId, {
    eventId: 'legal-hold-released',
    type: 'legal-hold-released',
    actor: { kind: 'counsel', id: hold.releasedBy ?? who.email, role: 'counsel' },
    data: { holdId: hold.holdId },
  });
  return {
    orderId,
    hold: { holdId: hold.holdId, status: 'released', releasedAt: hold.releasedAt, releasedBy: hold.releasedBy },
  };
}
