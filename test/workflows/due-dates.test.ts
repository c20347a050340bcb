import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../functions/domain/request.ts';
import { createHandler as sweepDueDates } from '../../functions/handlers/sweep-due-dates.ts';
import { createMetrics } from '../../functions/lib/observability.ts';
import {
  CIRCULATION,
  eventually,
  OFFICERS,
  startTestRuntime,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * R15 through the local runtime: the scheduled `sweep-due-dates` runs on the runtime's timer (every
 * 100 ms here) against dynalite and the local SES, with the runtime's clock moved on. One reminder
 * before the due date, one escalation after, never two however often the sweep runs; a changed
 * due date arms both again; a paused clock gets neither; the OverdueRequests count is emitted.
 */
const DAY = 86_400_000;
const DIRECTOR = 'director@library.example';

describe('due dates: reminders and escalation (R15)', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };
  const base = Date.now();
  const due = new Date(base + 10 * DAY).toISOString();
  const ids = {
    correction: randomUUID(),
    court: randomUUID(),
    desk: randomUUID(),
    verifying: randomUUID(),
    inPerson: randomUUID(),
  };

  async function request(id: string, patch: Partial<RequestRecord>, approvalRole?: string): Promise<void> {
    const now = new Date(base).toISOString();
    await rt.deps.requests.create({
      requestId: id,
      kind: 'access',
      status: 'received',
      version: 1,
      createdAt: now,
      updatedAt: now,
      dueAt: due,
      statusKeyHash: 'c'.repeat(64),
      patronId: 'P1001',
      ...patch,
    });
    await rt.deps.audit.append(id, { eventId: 'received', type: 'request-received', actor: { kind: 'requester' } });
    if (approvalRole)
      await rt.deps.audit.append(id, {
        eventId: 'approval-requested:x:1',
        type: 'approval-requested',
        actor: { kind: 'system' },
        data: { step: 'x', role: approvalRole, round: 1 },
      });
  }

  /** Every deadline email so far, as `<subject> -> <to>`. */
  async function deadlineMail(): Promise<string[]> {
    const all: SentEmail[] = await rt.mail.all();
    return all
      .filter((e) => /^(Due in|Overdue:)/.test(e.subject))
      .map((e) => `${e.subject} -> ${e.destination.to.join(',')}`);
  }

  /** Lets the timer run the sweep several more times. */
  const sweeps = (n = 5) => new Promise((r) => setTimeout(r, 100 * n + 50));

  beforeAll(async () => {
    rt = await startTestRuntime({ clock: () => new Date(Date.now() + skew.ms) });
    await request(ids.correction, { kind: 'correction', status: 'awaiting-approval' }, 'privacy-officer');
    // R12: the director decides the court order's second step; counsel submitted it.
    await request(
      ids.court,
      { kind: 'court-order', status: 'awaiting-approval', submittedByStaff: 'counsel@library.example' },
      'director',
    );
    await request(ids.desk, {
      kind: 'guardian-access',
      status: 'awaiting-staff',
      verification: { method: 'email-link', verifiedAt: new Date(base).toISOString() },
    });
    await request(ids.verifying, { status: 'verifying' });
    await request(ids.inPerson, { status: 'awaiting-staff', waitingSince: new Date(base).toISOString() });
  });
  afterAll(async () => rt.cleanup());

  it('R15: nothing is sent before the reminder window', async () => {
    await sweeps();
    expect(await deadlineMail()).toEqual([]);
  });

  it('R15: one reminder, remindBeforeDays before the due date, to whoever the request waits on; the staff email names no patron (R1)', async () => {
    skew.ms = 7 * DAY; // 3 days before the due date
    const expected = [
      ...OFFICERS.map((to) => `Due in 3 days: privacy request ${ids.correction} -> ${to}`),
      `Due in 3 days: privacy request ${ids.court} -> ${DIRECTOR}`,
      ...CIRCULATION.map((to) => `Due in 3 days: privacy request ${ids.desk} -> ${to}`),
    ].sort();
    await eventually(async () => ((await deadlineMail()).length >= expected.length ? true : undefined));
    await sweeps();
    expect((await deadlineMail()).sort()).toEqual(expected);
    for (const e of await rt.mail.all())
      expect(`${e.subject}${e.body.text}${e.body.html}`).not.toMatch(/P1001|Lovelace|ada@example/);
  });

  it('R15: one escalation to the privacy officers once the due date has passed; no late reminder; the paused clocks get nothing', async () => {
    const before = (await deadlineMail()).length;
    skew.ms = 11 * DAY;
    const expected = [ids.correction, ids.court, ids.desk]
      .flatMap((id) => OFFICERS.map((to) => `Overdue: privacy request ${id} -> ${to}`))
      .sort();
    await eventually(async () => ((await deadlineMail()).length >= before + expected.length ? true : undefined));
    await sweeps();
    const mail = await deadlineMail();
    expect(mail.slice(before).sort()).toEqual(expected);
    expect(mail.join('\n')).not.toContain(ids.verifying);
    expect(mail.join('\n')).not.toContain(ids.inPerson);

    const events = await rt.deps.audit.list(ids.correction);
    expect((await rt.deps.audit.check(ids.correction)).ok).toBe(true);
    expect(
      events.filter((e) => e.type.startsWith('due-date-')).map((e) => [e.type, e.data?.dueAt, e.data?.recipients]),
    ).toEqual([
      ['due-date-reminder-sent', due, 2],
      ['due-date-escalated', due, 2],
    ]);
  });

  it('R15: the OverdueRequests count is the open requests past due with a running clock, 0 included', async () => {
    const seen: number[] = [];
    const metrics = createMetrics({ enabled: false });
    metrics.overdueRequests = (n: number) => void seen.push(n);
    const result = await sweepDueDates(rt.deps, metrics)();
    expect(result).toEqual({ reminded: 0, escalated: 0, overdue: 3 });
    expect(seen).toEqual([3]);
    skew.ms = 0;
    expect((await sweepDueDates(rt.deps, metrics)()).overdue).toBe(0);
    expect(seen).toEqual([3, 0]);
    skew.ms = 11 * DAY;
  });

  it('R15: after the due date changes (the one extension), the reminder and the escalation are armed again, once each', async () => {
    const newDue = new Date(Date.parse(due) + 14 * DAY).toISOString();
    await rt.deps.requests.update(ids.correction, (r) => ({ ...r, dueAt: newDue }));
    const before = (await deadlineMail()).length;

    skew.ms = 22 * DAY; // 2 days before the new due date
    await eventually(async () => ((await deadlineMail()).length >= before + 2 ? true : undefined));
    await sweeps();
    expect((await deadlineMail()).slice(before).sort()).toEqual(
      OFFICERS.map((to) => `Due in 2 days: privacy request ${ids.correction} -> ${to}`).sort(),
    );

    skew.ms = 25 * DAY;
    await eventually(async () => ((await deadlineMail()).length >= before + 4 ? true : undefined));
    await sweeps();
    expect((await deadlineMail()).slice(before + 2).sort()).toEqual(
      OFFICERS.map((to) => `Overdue: privacy request ${ids.correction} -> ${to}`).sort(),
    );
    const events = (await rt.deps.audit.list(ids.correction)).filter((e) => e.type.startsWith('due-date-'));
    expect(events.map((e) => `${e.type}@${String(e.data?.dueAt)}`)).toEqual([
      `due-date-reminder-sent@${due}`,
      `due-date-escalated@${due}`,
      `due-date-reminder-sent@${newDue}`,
      `due-date-escalated@${newDue}`,
    ]);
  });

  it('R15: a closed request is never reminded or escalated', async () => {
    await rt.deps.requests.transition(ids.court, 'completed');
    const before = (await deadlineMail()).length;
    await rt.deps.requests.update(ids.desk, (r) => ({ ...r, status: 'cancelled' }));
    skew.ms = 40 * DAY;
    await sweeps();
    expect((await deadlineMail()).slice(before)).toEqual([]);
  });
});
