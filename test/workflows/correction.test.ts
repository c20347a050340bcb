import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../functions/domain/audit.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { ADA, eventually, linkIn, startTestRuntime, submit, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * The correction workflow (R6) and the reusable staff-approval step, through the real engine:
 * approve, reject, GET-only, reminder, lapse, and new-email confirmation both ways.
 */
const OFFICERS = ['privacy@library.example', 'owen.gallagher@library.example'];
const PRIYA = { id: 'P1003', cardNumber: '21234000011003', lastName: 'Natarajan', email: 'priya.natarajan@example.com' };
const SAM = { id: 'P1004', cardNumber: '21234000011004', lastName: "O'Brien", email: 'sam.obrien@example.org' };

const post = (link: string, form: Record<string, string>) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });

async function verified(rt: TestRuntime, patron: { cardNumber: string; lastName: string; email: string }, changes: Record<string, unknown>, n = 1) {
  const { status, body } = await submit(rt, { kind: 'correction', cardNumber: patron.cardNumber, lastName: patron.lastName, changes });
  expect(status).toBe(202);
  const verify = await rt.mail.waitFor(patron.email, /confirm your privacy request/, n);
  expect(verify.body.text).toContain('correct your personal details');
  expect((await post(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  return body;
}

describe('correction workflow', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R6 a phone change is applied after verification, without approval; the audit names the field, not the value', async () => {
    const body = await verified(rt, ADA, { phone: '+1 203 555 0199' });
    const notice = await rt.mail.waitFor(ADA.email, /were updated/);
    expect(notice.body.text).toContain('phone');
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.records.getPatron(ADA.id))?.phone).toBe('+1 203 555 0199');
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'correction-applied')?.data).toEqual({ fields: ['phone'] });
    expect(JSON.stringify(events)).not.toContain('555 0199');
    expect(verifyChain(events).ok).toBe(true);
    expect((await rt.deps.requests.get(body.requestId)).changes).toBeUndefined(); // R16: erased once applied
    for (const officer of OFFICERS) expect(await rt.mail.to(officer)).toHaveLength(0);
  });

  it('R6 a new email is confirmed through the new address; the patron is told at the old and the new', async () => {
    const body = await verified(rt, PRIYA, { email: 'priya.n@example.net' });
    const confirm = await rt.mail.waitFor('priya.n@example.net', /Confirm your new email address/);
    expect((await fetch(linkIn(confirm, 'act'))).status).toBe(200);
    expect((await rt.deps.records.getPatron(PRIYA.id))?.email).toBe(PRIYA.email); // a GET changes nothing
    expect((await post(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    const notice = await rt.mail.waitFor('priya.n@example.net', /were updated/);
    expect(notice.destination.to.sort()).toEqual([PRIYA.email, 'priya.n@example.net'].sort());
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.records.getPatron(PRIYA.id))?.email).toBe('priya.n@example.net');
  });

  it('R6 a new email declined by its owner: denied, and nothing changes', async () => {
    const body = await verified(rt, SAM, { email: 'not-sam@example.net' });
    const confirm = await rt.mail.waitFor('not-sam@example.net', /Confirm your new email address/);
    expect((await post(linkIn(confirm, 'act'), { decision: 'decline' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = await rt.mail.waitFor(SAM.email, /was not completed/);
    expect(told.body.text).toContain('not confirmed');
    expect((await rt.deps.records.getPatron(SAM.id))?.email).toBe(SAM.email);
    expect((await rt.deps.requests.get(body.requestId)).changes).toBeUndefined();
  });

  it('R6 a name change needs the privacy officer: the GET page shows it and changes nothing; approve applies it (R1 read audited)', async () => {
    const body = await verified(rt, ADA, { lastName: 'King' }, 2);
    const ask = await rt.mail.waitFor(OFFICERS[0] as string, /Decision needed on a correction/);
    for (const officer of OFFICERS) expect((await rt.mail.to(officer)).length).toBeGreaterThan(0);
    expect(ask.body.text).not.toContain('King'); // the email names the request, not the patron
    const link = linkIn(ask, 'act');
    for (let i = 0; i < 2; i++) {
      const page = await (await fetch(link)).text();
      expect(page).toContain('Lovelace');
      expect(page).toContain('King');
    }
    expect((await rt.deps.requests.get(body.requestId)).status).toBe('awaiting-approval');
    const reads = (await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'staff-read');
    expect(reads[0]?.actor).toMatchObject({ kind: 'staff', id: OFFICERS[0], role: 'privacy-officer' });

    expect((await post(link, { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.records.getPatron(ADA.id))?.lastName).toBe('King');
    // The other officer's copy is void; the used link answers 410.
    expect((await fetch(linkIn(await rt.mail.waitFor(OFFICERS[1] as string, /Decision needed/), 'act'))).status).toBe(410);
    expect((await post(link, { decision: 'approve' })).status).toBe(410);
    const decided = (await rt.deps.audit.list(body.requestId)).find((e) => e.type === 'approval-decided');
    expect(decided).toMatchObject({ actor: { id: OFFICERS[0] }, data: { step: 'correction', decision: 'approve' } });
    await rt.deps.records.updateProfile(ADA.id, { lastName: ADA.lastName }); // restore for later tests
  });

  it('a rejection needs a reason, ends the request as denied, and the patron reads the reason in plain words', async () => {
    // Priya's email on file is the one she confirmed in the test before.
    const body = await verified(rt, { ...PRIYA, email: 'priya.n@example.net' }, { dateOfBirth: '1990-01-01' });
    const ask = await rt.mail.waitFor(OFFICERS[0] as string, /Decision needed on a correction/, 2);
    const link = linkIn(ask, 'act');
    expect((await post(link, { decision: 'reject' })).status).toBe(400);
    expect((await post(link, { decision: 'reject', reason: 'Please bring proof of your date of birth to the desk.' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = await rt.mail.waitFor('priya.n@example.net', /was not completed/);
    expect(told.body.text).toContain('Please bring proof of your date of birth to the desk.');
    expect((await rt.deps.records.getPatron(PRIYA.id))?.dateOfBirth).toBe('1995-09-19');
    // The staff reason is for the requester: it is not on the audit trail.
    expect(JSON.stringify(await rt.deps.audit.list(body.requestId))).not.toContain('proof of your date of birth');
  });

  it('a link refuses a decision it does not offer, and locks after the policy\'s attempts (R7)', async () => {
    const { body } = await submit(rt, { kind: 'correction', cardNumber: SAM.cardNumber, lastName: SAM.lastName, changes: { phone: '+1 203 555 0100' } });
    const link = linkIn(await rt.mail.waitFor(SAM.email, /confirm your privacy request/, 2), 'act');
    for (let i = 0; i < 3; i++) expect((await post(link, { decision: 'approve' })).status).toBe(400);
    expect((await post(link, { decision: 'confirm' })).status).toBe(410);
    expect((await rt.deps.requests.get(body.requestId)).verification).toBeUndefined();
  });

  it('invalid values are refused at submission', async () => {
    expect((await submit(rt, { kind: 'correction', cardNumber: ADA.cardNumber, lastName: ADA.lastName, changes: { email: 'not-an-email' } })).status).toBe(400);
    expect((await submit(rt, { kind: 'correction', cardNumber: ADA.cardNumber, lastName: ADA.lastName, changes: { dateOfBirth: '2999-01-01' } })).status).toBe(400);
    expect((await submit(rt, { kind: 'correction', cardNumber: ADA.cardNumber, lastName: ADA.lastName, changes: {} })).status).toBe(400);
  });
});

describe('staff approval: reminders and lapses', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  it('a pending decision gets a reminder with a fresh link that works', async () => {
    const policy: Policy = { ...defaultPolicy, approvals: { ...defaultPolicy.approvals, remindAfterHours: 1 / 3600 } };
    rt = await startTestRuntime({ policy });
    const body = await verified(rt, ADA, { firstName: 'Augusta' });
    const reminder = await rt.mail.waitFor(OFFICERS[0] as string, /^Reminder: Decision needed/);
    expect((await post(linkIn(reminder, 'act'), { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.audit.list(body.requestId)).some((e) => e.type === 'reminder-sent')).toBe(true);
  });

  it('a decision that lapses is asked again and the privacy officer told; after the last round the request expires', async () => {
    const policy: Policy = { ...defaultPolicy, approvals: { ...defaultPolicy.approvals, linkTtlHours: 1 / 3600, maxRounds: 2 } };
    rt = await startTestRuntime({ policy });
    const body = await verified(rt, ADA, { firstName: 'Augusta' });
    const first = await rt.mail.waitFor(OFFICERS[0] as string, /A decision lapsed/, 1, 15_000);
    expect(first.body.text).toContain('fresh decision link');
    await rt.mail.waitFor(OFFICERS[0] as string, /^Decision needed/, 2, 15_000);
    const last = await rt.mail.waitFor(OFFICERS[0] as string, /A decision lapsed/, 2, 15_000);
    expect(last.body.text).toContain('closed as expired');
    await eventually(async () => ((await rt?.deps.requests.get(body.requestId))?.status === 'expired' ? true : undefined), 15_000, 'expired');
    expect((await rt.deps.records.getPatron(ADA.id))?.firstName).toBe('Ada');
  });
});
