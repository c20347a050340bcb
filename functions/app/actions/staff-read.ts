import { appendStaffRead } from '../staff-read.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import type { Deps } from '../../lib/deps.ts';

/**
 * R1: the staff member holding this link is about to see a patron's details; the read is on the
 * record, once per link (a reload writes the same event id). `fields` name what is shown, never its value (R5).
 */
export async function recordStaffRead(
  deps: Pick<Deps, 'audit'>,
  token: ActionToken,
  purpose: string,
  fields: readonly string[],
): Promise<void> {
  await appendStaffRead(deps, {
    requestId: token.requestId,
    eventId: `staff-read:${token.tokenHash.slice(0, 16)}`,
    actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
    purpose,
    fields,
  });
}
