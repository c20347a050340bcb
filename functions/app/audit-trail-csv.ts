import { auditToCsv } from '../domain/audit-csv.ts';
import { maySeeCourtOrders } from '../domain/staff.ts';
import { withoutHoldTraces } from '../domain/staff-views.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { readableRequest, recordStaffRead } from './staff-read.ts';

/** A request's audit trail as CSV for staff; the export is itself recorded on the trail (R1, R17). */
export async function auditTrailCsv(
  deps: Pick<Deps, 'requests' | 'audit'>,
  who: Principal,
  requestId: string,
): Promise<string> {
  await readableRequest(deps, who, requestId);
  await recordStaffRead(deps, requestId, who, 'audit-export', []);
  const events = await deps.audit.list(requestId);
  // R13a: a role that may not see court orders reads a held deletion as any other waiting one.
  return auditToCsv(maySeeCourtOrders(who.groups) ? events : withoutHoldTraces(events));
}
