import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../functions/domain/errors.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import type { Mailer } from '../../functions/adapters/ses-mailer.ts';
import { deniedEmail } from '../../functions/render/emails.ts';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { downloadAtDesk, handOverAtDesk } from '../support/desk.ts';
import { postForm } from '../support/http.ts';
import {
  CIRCULATION,
  DEMO_DATASET,
  deniedEvent,
  DESK,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';
import { answerManualSystem, RECORDS_AND_MANUAL, startRuntimeWithSystems } from '../support/systems.ts';

/**
 * The guardian-access workflow (workflows/guardian-access.asl.json) on aws-local-stepfunctions
 * with the real handlers, dynalite and the local SES: R9 (under 13), R10 (13 to 17: the child's
 * own consent, by email or in person; decline; no answer), R11 (18 and over; not linked), and the
 * desk task that records a guardian's link (R4). Today is the machine's date unless a test moves
 * the runtime's clock to a birthday.
 */

const GRACE = {
  id: 'P1016',
  cardNumber: '21234000011016',
  lastName: 'Okafor',
  firstName: 'Grace',
  email: 'grace.okafor@example.com',
};
const CHIDI = { id: 'P1017', cardNumber: '21234000011017', lastName: 'Okafor', firstName: 'Chidi' }; // 2014-02-10, no email
const NGOZI = {
  id: 'P1018',
  cardNumber: '21234000011018',
  lastName: 'Okafor',
  firstName: 'Ngozi',
  email: 'ngozi.okafor@example.org',
}; // 2013-04-18
const EMEKA = {
  id: 'P1019',
  cardNumber: '21234000011019',
  lastName: 'Okafor',
  firstName: 'Emeka',
  email: 'emeka.okafor@example.com',
}; // 2008-06-15
const DAVID = {
  id: 'P1013',
  cardNumber: '21234000011013',
  lastName: 'Chen',
  firstName: 'David',
  email: 'david.chen@example.com',
};
const ETHAN = {
  id: 'P1015',
  cardNumber: '21234000011015',
  lastName: 'Chen',
  firstName: 'Ethan',
  email: 'ethan.chen@example.org',
}; // 2009-03-02: 17
const MARIA = {
  id: 'P1010',
  cardNumber: '21234000011010',
  lastName: 'Rivera',
  firstName: 'Maria',
  email: 'maria.rivera@example.org',
};
const MATEO = { id: 'P1012', cardNumber: '21234000011012', lastName: 'Rivera', firstName: 'Mateo' }; // 2011-06-30: 15, no email
const SOFIA = { id: 'P1011', cardNumber: '21234000011011', lastName: 'Rivera', firstName: 'Sofia' }; // 2016-03-14: 10

type Person = { cardNumber: string; lastName: string; firstName?: string; email?: string; id?: string };
const ident = (p: Person) => ({ cardNumber: p.cardNumber, lastName: p.lastName });

/** A runtime whose clock reads `at` now and runs on from there (a birthday in the library's time zone). */
const clockAt = (at: string) => {
  const shift = Date.parse(at) - Date.now();
  return () => new Date(Date.now() + shift);
};

/** Runs `action`, then waits for the next email to `address` whose subject matches. */
async function nextMail(
  rt: TestRuntime,
  address: string,
  subject: RegExp,
  action: () => Promise<unknown>,
): Promise<SentEmail> {
  const before = (await rt.mail.to(address)).filter((e) => subject.test(e.subject)).length;
  await action();
  return rt.mail.waitFor(address, subject, before + 1);
}

/** The guardian submits and confirms through the link sent to their OWN email (R7, R11). */
async function askAndVerify(rt: TestRuntime, guardian: Person & { email: string }, child: Person) {
  let body = { requestId: '', status: '', statusUrl: '' };
  const verify = await nextMail(rt, guardian.email, /confirm your privacy request/, async () => {
    const res = await submit(rt, { kind: 'guardian-access', guardian: ident(guardian), child: ident(child) });
    expect(res.status).toBe(202);
    body = res.body;
  });
  expect(verify.body.text).toContain("as the child's parent or guardian");
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  return body;
}

async function approve(rt: TestRuntime, requestId: string, decision: Record<string, string> = { decision: 'approve' }) {
  const ask = await eventually(
    async () =>
      (await rt.mail.to(OFFICER)).find(
        (e) => /Decision needed on a guardian's request/.test(e.subject) && e.body.text?.includes(requestId),
      ),
    10_000,
    'approval email',
  );
  const link = approvalLinkIn(ask);
  const page = await (await openApproval(rt, link)).text();
  return { page, res: await decideApproval(rt, link, decision) };
}

const download = async (email: SentEmail) => {
  const res = await fetch(linkIn(email, 'download'));
  expect(res.status).toBe(200);
  return res.text();
};

describe('guardian access (today)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R9 a child under 13: the guardian verifies through their own email, the privacy officer approves, the guardian gets a report of the allowed categories only', async () => {
    const body = await askAndVerify(rt, GRACE, CHIDI);
    const { page, res } = await approve(rt, body.requestId);
    // The approver sees who asks, for whom, the band and the rule; the read is audited (R1).
    expect(page).toContain('Grace Okafor');
    expect(page).toContain('Chidi Okafor');
    expect(page).toContain('(R9)');
    // Nothing reached the guardian before approval: only the verification email.
    expect((await rt.mail.to(GRACE.email)).map((e) => e.subject)).toEqual([
      expect.stringMatching(/confirm your privacy request/),
    ]);
    expect(res.status).toBe(200);

    const ready = await rt.mail.waitFor(GRACE.email, /child's library records you asked for are ready/);
    const report = await download(ready);
    expect(report).toContain('Library records of Chidi Okafor');
    expect(report).toContain('Percy Jackson and the Olympians: The Lightning Thief');
    expect(report).toContain('Summer Reading Challenge Kickoff');
    // Only the categories the policy lets a guardian see (credentials are not among them), and no one else's records.
    expect(report).not.toContain('Login credentials');
    expect(report).not.toContain('Children of Blood and Bone');
    await waitForStatus(rt, body.statusUrl, 'completed');

    const request = await rt.deps.requests.getOf(body.requestId, 'guardian-access');
    expect(request).toMatchObject({
      patronId: CHIDI.id,
      requesterPatronId: GRACE.id,
      guardianLink: 'linked',
      ageBand: 'child',
    });
    expect(request.submitted).toBeUndefined();
    expect(request.submittedChild).toBeUndefined(); // R5: typed identities erased once matched
    const events = await rt.deps.audit.list(body.requestId);
    // R2: the disclosure carries its legal basis.
    expect(events.find((e) => e.type === 'disclosure')?.data).toMatchObject({
      legalBasis: 'guardian',
      rule: 'R9',
      recipient: 'guardian',
    });
    expect(events.map((e) => e.type)).not.toContain('consent-requested'); // R9: no consent under 13
    expect(events.some((e) => e.type === 'staff-read' && e.actor.id === OFFICER)).toBe(true);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
    expect(JSON.stringify(events)).not.toContain(GRACE.email);
    expectNoPersonalData(rt, executionOf('guardian-access', body.requestId), [GRACE, CHIDI]);
  });

  it("R10 a child of 17: asked through their own email, never the guardian's; a decline denies, and the guardian learns no reason", async () => {
    const body = await askAndVerify(rt, DAVID, ETHAN);
    // R7: the guardian's verification never went to the child.
    expect((await rt.mail.to(ETHAN.email)).some((e) => /confirm your privacy request/.test(e.subject))).toBe(false);
    const ask = await rt.mail.waitFor(ETHAN.email, /A parent or guardian asked to see your library records/);
    expect(ask.body.text).toContain('Library records');
    expect(await rt.mail.to(DAVID.email)).toHaveLength(1); // the guardian is never the channel
    await waitForStatus(rt, body.statusUrl, 'awaiting-consent');

    const link = linkIn(ask, 'act');
    const page = await (await fetch(link)).text();
    expect(page).toContain('name="decision" value="consent"');
    expect(page).toContain('name="decision" value="decline"');
    expect(page).not.toContain('name="reason"'); // the child's reasons are never asked for
    expect((await postForm(link, { decision: 'approve' })).status).toBe(400); // not offered here
    // Even a reason sent anyway is never kept or passed on.
    expect((await postForm(link, { decision: 'decline', reason: 'I do not want Dad to see my books' })).status).toBe(
      200,
    );

    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = await rt.mail.waitFor(DAVID.email, /was not completed/);
    expect(told.body.text).toContain(deniedEmail({ library: 'x', code: 'consent-declined' }).text?.split('\n')[0]);
    expect(told.body.text).not.toContain('Dad');
    expect(told.body.text).not.toMatch(/declin/i);
    const request = await rt.deps.requests.getOf(body.requestId, 'guardian-access');
    expect(request.consent).toMatchObject({ decision: 'decline', channel: 'email' });
    expect(JSON.stringify(request)).not.toContain('Dad');
    const events = await rt.deps.audit.list(body.requestId);
    expect(JSON.stringify(events)).not.toContain('Dad');
    expect(events.find((e) => e.type === 'consent-declined')?.actor).toEqual({ kind: 'patron' });
    expect(events.map((e) => e.type)).not.toContain('approval-requested');
    expect(events.map((e) => e.type)).not.toContain('disclosure');
    expect((await rt.mail.to(OFFICER)).some((e) => e.body.text?.includes(body.requestId))).toBe(false);
    expectNoPersonalData(rt, executionOf('guardian-access', body.requestId), [DAVID, ETHAN]);
  });

  it('R10 a child with no email on file: circulation staff ask in person (away from the guardian) and record the answer, named; then approval and the report', async () => {
    const body = await askAndVerify(rt, MARIA, MATEO);
    const task = await rt.mail.waitFor(DESK, /In-person consent needed/);
    expect(task.body.text).toContain(body.requestId);
    expect(task.body.text).not.toContain('Mateo'); // the email names the request, not the child
    const link = linkIn(task, 'act');
    const page = await (await fetch(link)).text();
    expect(page).toContain('Mateo Rivera');
    expect(page).toContain('away from the parent or guardian');
    expect(page).not.toContain('name="reason"');
    expect((await statusOf(rt, body.statusUrl)).status).toBe('awaiting-consent');
    expect((await postForm(link, { decision: 'consent' })).status).toBe(200);
    // The other desk copies are void.
    expect(
      (await fetch(linkIn(await rt.mail.waitFor(CIRCULATION[1] as string, /In-person consent needed/), 'act'))).status,
    ).toBe(410);

    const { page: approval } = await approve(rt, body.requestId);
    expect(approval).toContain('(R10)');
    expect(approval).toContain('in person, recorded by library staff');
    const report = await download(await rt.mail.waitFor(MARIA.email, /are ready/));
    expect(report).toContain('The Hunger Games');
    expect(report).toContain('damaged item: broken DVD case'); // payments are a guardian category
    expect(report).toContain('The child agreed on');
    await waitForStatus(rt, body.statusUrl, 'completed');
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'consent-given')).toMatchObject({
      actor: { kind: 'staff', id: DESK, role: 'circulation' },
      data: { channel: 'in-person' },
    });
    expect(events.find((e) => e.type === 'staff-read' && e.data?.purpose === 'in-person-consent')?.actor.id).toBe(DESK);
    expect(events.find((e) => e.type === 'disclosure')?.data).toMatchObject({ legalBasis: 'guardian', rule: 'R10' });
  });

  it('R11 not linked to the card: denied after verification, invited to bring documents (not kept, R4); the desk records the link and the guardian may ask again', async () => {
    const deniedBefore = (await rt.mail.to(DAVID.email)).filter((e) => /was not completed/.test(e.subject)).length;
    const body = await askAndVerify(rt, DAVID, SOFIA);
    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = await rt.mail.waitFor(DAVID.email, /was not completed/, deniedBefore + 1);
    expect(told.body.text).toContain('do not show you as a parent or guardian');
    expect(told.body.text).toContain('visit the library');
    expect(told.body.text).toContain('no copy is kept');
    expect(told.body.text).not.toContain('Sofia');

    const task = await rt.mail.waitFor(DESK, /Guardian link to check at the desk/);
    expect(task.body.text).toContain(body.requestId);
    expect(task.body.text).not.toContain('Rivera');
    const link = linkIn(task, 'act');
    const page = await (await fetch(link)).text();
    expect(page).toContain('David Chen');
    expect(page).toContain('Sofia Rivera');
    expect(page).toContain('do not copy, scan or keep it');
    expect((await postForm(link, { decision: 'done' })).status).toBe(400); // which document is required
    expect((await postForm(link, { decision: 'done', documentKind: 'photo-id' })).status).toBe(400); // an ID does not prove a relationship
    expect((await rt.deps.records.getPatron(SOFIA.id))?.guarantorIds).toEqual([MARIA.id]);
    expect((await postForm(link, { decision: 'done', documentKind: 'birth-certificate' })).status).toBe(200);

    await rt.mail.waitFor(DAVID.email, /You are now linked/);
    expect((await rt.deps.records.getPatron(SOFIA.id))?.guarantorIds).toEqual([MARIA.id, DAVID.id]);
    await rt.engine.whenDone(executionOf('guardian-access', body.requestId));
    expect(await rt.engine.status(executionOf('guardian-access', body.requestId))).toBe('SUCCEEDED');
    expect((await rt.deps.requests.get(body.requestId)).status).toBe('denied'); // the request itself stays denied
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'request-denied')?.data).toMatchObject({ code: 'not-linked' });
    // R4: who checked, when and what kind of document; never the document.
    expect(events.find((e) => e.type === 'guardian-linked')).toMatchObject({
      actor: { kind: 'staff', id: DESK, role: 'circulation' },
      data: { documentKind: 'birth-certificate', patronId: SOFIA.id, requesterPatronId: DAVID.id },
    });
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true);

    // Now linked: a new request goes on to approval (R9).
    const again = await askAndVerify(rt, DAVID, SOFIA);
    await eventually(
      async () => ((await rt.deps.requests.get(again.requestId)).status === 'awaiting-approval' ? true : undefined),
      10_000,
      'awaiting approval',
    );
  });

  it('R11 a child card that matches no patron: the same denial as not linked, and no desk task', async () => {
    const deskTasks = async () => (await rt.mail.to(DESK)).filter((e) => /Guardian link/.test(e.subject)).length;
    const before = await deskTasks();
    const body = await askAndVerify(rt, GRACE, { cardNumber: '21234000099999', lastName: 'Okafor' });
    await waitForStatus(rt, body.statusUrl, 'denied');
    await rt.engine.whenDone(executionOf('guardian-access', body.requestId));
    expect(await rt.engine.status(executionOf('guardian-access', body.requestId))).toBe('SUCCEEDED');
    const told = (await rt.mail.to(GRACE.email)).filter((e) => /was not completed/.test(e.subject)).at(-1);
    expect(told?.body.text).toBe(
      deniedEmail({ library: (await rt.deps.records.library()).name, code: 'not-linked' }).text,
    );
    expect(await deskTasks()).toBe(before);
    expect((await rt.deps.requests.getOf(body.requestId, 'guardian-access')).guardianLink).toBe('unknown-child');
  });

  it('a guardian card and name that match no patron: ends quietly, nothing is sent, and the status reads like any other', async () => {
    const before = (await rt.mail.all()).length;
    const { status, body } = await submit(rt, {
      kind: 'guardian-access',
      guardian: { cardNumber: GRACE.cardNumber, lastName: 'Smith' },
      child: ident(CHIDI),
    });
    expect(status).toBe(202);
    await rt.engine.whenDone(executionOf('guardian-access', body.requestId));
    expect(await rt.engine.status(executionOf('guardian-access', body.requestId))).toBe('SUCCEEDED');
    expect((await rt.mail.all()).length).toBe(before);
    expect((await statusOf(rt, body.statusUrl)).status).toBe('verifying');
    const request = await rt.deps.requests.getOf(body.requestId, 'guardian-access');
    expect(request.matched).toBe(false);
    expect(request.patronId).toBeUndefined();
    expect(request.submitted).toBeUndefined();
    expect(request.submittedChild).toBeUndefined();
  });

  it('a rejection needs a reason; the guardian reads it and receives nothing else', async () => {
    const deniedBefore = (await rt.mail.to(GRACE.email)).filter((e) => /was not completed/.test(e.subject)).length;
    const body = await askAndVerify(rt, GRACE, CHIDI);
    const ask = await eventually(
      async () => (await rt.mail.to(OFFICER)).find((e) => e.body.text?.includes(body.requestId)),
      10_000,
      'approval email',
    );
    const link = approvalLinkIn(ask);
    expect((await decideApproval(rt, link, { decision: 'reject' })).status).toBe(400);
    expect(
      (
        await decideApproval(rt, link, {
          decision: 'reject',
          reason: 'Please come to the desk to discuss this request.',
        })
      ).status,
    ).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = (await rt.mail.waitFor(GRACE.email, /was not completed/, deniedBefore + 1)).body.text ?? '';
    expect(told).toContain('Please come to the desk to discuss this request.');
    expect(told).not.toContain('Percy Jackson');
    expect((await rt.deps.audit.list(body.requestId)).map((e) => e.type)).not.toContain('disclosure');
  });

  it('refuses bad input: a missing child, a malformed card, unknown fields', async () => {
    expect((await submit(rt, { kind: 'guardian-access', guardian: ident(GRACE) })).status).toBe(400);
    expect(
      (
        await submit(rt, {
          kind: 'guardian-access',
          guardian: ident(GRACE),
          child: { cardNumber: 'abc', lastName: 'Okafor' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await submit(rt, {
          kind: 'guardian-access',
          guardian: ident(GRACE),
          child: ident(CHIDI),
          childDateOfBirth: '2014-02-10',
        })
      ).status,
    ).toBe(400);
    expect(
      (await submit(rt, { kind: 'guardian-access', cardNumber: GRACE.cardNumber, lastName: GRACE.lastName })).status,
    ).toBe(400);
  });
});

describe('guardian access, each on its own runtime: a birthday (the clock moved to the day, in the library’s time zone), a short consent link, a guardian with no email', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  it('R14 R16 a guardian whose own card matches no patron: nothing is sent, and the request closes as expired when a link would lapse', async () => {
    rt = await startTestRuntime({
      policy: { ...defaultPolicy, verification: { ...defaultPolicy.verification, linkTtlHours: 1 / 3600 } },
    });
    const before = (await rt.mail.all()).length;
    const res = await submit(rt, {
      kind: 'guardian-access',
      guardian: { cardNumber: GRACE.cardNumber, lastName: 'Smith' },
      child: ident(SOFIA),
    });
    expect(res.status).toBe(202);
    await waitForStatus(rt, res.body.statusUrl, 'expired', 10_000);
    // The status page derives "expired" from the time; the deadline sweep then closes the record itself.
    const r = rt;
    const request = await eventually(
      async () => {
        const stored = await r.deps.requests.get(res.body.requestId);
        return stored.status === 'expired' ? stored : undefined;
      },
      10_000,
      'closed by the sweep',
    );
    expect(request).toMatchObject({ matched: false, status: 'expired' });
    expect(request.patronId).toBeUndefined(); // the child is never looked up for an unmatched guardian
    expect((await rt.deps.requests.closedBefore('9999')).map((c) => c.requestId)).toContain(res.body.requestId);
    expect((await rt.mail.all()).length).toBe(before);
  });

  it("R10 exactly 13 today: the child's consent is asked through the child's own email; consent → approval → report", async () => {
    rt = await startTestRuntime({ clock: clockAt('2026-04-18T16:00:00Z') }); // noon in New York on Ngozi's 13th birthday
    const r = rt;
    const body = await askAndVerify(r, GRACE, NGOZI);
    const ask = await r.mail.waitFor(NGOZI.email, /A parent or guardian asked to see your library records/);
    expect((await r.deps.requests.getOf(body.requestId, 'guardian-access')).ageBand).toBe('consent-age');
    // Before consent and approval the guardian has only the verification email.
    expect(await r.mail.to(GRACE.email)).toHaveLength(1);
    expect((await postForm(linkIn(ask, 'act'), { decision: 'consent' })).status).toBe(200);
    expect(await r.mail.to(GRACE.email)).toHaveLength(1);
    const { page } = await approve(r, body.requestId);
    expect(page).toContain('Given through their own email on file');
    const report = await download(await r.mail.waitFor(GRACE.email, /are ready/));
    expect(report).toContain('Children of Blood and Bone');
    expect(report).toContain('Legendborn');
    await waitForStatus(r, body.statusUrl, 'completed');
    const events = await r.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'consent-given')).toMatchObject({
      actor: { kind: 'patron' },
      data: { channel: 'email' },
    });
    expect(events.find((e) => e.type === 'disclosure')?.data).toMatchObject({ legalBasis: 'guardian', rule: 'R10' });
    expectNoPersonalData(r, executionOf('guardian-access', body.requestId), [GRACE, NGOZI]);
    await r.engine.whenDone(executionOf('guardian-access', body.requestId));
  });

  it('R9 the evening before the 13th birthday in New York (already the birthday in UTC): still 12, no consent asked', async () => {
    rt = await startTestRuntime({ clock: clockAt('2026-04-18T03:00:00Z') }); // 2026-04-17 23:00 EDT
    const r = rt;
    const body = await askAndVerify(r, GRACE, NGOZI);
    await eventually(
      async () => ((await r.deps.requests.get(body.requestId)).status === 'awaiting-approval' ? true : undefined),
      10_000,
      'awaiting approval',
    );
    expect((await r.deps.requests.getOf(body.requestId, 'guardian-access')).ageBand).toBe('child');
    expect(await r.mail.to(NGOZI.email)).toHaveLength(0);
    await eventually(async () =>
      (await r.deps.audit.list(body.requestId)).some((e) => e.type === 'approval-requested') ? true : undefined,
    );
  });

  it('R11 exactly 18 today: refused with a clear reason after the guardian verified; the adult is not asked', async () => {
    rt = await startTestRuntime({ clock: clockAt('2026-06-15T16:00:00Z') }); // Emeka's 18th birthday
    const r = rt;
    const body = await askAndVerify(r, GRACE, EMEKA);
    await waitForStatus(r, body.statusUrl, 'denied');
    const told = await r.mail.waitFor(GRACE.email, /was not completed/);
    expect(told.body.text).toContain('the card holder is an adult');
    expect(await r.mail.to(EMEKA.email)).toHaveLength(0);
    expect((await r.mail.to(OFFICER)).length).toBe(0);
    expect((await r.deps.requests.getOf(body.requestId, 'guardian-access')).ageBand).toBe('adult');
    expect((await deniedEvent(r, body.requestId)).data).toMatchObject({
      code: 'adult',
    });
    await r.engine.whenDone(executionOf('guardian-access', body.requestId));
  });

  it('R7 R4 a guardian with no email on file is verified in person as themselves, never as the child, and the report goes to the desk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-dataset-'));
    try {
      const dataset = JSON.parse(await readFile(DEMO_DATASET, 'utf8')) as { patrons: { id: string; email?: string }[] };
      for (const p of dataset.patrons) if (p.id === MARIA.id) delete p.email;
      const datasetPath = join(dir, 'dataset.json');
      await writeFile(datasetPath, JSON.stringify(dataset));
      rt = await startTestRuntime({ datasetPath });
      const r = rt;
      const { body } = await submit(r, { kind: 'guardian-access', guardian: ident(MARIA), child: ident(SOFIA) });
      const task = await r.mail.waitFor(DESK, /In-person verification needed/);
      const page = await (await fetch(linkIn(task, 'act'))).text();
      expect(page).toContain('Maria Rivera');
      expect(page).not.toContain('Sofia');
      expect((await statusOf(r, body.statusUrl)).status).toBe('verifying');
      expect((await postForm(linkIn(task, 'act'), { decision: 'done', documentKind: 'photo-id' })).status).toBe(200);
      await approve(r, body.requestId);
      const desk = await r.mail.waitFor(DESK, /Print and hand over/);
      // R1, R17: downloaded on the staff member's own link, then handed over: the request completes.
      expect(await (await downloadAtDesk(linkIn(desk, 'download'))).text()).toContain('The Wild Robot');
      await handOverAtDesk(r, body.requestId);
      await waitForStatus(r, body.statusUrl, 'completed');
      expect((await r.deps.requests.get(body.requestId)).verification).toMatchObject({
        method: 'in-person',
        verifiedByStaffId: DESK,
      });
      expect((await r.deps.audit.list(body.requestId)).find((e) => e.type === 'disclosure')?.data).toMatchObject({
        legalBasis: 'guardian',
        channel: 'in-person',
      });
      await r.engine.whenDone(executionOf('guardian-access', body.requestId));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('R11 the desk task expires unused: nothing is linked, the request stays denied, the task link answers 410', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      minors: { ...defaultPolicy.minors, guardianLinkTaskTtlHours: 1 / 3600 },
    };
    rt = await startTestRuntime({ policy });
    const r = rt;
    const body = await askAndVerify(r, DAVID, SOFIA);
    const task = await r.mail.waitFor(DESK, /Guardian link to check at the desk/);
    await eventually(async () =>
      (await r.deps.audit.list(body.requestId)).some((e) => e.type === 'guardian-link-task-created') ? true : undefined,
    );
    await r.engine.whenDone(executionOf('guardian-access', body.requestId));
    expect(await r.engine.status(executionOf('guardian-access', body.requestId))).toBe('SUCCEEDED');
    expect((await postForm(linkIn(task, 'act'), { decision: 'done', documentKind: 'birth-certificate' })).status).toBe(
      410,
    );
    expect((await r.deps.records.getPatron(SOFIA.id))?.guarantorIds).toEqual([MARIA.id]);
    expect((await r.deps.requests.get(body.requestId)).status).toBe('denied');
    expect((await r.deps.audit.list(body.requestId)).map((e) => e.type)).not.toContain('guardian-linked');
  });

  it('a delivery that keeps failing: the request is failed, the privacy officer is told, and the guardian receives nothing', async () => {
    const broken = (m: Mailer): Mailer => ({
      async send(email) {
        if (/are ready/.test(email.subject)) throw new TransientError('SES unavailable');
        return m.send(email);
      },
    });
    rt = await startTestRuntime({ wrapMailer: broken });
    const r = rt;
    const body = await askAndVerify(r, GRACE, CHIDI);
    await approve(r, body.requestId);
    const alert = await r.mail.waitFor(OFFICER, /A privacy request failed/, 1, 15_000);
    expect(alert.body.text).toContain(body.requestId);
    expect(alert.body.text).not.toContain('Okafor');
    await waitForStatus(r, body.statusUrl, 'failed', 15_000);
    await r.engine.whenDone(executionOf('guardian-access', body.requestId));
    expect(await r.engine.status(executionOf('guardian-access', body.requestId))).toBe('FAILED');
    expect(await r.mail.to(GRACE.email)).toHaveLength(1); // the verification email only
    expect((await r.deps.audit.list(body.requestId)).map((e) => e.type)).not.toContain('disclosure');
  });

  it('R10 no answer in time: the consent link expires, the request is denied, and the guardian reads the same words as for a decline', async () => {
    const policy: Policy = { ...defaultPolicy, consent: { linkTtlHours: 1 / 3600 } };
    rt = await startTestRuntime({ policy });
    const r = rt;
    const body = await askAndVerify(r, DAVID, ETHAN);
    const ask = await r.mail.waitFor(ETHAN.email, /A parent or guardian asked/);
    await waitForStatus(r, body.statusUrl, 'denied', 15_000);
    const told = await r.mail.waitFor(DAVID.email, /was not completed/);
    const library = (await r.deps.records.library()).name;
    expect(told.body.text).toBe(deniedEmail({ library, code: 'consent-not-given' }).text);
    expect(deniedEmail({ library, code: 'consent-not-given' }).text).toBe(
      deniedEmail({ library, code: 'consent-declined' }).text,
    );
    expect((await postForm(linkIn(ask, 'act'), { decision: 'consent' })).status).toBe(410);
    expect((await deniedEvent(r, body.requestId)).data).toMatchObject({
      code: 'consent-not-given',
    });
    await r.engine.whenDone(executionOf('guardian-access', body.requestId));
  });
});

