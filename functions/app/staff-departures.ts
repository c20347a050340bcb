import { eligibleApprovers } from '../domain/approvals.ts';
import { isTerminal } from '../domain/request.ts';
import { STAFF_ROLES, type StaffRole } from '../domain/staff.ts';
import { tokenState } from '../domain/tokens.ts';
import type { Deps } from '../lib/deps.ts';
import { approvalRequestEmail } from '../render/emails.ts';
import { sendStaffTasks } from './staff-tasks.ts';

/** A person the staff list no longer names in a role. */
export interface DepartedStaff {
  email: string;
  role: StaffRole;
}

const isRole = (role: string | undefined): role is StaffRole =>
  role !== undefined && (STAFF_ROLES as readonly string[]).includes(role);

/**
 * R12: when the staff list no longer names a person in a role, their open approval links are
 * revoked (a decision through one is then refused: 410), and the step they were for goes to those
 * who hold the role now and do not have a link yet, or to the privacy officers when nobody does.
 * Each revocation and re-send is audited, by ids only. Answers how many links were revoked.
 * (A decision from someone whose sign-in no longer carries the role is refused at use anyway:
 * the group claim, signed-in-approval.ts.)
 */
export async function revokeDepartedApprovers(deps: Deps, departed: readonly DepartedStaff[]): Promise<number> {
  if (departed.length === 0) return 0;
  const gone = new Set(departed.map((d) => `${d.role}\n${d.email.toLowerCase()}`));
  const now = deps.clock();
  let revoked = 0;
  for (const token of await deps.tokens.openCallbacks()) {
    const { recipient } = token;
    if (token.purpose !== 'approve' || recipient.kind !== 'staff' || !isRole(recipient.role)) continue;
    if (!gone.has(`${recipient.role}\n${recipient.id.toLowerCase()}`)) continue;
    if (tokenState(token, now) !== 'usable' || !(await deps.tokens.revoke(token))) continue;
    revoked++;
    await deps.audit.append(token.requestId, {
      eventId: `approval-link-revoked:${token.tokenHash.slice(0, 16)}`,
      type: 'approval-link-revoked',
      actor: { kind: 'system' },
      data: { step: token.step, role: recipient.role, to: recipient.id, reason: 'left-role' },
    });
    const request = await deps.requests.get(token.requestId);
    if (isTerminal(request.status) || !token.taskToken) continue;
    let role: StaffRole = recipient.role;
    let staff = eligibleApprovers(request, await deps.records.staffWithRole(role));
    if (staff.length === 0) {
      // Nobody holds the role any more: the privacy officer decides, as for a lapsed decision (R15).
      role = 'privacy-officer';
      staff = eligibleApprovers(request, await deps.records.staffWithRole(role));
    }
    const { approvals } = deps.policy;
    // Those who already hold an emailed link to this step keep it (linkAlreadyEmailed): no second email.
    await sendStaffTasks(deps, {
      requestId: token.requestId,
      role,
      staff,
      token: {
        purpose: 'approve',
        step: token.step,
        decisions: token.decisions,
        ttlSeconds: Math.round(approvals.linkTtlHours * 3600),
        remindAfterSeconds: Math.round(approvals.remindAfterHours * 3600),
        taskToken: token.taskToken,
      },
      email: (t) => approvalRequestEmail({ ...t, requestId: token.requestId, step: token.step }),
    });
    await deps.audit.append(token.requestId, {
      eventId: `approval-resent:${token.tokenHash.slice(0, 16)}`,
      type: 'approval-resent',
      actor: { kind: 'system' },
      data: { step: token.step, role, recipients: staff.length },
    });
  }
  return revoked;
}
