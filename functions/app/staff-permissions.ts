import { randomUUID } from 'node:crypto';
import { mayTake, type StaffAction } from '../domain/staff.ts';
import { ForbiddenError, type Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { staffActor } from './staff-read.ts';

/** R17: the trail of refusals that concern no request yet (a desk request its maker's role may not start). */
export const STAFF_DESK_TRAIL = 'staff-desk';

/**
 * R1, R12: the signed-in staff member's role must allow `action` (domain/staff.ts); a refusal is a
 * 403 and is on the audit trail (R17): the request's, or the desk's when there is none. Who (their
 * email and `sub`) and which action; nothing of the patron (R5).
 */
export async function requireAction(
  deps: Pick<Deps, 'audit'>,
  who: Principal,
  action: StaffAction,
  requestId?: string,
): Promise<void> {
  if (mayTake(who.groups, action)) return;
  await deps.audit.append(requestId ?? STAFF_DESK_TRAIL, {
    eventId: `refused:${randomUUID()}`,
    type: 'staff-action-refused',
    actor: staffActor(who),
    data: { action, sub: who.sub },
  });
  throw new ForbiddenError(`${action} needs another role`);
}