/** R9 R18 R19: the guardian's report from every system holding the child's allowed categories. */
describe('guardian access: records table and a manual system (R19)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntimeWithSystems(RECORDS_AND_MANUAL);
  });
  afterAll(async () => rt.cleanup());

  it('R9 R18 R19: after approval the request waits for the manual system; the report then says where the records are, in the allowed categories only', async () => {
    const body = await askAndVerify(rt, GRACE, CHIDI);
    expect((await approve(rt, body.requestId)).res.status).toBe(200);
    await eventually(async () =>
      (await rt.deps.systemResults.find(body.requestId, 'ebooks'))?.waitToken ? true : undefined,
    );
    expect((await rt.mail.to(GRACE.email)).filter((e) => /are ready/.test(e.subject))).toHaveLength(0);
    await answerManualSystem(rt, body.requestId, 'ebooks', { state: 'done' });

    const report = await download(
      await rt.mail.waitFor(GRACE.email, /child's library records you asked for are ready/),
    );
    expect(report).toContain('Where these records are');
    expect(report).toMatch(/<dt>Privacy Desk records<\/dt><dd>Found: [^<]*Library records: \d+ records/);
    expect(report).toMatch(/<dt>E-book vendor<\/dt><dd>Checked by library staff on /);
    expect(report).toContain('Percy Jackson and the Olympians: The Lightning Thief');
    // R9: only what a guardian may see, in the systems' lines too.
    expect(report).not.toContain('Login credentials');
    expect(report).not.toContain('Children of Blood and Bone');
    await waitForStatus(rt, body.statusUrl, 'completed');
    expectNoPersonalData(rt, executionOf('guardian-access', body.requestId), [GRACE, CHIDI]);
  });
});
