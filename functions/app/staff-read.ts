import type { StoredRequest } from '../domain/tombstone.ts';
import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../domain/audit.ts';
import type { RequestRecord } from '../domain/request.ts';
import { maySeeCourtOrders } from '../domain/staff.ts';
import { ForbiddenError, type Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';

/** A staff member as the audit trail names them: who, in which roles (R17). */
export const staffActor = (who: Principal): AuditActor => ({
  kind: 'staff',
  id: who.email,
  role: who.groups.join(' '),
});

/** Any staff role will do; someone signed in with none of them is refused (403, R1). */
export function requireStaffRole(who: Principal): Principal {
  if (who.groups.length === 0) throw new ForbiddenError('no staff role');
  return who;
}

/** Court orders only to the roles that handle them (R1, R12); every other request to any staff role. */
export const mayRead = (who: Principal, r: Pick<RequestRecord, 'kind'>): boolean =>
  r.kind !== 'court-order' || maySeeCourtOrders(who.groups);

/** The request, if this staff member may see it (R1, R12); a court order is refused to other roles. */
export async function readableRequest(
  deps: Pick<Deps, 'requests'>,
  who: Principal,
  requestId: string,
): Promise<StoredRequest> {
  // A tombstone stays readable to staff (R16: ids and enums only), so `getStored`, not the live `get`.
  const r = await deps.requests.getStored(requestId);
  if (!mayRead(who, r)) throw new ForbiddenError('court orders are for the roles that handle them');
  return r;
}

/**
 * R1: one staff read on the trail: who read which fields of the request and why; the fields are
 * named, never their values (R5). A read through an emailed link and one on the desk both land here.
 */
export const appendStaffRead = (
  deps: Pick<Deps, 'audit'>,
  read: { requestId: string; eventId: string; actor: AuditActor; purpose: string; fields: readonly string[] },
) =>
  deps.audit.append(read.requestId, {
    eventId: read.eventId,
    type: 'staff-read',
    actor: read.actor,
    data: { purpose: read.purpose, fields: [...read.fields] },
  });

/** R1: a signed-in staff member's read on the desk: every page view is its own event. */
export const recordStaffRead = (
  deps: Pick<Deps, 'audit'>,
  requestId: string,
  who: Principal,
  purpose: string,
  fields: string[],
) =>
  appendStaffRead(deps, { requestId, eventId: `staff-read:${randomUUID()}`, actor: staffActor(who), purpose, fields });
