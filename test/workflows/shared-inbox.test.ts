import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childToldEmail } from '../../functions/render/consent-emails.ts';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { downloadAtDesk, handOverAtDesk } from '../support/desk.ts';
import { postForm } from '../support/http.ts';
import {
  DESK,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * A minor's card that carries a parent's email (R7, R10): that inbox is not the child's own
 * channel. The guardian-access and access workflows on aws-local-stepfunctions with the real
 * handlers, dynalite and the local SES; the demo dataset, with the teenager's email changed on
 * file to the guardian's for the shared-inbox cases.
 */

const DAVID = { id: 'P1013', cardNumber: '21234000011013', lastName: 'Chen', email: 'david.chen@example.com' };
const ETHAN = { id: 'P1015', cardNumber: '21234000011015', lastName: 'Chen' }; // 17, guarantor David
const GRACE = { id: 'P1016', cardNumber: '21234000011016', lastName: 'Okafor', email: 'grace.okafor@example.com' };
const NGOZI = { id: 'P1018', cardNumber: '21234000011018', lastName: 'Okafor', email: 'ngozi.okafor@example.org' }; // 13
const ident = (p: { cardNumber: string; lastName: string }) => ({ cardNumber: p.cardNumber, lastName: p.lastName });

async function guardianAsksAndVerifies(rt: TestRuntime, guardian: typeof DAVID, child: typeof ETHAN) {
  const res = await submit(rt, { kind: 'guardian-access', guardian: ident(guardian), child: ident(child) });
  expect(res.status).toBe(202);
  const verify = await eventually(
    async () =>
      (await rt.mail.to(guardian.email)).find(
        (e) => /confirm your privacy request/.test(e.subject) && e.body.text?.includes("as the child's parent"),
      ),
    10_000,
    'verification',
  );
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  return res.body as { requestId: string; statusUrl: string };
}

async function approve(rt: TestRuntime, requestId: string) {
  const ask = await eventually(
    async () =>
      (await rt.mail.to(OFFICER)).find(
        (e) => /Decision needed on a guardian's request/.test(e.subject) && e.body.text?.includes(requestId),
      ),
    10_000,
    'approval email',
  );
  const link = approvalLinkIn(ask);
  await openApproval(rt, link);
  expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);
}

/** R7: the desk's in-person verification task for the request, answered: ID seen. */
async function verifyAtDesk(rt: TestRuntime, requestId: string) {
  const task = await eventually(
    async () =>
      (await rt.mail.to(DESK)).find(
        (e) => /In-person verification needed/.test(e.subject) && e.body.text?.includes(requestId),
      ),
    10_000,
    'desk verification task',
  );
  expect((await postForm(linkIn(task, 'act'), { decision: 'done', documentKind: 'photo-id' })).status).toBe(200);
}

/** The privacy officer approves the request's step, signed in (R12). */
async function officerApproves(rt: TestRuntime, requestId: string, step: string) {
  const ask = await eventually(
    async () =>
      (await rt.mail.to(OFFICER)).find(
        (e) => e.subject.startsWith(`Decision needed on ${step} `) && e.body.text?.includes(requestId),
      ),
    20_000,
    `approval of ${step}`,
  );
  expect((await decideApproval(rt, approvalLinkIn(ask), { decision: 'approve' })).status).toBe(200);
}

const subjects = (mails: SentEmail[]) => mails.map((m) => m.subject);

