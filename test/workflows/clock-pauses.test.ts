import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postForm } from '../support/http.ts';
import { ADA, eventually, linkIn, startTestRuntime, submit, type TestRuntime } from '../support/runtime.ts';

/**
 * R15: the response clock pauses while a request waits on the person who must answer: the
 * verification (tested with the due dates), the data subject's consent, and the confirmation of a
 * new email address. When the answer comes, the time it waited is added to the due date, so the
 * library never loses days to a patron who reads their email late.
 */
const DAY = 86_400_000;

describe('R15 the clock pauses while the request waits on the person asked', () => {
  let rt: TestRuntime;
  let now = Date.parse('2026-11-02T15:00:00Z');
  beforeAll(async () => {
    rt = await startTestRuntime({ clock: () => new Date(now) });
  });
  afterAll(async () => rt.cleanup());

  const dueOf = async (requestId: string) => Date.parse((await rt.deps.requests.get(requestId)).dueAt);

  it('R15 R14: two days waiting on the patron’s written permission move the due date by two days', async () => {
    const { body } = await submit(rt, {
      kind: 'third-party',
      requester: { name: 'Jordan Blake', email: 'jordan.clock@lawfirm.example' },
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['personal'],
      purpose: 'A tenancy reference.',
    });
    // R14: the third party first confirms the address they typed.
    const confirm = await rt.mail.waitFor('jordan.clock@lawfirm.example', /Please confirm your email address/);
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ask = await rt.mail.waitFor(ADA.email, /Written permission asked/);
    const waiting = await eventually(async () => {
      const r = await rt.deps.requests.get(body.requestId);
      return r.status === 'awaiting-consent' && r.waitingSince ? r : undefined;
    });
    expect(waiting.waitingSince).toBe(new Date(now).toISOString());
    const before = await dueOf(body.requestId);

    now += 2 * DAY;
    expect((await postForm(linkIn(ask, 'act'), { decision: 'consent' })).status).toBe(200);
    const after = await rt.deps.requests.get(body.requestId);
    expect(after.waitingSince).toBeUndefined();
    expect(Date.parse(after.dueAt) - before).toBe(2 * DAY);
  });

  it('R15 R6: a day and a half waiting on the confirmation of a new email address moves the due date by as much', async () => {
    const { body } = await submit(rt, {
      kind: 'correction',
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName,
      changes: { email: 'ada.clock@example.net' },
    });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const confirm = await rt.mail.waitFor('ada.clock@example.net', /Confirm your new email address/);
    await eventually(async () => ((await rt.deps.requests.get(body.requestId)).waitingSince ? true : undefined));
    const before = await dueOf(body.requestId);

    now += 1.5 * DAY;
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    const after = await rt.deps.requests.get(body.requestId);
    expect(after.waitingSince).toBeUndefined();
    expect(Date.parse(after.dueAt) - before).toBe(1.5 * DAY);
  });
});
