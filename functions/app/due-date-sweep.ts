import { eligibleApprovers } from '../domain/approvals.ts';
import {
  DUE_TRACKED_STATUSES,
  dueDateActions,
  isOverdue,
  reminderHorizon,
  waitsOn,
  type DueAction,
} from '../domain/deadlines.ts';
import type { RequestRecord } from '../domain/request.ts';
import { STAFF_ROLES, type StaffRole } from '../domain/staff.ts';
import type { Deps } from '../lib/deps.ts';
import type { AppMetrics } from '../lib/observability.ts';
import { dueReminderEmail, overdueEscalationEmail } from '../render/deadline-emails.ts';
import { readableMoment } from '../render/readable-time.ts';

const isStaffRole = (v: unknown): v is StaffRole =>
  typeof v === 'string' && (STAFF_ROLES as readonly string[]).includes(v);

/**
 * R15: reminds staff before a request's due date and tells the privacy officer once it has
 * passed. Deadlines are data (ARCHITECTURE.md): this reads the staff-queue index (gsi2 `STATUS#<status>`, sorted by `<dueAt>#<id>`) for each status
 * whose clock runs on the library's side, by key range up to the reminder horizon, never a scan.
 *
 * Each email is recorded as an audit event whose id carries the due date, read back before
 * sending: one reminder and one escalation per request per due date, and a changed due date (the
 * one extension, or a clock resumed after a pause) arms both again. Emits `OverdueRequests`
 * (functions/lib/observability.ts) on every run, 0 included.
 */
export async function sweepDueDates(
  deps: Deps,
  metrics: AppMetrics,
): Promise<{ reminded: number; escalated: number; overdue: number }> {
  const now = deps.clock();
  const { remindBeforeDays } = deps.policy.deadlines;
  const horizon = reminderHorizon(now, remindBeforeDays);
  const staff = new Map<StaffRole, { email: string }[]>();
  const staffIn = async (role: StaffRole) => {
    let s = staff.get(role);
    if (!s) staff.set(role, (s = await deps.records.staffWithRole(role)));
    return s;
  };
  let library: { name: string; timezone: string } | undefined;
  let reminded = 0;
  let escalated = 0;
  let overdue = 0;

  const act = async (r: RequestRecord, a: DueAction, waitingOn: StaffRole | undefined): Promise<boolean> => {
    // R12: never remind the person who made the request, nor an approver of an earlier step, to decide it.
    const recipients =
      a.action === 'remind' && r.status === 'awaiting-approval'
        ? eligibleApprovers(r, await staffIn(a.role))
        : await staffIn(a.role);
    if (recipients.length === 0) {
      deps.logger.warn('nobody holds the role to tell about a due date', { requestId: r.requestId, role: a.role });
      return false;
    }
    library ??= await deps.records.library();
    const common = {
      library: library.name,
      requestId: r.requestId,
      kind: r.kind,
      status: r.status,
      dueAt: readableMoment(r.dueAt, library.timezone),
    };
    const message =
      a.action === 'remind'
        ? dueReminderEmail({ ...common, daysLeft: a.daysLeft, role: a.role })
        : overdueEscalationEmail({ ...common, daysOverdue: a.daysOverdue, waitingOn });
    // At least once: the email, then its record. A crash between the two sends it again next run.
    for (const member of recipients) await deps.mailer.send({ to: [member.email], ...message });
    await deps.audit.append(r.requestId, {
      eventId: a.eventId,
      type: a.action === 'remind' ? 'due-date-reminder-sent' : 'due-date-escalated',
      actor: { kind: 'system' },
      data: { dueAt: r.dueAt, role: a.role, recipients: recipients.length },
    });
    return true;
  };

  for (const status of DUE_TRACKED_STATUSES) {
    for await (const page of deps.requests.dueBefore(status, horizon)) {
      for (const r of page) {
        if (isOverdue(r, now)) overdue++;
        // Cheap checks first: most of the page is neither in its reminder window nor overdue.
        if (
          dueDateActions({ request: r, now, remindBeforeDays, waitingOn: 'privacy-officer', done: new Set() })
            .length === 0
        )
          continue;
        const events = await deps.audit.list(r.requestId);
        const approvalRole = events.findLast((e) => e.type === 'approval-requested')?.data?.role;
        const waitingOn = waitsOn(r, {
          approvalRole: isStaffRole(approvalRole) ? approvalRole : undefined,
          roles: deps.policy.approvals.roles,
        });
        const done = new Set(events.map((e) => e.eventId));
        for (const a of dueDateActions({ request: r, now, remindBeforeDays, waitingOn, done })) {
          if (!(await act(r, a, waitingOn))) continue;
          if (a.action === 'remind') reminded++;
          else escalated++;
        }
      }
    }
  }
  metrics.overdueRequests(overdue);
  if (reminded + escalated > 0) deps.logger.info('due dates swept', { reminded, escalated, overdue });
  return { reminded, escalated, overdue };
}
