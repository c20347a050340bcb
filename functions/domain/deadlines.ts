import type { RequestKind, RequestRecord, RequestStatus } from './request.ts';
import type { StaffRole } from './staff.ts';

/**
 * R15 deadlines: staff are reminded before a request's due date and the privacy officer is told
 * once it has passed. Pure decisions; the scheduled `sweep-due-dates` reads the staff queue index
 * by due date, acts on what these return, and records each email as an audit event whose id
 * carries the due date: a reminder or escalation goes out once per request per due date, and a
 * changed due date (the one extension, or a clock that resumed after a pause) arms both again.
 */

const DAY_MS = 86_400_000;

/**
 * The open statuses whose deadline runs on the library's side. `verifying` and `awaiting-consent`
 * wait on the requester or the data subject: the clock is paused (R15), so neither is reminded,
 * escalated or counted overdue. (An unmatched request also rests in `verifying`, by design.)
 */
export const DUE_TRACKED_STATUSES = [
  'received',
  'awaiting-approval',
  'in-progress',
  'awaiting-staff',
  // R19: a system that has not answered is the library's to chase (the blocker re-checks, staff tasks).
  'waiting',
] as const satisfies readonly RequestStatus[];

/** R15: a request waiting on the requester has a paused clock; its stored due date moves on when it resumes. */
export const isClockPaused = (r: Pick<RequestRecord, 'status' | 'waitingSince'>): boolean =>
  r.waitingSince !== undefined || !(DUE_TRACKED_STATUSES as readonly string[]).includes(r.status);

/** Past its due date and not paused: what the `OverdueRequests` metric counts. */
export const isOverdue = (r: Pick<RequestRecord, 'status' | 'waitingSince' | 'dueAt'>, now: Date): boolean =>
  !isClockPaused(r) && Date.parse(r.dueAt) <= now.getTime();

export const reminderEventId = (dueAt: string): string => `due-reminder:${dueAt}`;
export const escalationEventId = (dueAt: string): string => `due-escalated:${dueAt}`;

/**
 * Who a request waits on: for an approval, the role that decides its current step (read from its
 * latest `approval-requested` audit event; failing that, the policy's role for its kind); for a
 * staff task (a desk check, a manual source), circulation; otherwise nobody on staff.
 */
export function waitsOn(
  r: Pick<RequestRecord, 'status' | 'kind'>,
  o: { approvalRole?: StaffRole | undefined; roles: Readonly<Record<string, StaffRole>> },
): StaffRole | undefined {
  if (r.status === 'awaiting-approval') return o.approvalRole ?? o.roles[r.kind as RequestKind] ?? 'privacy-officer';
  if (r.status === 'awaiting-staff') return 'circulation';
  return undefined;
}

export type DueAction =
  | { action: 'remind'; role: StaffRole; eventId: string; daysLeft: number }
  | { action: 'escalate'; role: 'privacy-officer'; eventId: string; daysOverdue: number };

export interface DueDecisionInput {
  request: Pick<RequestRecord, 'status' | 'waitingSince' | 'dueAt'>;
  now: Date;
  /** The policy's `deadlines.remindBeforeDays`; 0 sends no reminder. */
  remindBeforeDays: number;
  /** Who the request waits on (`waitsOn`), or undefined: then there is nobody to remind. */
  waitingOn: StaffRole | undefined;
  /** The audit event ids already in the request's trail. */
  done: ReadonlySet<string>;
}

/**
 * R15: what the sweep does for one request now. Before the due date, within `remindBeforeDays`:
 * one reminder to whoever it waits on. From the due date on: one escalation to the privacy officer
 * (and no late reminder). Nothing for a paused clock, and nothing already done for this due date.
 */
export function dueDateActions(o: DueDecisionInput): DueAction[] {
  const { request: r, now } = o;
  if (isClockPaused(r)) return [];
  const due = Date.parse(r.dueAt);
  if (Number.isNaN(due)) return [];
  const left = due - now.getTime();
  if (left <= 0) {
    const eventId = escalationEventId(r.dueAt);
    return o.done.has(eventId)
      ? []
      : [
          {
            action: 'escalate',
            role: 'privacy-officer',
            eventId,
            daysOverdue: Math.floor((now.getTime() - due) / DAY_MS),
          },
        ];
  }
  if (o.remindBeforeDays <= 0 || left > o.remindBeforeDays * DAY_MS || !o.waitingOn) return [];
  const eventId = reminderEventId(r.dueAt);
  return o.done.has(eventId)
    ? []
    : [{ action: 'remind', role: o.waitingOn, eventId, daysLeft: Math.ceil(left / DAY_MS) }];
}

/** The end of the reminder window from `now`: every request the sweep may act on is due before it. */
export const reminderHorizon = (now: Date, remindBeforeDays: number): string =>
  new Date(now.getTime() + Math.max(0, remindBeforeDays) * DAY_MS).toISOString();
