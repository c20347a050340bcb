import { recordedHoldIdFor, RELEASE_ROLES, type CourtOrder, type ReleaseSignoff } from '../domain/court-order.ts';
import { ForbiddenError, type Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';

/** An order that was never submitted has no hold to release. */
export class NoHoldToReleaseError extends Error {
  override name = 'NoHoldToReleaseError';
}

/** R13: the one person has already signed off; the other sign-off must be someone else's. */
export class SecondSignoffNeededError extends Error {
  override name = 'SecondSignoffNeededError';
}

type ReleaseDeps = Pick<Deps, 'orders' | 'holds' | 'audit' | 'clock'>;

/** The role this person signs in: the first of the two that is still missing and that they hold. */
function signingRole(who: Principal, order: CourtOrder): ReleaseSignoff['role'] | undefined {
  const signed = order.releaseSignoffs ?? [];
  if (signed.some((s) => s.sub === who.sub || s.by === who.email)) return undefined;
  return RELEASE_ROLES.find((role) => who.groups.includes(role) && !signed.some((s) => s.role === role));
}

/**
 * R13: releasing a court order's legal hold needs counsel and the privacy officer, two different
 * people, each signed in. Each sign-off is on the request's trail (R17); the hold is released with
 * the second, and stays until then.
 */
export async function releaseLegalHold(deps: ReleaseDeps, who: Principal, orderId: string) {
  if (!RELEASE_ROLES.some((r) => who.groups.includes(r))) throw new ForbiddenError('not counsel or privacy officer');
  const order = await deps.orders.get(orderId);
  if (order.status !== 'submitted' || !order.holdId || !order.requestId)
    throw new NoHoldToReleaseError('no hold to release');
  const requestId = order.requestId;
  const holdId = order.holdId;

  if (!order.holdReleasedAt) {
    const role = signingRole(who, order);
    if (!role) throw new SecondSignoffNeededError('the other sign-off is someone else’s');
    const signoff: ReleaseSignoff = { role, by: who.email, sub: who.sub, at: deps.clock().toISOString() };
    const updated = await deps.orders.update(orderId, (o) =>
      signingRole(who, o) === role ? { ...o, releaseSignoffs: [...(o.releaseSignoffs ?? []), signoff] } : undefined,
    );
    await deps.audit.append(requestId, {
      eventId: `legal-hold-release-signed:${role}`,
      type: 'legal-hold-release-signed',
      actor: { kind: 'staff', id: who.email, role },
      data: { holdId, role, sub: who.sub },
    });
    const signed = updated.releaseSignoffs ?? [];
    if (!RELEASE_ROLES.every((r) => signed.some((s) => s.role === r)))
      return {
        orderId,
        hold: {
          holdId,
          status: 'active' as const,
          releaseSignoffs: signed.map((s) => ({ role: s.role, by: s.by, at: s.at })),
        },
      };
  }

  const hold = await deps.holds.release(order.patronId, holdId, who.email);
  // R13: the hold placed when the order was recorded goes with it (it may have lapsed already).
  if (await deps.holds.get(order.patronId, recordedHoldIdFor(orderId)))
    await deps.holds.release(order.patronId, recordedHoldIdFor(orderId), who.email);
  const done = await deps.orders.update(orderId, (o) =>
    o.holdReleasedAt ? undefined : { ...o, holdReleasedAt: hold.releasedAt, holdReleasedBy: hold.releasedBy },
  );
  await deps.audit.append(requestId, {
    eventId: 'legal-hold-released',
    type: 'legal-hold-released',
    actor: { kind: 'staff', id: hold.releasedBy ?? who.email, role: RELEASE_ROLES.join(' ') },
    data: { holdId: hold.holdId, signedBy: (done.releaseSignoffs ?? []).map((s) => s.role) },
  });
  return {
    orderId,
    hold: {
      holdId: hold.holdId,
      status: 'released' as const,
      releasedAt: hold.releasedAt,
      releasedBy: hold.releasedBy,
      releaseSignoffs: (done.releaseSignoffs ?? []).map((s) => ({ role: s.role, by: s.by, at: s.at })),
    },
  };
}