describe('shared inboxes: a minor whose email on file is a guarantor’s', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
    // The teenager's card carries the parent's address, as it often does.
    await rt.deps.records.updateProfile(ETHAN.id, { email: DAVID.email });
  });
  afterAll(async () => rt.cleanup());

  it('R10 R7 a guardian asks for a 17-year-old whose email is theirs: the consent is asked in person, never emailed to that inbox; it names the guardian; the child is told through the desk', async () => {
    const body = await guardianAsksAndVerifies(rt, DAVID, ETHAN);
    const task = await rt.mail.waitFor(DESK, /In-person consent needed/);
    expect(task.body.text).toContain(body.requestId);
    expect(task.body.text).toContain('no email of their own');
    // Nothing in the shared inbox asks for the child's consent.
    expect(subjects(await rt.mail.to(DAVID.email))).not.toContainEqual(expect.stringMatching(/asked to see your/));

    const link = linkIn(task, 'act');
    const page = await (await fetch(link)).text();
    expect(page).toContain('Ethan Chen');
    expect(page).toContain('David Chen'); // R10: the consent names the guardian who asked, as on file
    expect((await postForm(link, { decision: 'consent' })).status).toBe(200);
    await approve(rt, body.requestId);

    const ready = await rt.mail.waitFor(DAVID.email, /child's library records you asked for are ready/);
    const report = await (await fetch(linkIn(ready, 'download'))).text();
    expect(report).toContain('in person at the library');
    expect(report).not.toContain('through their own email');
    await waitForStatus(rt, body.statusUrl, 'completed');

    // R10: the child is told, but not through the shared inbox: the privacy officers tell them.
    const note = await rt.mail.waitFor(OFFICER, /Tell a child their records were released/);
    expect(note.body.text).toContain(body.requestId);
    expect(note.body.text).not.toContain('Ethan');
    expect(subjects(await rt.mail.to(DAVID.email))).not.toContain(
      childToldEmail({ library: 'x', guardian: 'x', categories: [] }).subject,
    );

    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'consent-requested')?.data).toEqual({
      channel: 'in-person',
      reason: 'shared-inbox',
    });
    expect(events.find((e) => e.type === 'consent-given')?.data).toMatchObject({ channel: 'in-person' });
    expect(events.find((e) => e.eventId === 'child-told')?.data).toEqual({ told: 'staff-asked' });
    expectNoPersonalData(rt, executionOf('guardian-access', body.requestId), [DAVID, ETHAN]);
  });

  it('R7 the parent cannot use the shared inbox for the teenager’s own access report: verified in person, and the report is handed over at the desk', async () => {
    const before = (await rt.mail.to(DAVID.email)).length;
    const { body } = await submit(rt, { kind: 'access', ...ident(ETHAN) });
    const task = await eventually(
      async () =>
        (await rt.mail.to(DESK)).find(
          (e) => /In-person verification needed/.test(e.subject) && e.body.text?.includes(body.requestId),
        ),
      10_000,
      'desk verification task',
    );
    expect((await rt.mail.to(DAVID.email)).length).toBe(before); // nothing to the shared inbox
    expect((await postForm(linkIn(task, 'act'), { decision: 'done', documentKind: 'photo-id' })).status).toBe(200);
    const handOver = await eventually(
      async () =>
        (await rt.mail.to(DESK)).find(
          (e) => /Print and hand over/.test(e.subject) && e.body.text?.includes(body.requestId),
        ),
      20_000,
      'desk hand-over',
    );
    // R1, R17: the request completes when the printed report is handed over.
    expect((await downloadAtDesk(linkIn(handOver, 'download'))).status).toBe(200);
    await handOverAtDesk(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.mail.to(DAVID.email)).length).toBe(before); // the report never went there either
    expect((await rt.deps.requests.get(body.requestId)).verification).toMatchObject({ method: 'in-person' });
  });

  it('R7 R10 the teenager’s own deletion on the shared inbox: verified in person, and its letters never go to that inbox (the status page holds them)', async () => {
    const before = (await rt.mail.to(DAVID.email)).length;
    const { body } = await submit(rt, { kind: 'deletion', ...ident(ETHAN) });
    await verifyAtDesk(rt, body.requestId);
    await officerApproves(rt, body.requestId, 'a deletion plan');
    // Ethan has a book out: the deletion waits, and the waiting letter is the one a patron gets first.
    const letter = await eventually(
      async () => (await rt.deps.audit.list(body.requestId)).find((e) => e.eventId === 'deletion-waiting-sent'),
      30_000,
      'the waiting letter',
    );
    expect(letter.data).toEqual({ channel: 'status-page' });
    expect((await rt.mail.to(DAVID.email)).length).toBe(before);
  });

  it('R7 R10 the teenager’s own correction on the shared inbox: the notice that it was made does not go to that inbox', async () => {
    const before = (await rt.mail.to(DAVID.email)).length;
    const { body } = await submit(rt, {
      kind: 'correction',
      ...ident(ETHAN),
      changes: { address: { street: '5 Elm Street', city: 'Greenwich', state: 'CT', postalCode: '06830' } },
    });
    await verifyAtDesk(rt, body.requestId);
    await officerApproves(rt, body.requestId, 'a correction');
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.records.getPatron(ETHAN.id))?.address?.street).toBe('5 Elm Street');
    expect((await rt.mail.to(DAVID.email)).length).toBe(before);
  });

  it('R10 a 13-year-old with their own email: the consent email names the guardian who asked, and the child is told when the records are released', async () => {
    const body = await guardianAsksAndVerifies(rt, GRACE, NGOZI);
    const ask = await rt.mail.waitFor(NGOZI.email, /A parent or guardian asked to see your library records/);
    expect(ask.body.text).toContain('Grace Okafor, a parent or guardian linked to your library card');
    const link = linkIn(ask, 'act');
    expect(await (await fetch(link)).text()).toContain('Grace Okafor');
    expect((await postForm(link, { decision: 'consent' })).status).toBe(200);
    await approve(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const told = await rt.mail.waitFor(NGOZI.email, /Your library records were released/);
    expect(told.body.text).toContain('Grace Okafor');
    expect(told.body.text).toContain('Library records');
    expect(subjects(await rt.mail.to(GRACE.email))).not.toContainEqual(expect.stringMatching(/were released/));
  });
});
