import { describe, expect, it } from 'vitest';
import {
  DUE_TRACKED_STATUSES,
  dueDateActions,
  escalationEventId,
  isClockPaused,
  isOverdue,
  reminderEventId,
  reminderHorizon,
  waitsOn,
  type DueDecisionInput,
} from '../../functions/domain/deadlines.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { REQUEST_STATUSES, type RequestStatus } from '../../functions/domain/request.ts';

const DAY = 86_400_000;
const DUE = '2026-06-30T12:00:00.000Z';
const at = (daysBeforeDue: number) => new Date(Date.parse(DUE) - daysBeforeDue * DAY);

const decide = (o: Partial<DueDecisionInput> & { now: Date }) =>
  dueDateActions({
    request: { status: 'awaiting-approval', dueAt: DUE },
    remindBeforeDays: 5,
    waitingOn: 'privacy-officer',
    done: new Set(),
    ...o,
  });

describe('R15 due-date reminders and escalation (decisions)', () => {
  it('R15: nothing before the reminder window opens', () => {
    expect(decide({ now: at(5.01) })).toEqual([]);
    expect(decide({ now: at(30) })).toEqual([]);
  });

  it('R15: one reminder to whoever the request waits on, from remindBeforeDays before the due date', () => {
    expect(decide({ now: at(5) })).toEqual([
      { action: 'remind', role: 'privacy-officer', eventId: reminderEventId(DUE), daysLeft: 5 },
    ]);
    expect(decide({ now: at(0.5), waitingOn: 'circulation' })).toEqual([
      { action: 'remind', role: 'circulation', eventId: `due-reminder:${DUE}`, daysLeft: 1 },
    ]);
  });

  it('R15: a reminder already recorded for this due date is not sent again', () => {
    expect(decide({ now: at(2), done: new Set([reminderEventId(DUE)]) })).toEqual([]);
  });

  it('R15: from the due date on, one escalation to the privacy officer, and no late reminder', () => {
    expect(decide({ now: at(0) })).toEqual([
      { action: 'escalate', role: 'privacy-officer', eventId: escalationEventId(DUE), daysOverdue: 0 },
    ]);
    expect(decide({ now: at(-3.5), waitingOn: 'circulation' })).toEqual([
      { action: 'escalate', role: 'privacy-officer', eventId: `due-escalated:${DUE}`, daysOverdue: 3 },
    ]);
    expect(decide({ now: at(-3.5), done: new Set([escalationEventId(DUE)]) })).toEqual([]);
  });

  it('R15: a changed due date (the one extension) arms the reminder and the escalation again', () => {
    const done = new Set([reminderEventId(DUE), escalationEventId(DUE)]);
    const extended = new Date(Date.parse(DUE) + 14 * DAY).toISOString();
    const now = new Date(Date.parse(extended) - 3 * DAY);
    expect(decide({ now, done, request: { status: 'awaiting-approval', dueAt: extended } })).toEqual([
      { action: 'remind', role: 'privacy-officer', eventId: reminderEventId(extended), daysLeft: 3 },
    ]);
    expect(
      decide({
        now: new Date(Date.parse(extended) + 1),
        done,
        request: { status: 'awaiting-approval', dueAt: extended },
      })[0]?.eventId,
    ).toBe(escalationEventId(extended));
  });

  it('R15: the clock pauses while the request waits on the requester: no reminder, no escalation, not overdue', () => {
    for (const status of ['verifying', 'awaiting-consent'] as const) {
      expect(decide({ now: at(-10), request: { status, dueAt: DUE } })).toEqual([]);
      expect(isOverdue({ status, dueAt: DUE }, at(-10))).toBe(false);
    }
    // An in-person verification waits at the desk, but on the requester coming in: paused too.
    const waiting = { status: 'awaiting-staff' as const, dueAt: DUE, waitingSince: at(20).toISOString() };
    expect(isClockPaused(waiting)).toBe(true);
    expect(decide({ now: at(-10), request: waiting, waitingOn: 'circulation' })).toEqual([]);
  });

  it('R15: closed requests are never reminded, escalated or overdue', () => {
    for (const status of ['completed', 'denied', 'cancelled', 'expired', 'failed'] as const) {
      expect(decide({ now: at(-1), request: { status, dueAt: DUE } })).toEqual([]);
      expect(isOverdue({ status, dueAt: DUE }, at(-1))).toBe(false);
    }
  });

  it('R15: a request nobody on staff is waited on (received, in progress) gets no reminder but is still escalated', () => {
    expect(decide({ now: at(2), waitingOn: undefined, request: { status: 'in-progress', dueAt: DUE } })).toEqual([]);
    expect(decide({ now: at(-1), waitingOn: undefined, request: { status: 'received', dueAt: DUE } })[0]?.action).toBe(
      'escalate',
    );
  });

  it('R15: remindBeforeDays 0 sends no reminder, only the escalation', () => {
    expect(decide({ now: at(0.1), remindBeforeDays: 0 })).toEqual([]);
    expect(decide({ now: at(-0.1), remindBeforeDays: 0 })[0]?.action).toBe('escalate');
  });

  it('R15: overdue means past the due date with a running clock', () => {
    expect(isOverdue({ status: 'awaiting-approval', dueAt: DUE }, at(0.001))).toBe(false);
    expect(isOverdue({ status: 'awaiting-approval', dueAt: DUE }, at(0))).toBe(true);
    expect(isOverdue({ status: 'in-progress', dueAt: DUE }, at(-40))).toBe(true);
  });

  it('R15: the tracked statuses are the open ones whose clock runs on the library side', () => {
    const open = REQUEST_STATUSES.filter((s) => !['completed', 'denied', 'cancelled', 'expired', 'failed'].includes(s));
    expect([...DUE_TRACKED_STATUSES].sort()).toEqual(
      open.filter((s) => s !== 'verifying' && s !== 'awaiting-consent').sort(),
    );
  });

  it('R15: the index is read up to the end of the reminder window', () => {
    expect(reminderHorizon(at(5), 5)).toBe(DUE);
  });
});

describe('waitsOn (who a reminder goes to)', () => {
  const roles = defaultPolicy.approvals.roles;
  it('R15, R12: an approval waits on the role deciding its current step; without a recorded step, the role for its kind', () => {
    expect(waitsOn({ status: 'awaiting-approval', kind: 'court-order' }, { approvalRole: 'director', roles })).toBe(
      'director',
    );
    expect(waitsOn({ status: 'awaiting-approval', kind: 'correction' }, { roles })).toBe('privacy-officer');
  });

  it('R15: a staff task waits on circulation; other statuses on nobody on staff', () => {
    expect(waitsOn({ status: 'awaiting-staff', kind: 'access' }, { roles })).toBe('circulation');
    for (const status of ['received', 'verifying', 'awaiting-consent', 'in-progress', 'completed'] as RequestStatus[]) {
      expect(waitsOn({ status, kind: 'access' }, { roles }), status).toBeUndefined();
    }
  });
});
