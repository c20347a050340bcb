import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { deniedEmail } from '../../functions/render/emails.ts';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  DESK,
  eventually,
  HAROLD,
  linkIn,
  OFFICER,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';
import type { KohaSimulator } from '../support/koha-simulator/index.ts';
import {
  ADA_IN_KOHA,
  answerManualSystem,
  KOHA_SPEC,
  RECORDS_AND_MANUAL,
  startKohaWithAda,
  startRuntimeWithSystems,
} from '../support/systems.ts';

/**
 * The third-party workflow (workflows/third-party.asl.json, R14) on aws-local-stepfunctions with
 * the real handlers, dynalite and the local SES: written permission through the patron's own
 * email (or in person), consent, decline, no answer, rejection, a package of only the permitted
 * categories, and no leak: a card that matches no patron looks exactly like a patron who never answers.
 */

let seq = 0;
/** A fresh third party per test, so each one's mailbox tells its own story. */
const requester = () => {
  seq++;
  return {
    name: `Jordan Blake ${seq}`,
    email: `jordan.blake.${seq}@lawfirm.example`,
    organization: 'Blake & Partners',
  };
};
/** A child of 10 with no email on file; her guarantor is Maria Rivera. */
const SOFIA = { cardNumber: '21234000011011', lastName: 'Rivera' };
const MARIA_EMAIL = 'maria.rivera@example.org';
const PURPOSE = 'Tenancy reference: the landlord asks for proof of library membership and borrowing history.';

/** What marks each of Ada's categories in a report (titles that appear in no other category). */
const ADA_MARKS = {
  personal: ['ada@example.org', '1 Main St', ADA.cardNumber, '4242'],
  'library-records': ['The Thinking Machine', 'Intro to Python for Adults', 'Klara and the Sun'],
  payments: ['returned 7 days late'],
  donations: ['Annual Fund 2026'],
  'shared-content': ['A clever alternate history'],
  credentials: ['Login credentials'],
} as const;

async function ask(
  rt: TestRuntime,
  who: ReturnType<typeof requester>,
  categories: string[],
  patron: { cardNumber: string; lastName: string } = ADA,
  purpose = PURPOSE,
) {
  const res = await submit(rt, {
    kind: 'third-party',
    requester: who,
    patron: { cardNumber: patron.cardNumber, lastName: patron.lastName },
    categories,
    purpose,
  });
  expect(res.status).toBe(202);
  // R14: the third party first confirms the address they typed; nothing else happens before.
  const confirm = await rt.mail.waitFor(who.email, CONFIRM_ADDRESS);
  expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
  return res.body;
}

const CONFIRM_ADDRESS = /Please confirm your email address/;

/** What reached a third party's inbox after they confirmed their address. */
const mailAfterConfirming = async (rt: TestRuntime, address: string): Promise<SentEmail[]> =>
  (await rt.mail.to(address)).filter((e) => !CONFIRM_ADDRESS.test(e.subject));

async function consentEmailFor(rt: TestRuntime, who: { name: string }): Promise<SentEmail> {
  return eventually(
    async () =>
      (await rt.mail.to(ADA.email)).find(
        (e) => e.subject.includes(who.name) && /Written permission asked/.test(e.subject),
      ),
    10_000,
    'consent email',
  );
}

async function approvalEmailFor(rt: TestRuntime, requestId: string): Promise<SentEmail> {
  return eventually(
    async () =>
      (await rt.mail.to(OFFICER)).find(
        (e) => /Decision needed on a third party/.test(e.subject) && e.body.text?.includes(requestId),
      ),
    10_000,
    'approval email',
  );
}

describe('third-party request (R14)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R14 consent → approval → the third party gets only the permitted categories by an expiring link, and the patron is told', async () => {
    const who = requester();
    const body = await ask(rt, who, ['library-records', 'payments']);
    const consent = await consentEmailFor(rt, who);
    // The page and email name the requester, their confirmed address and each category; the purpose only behind the link.
    const consentPage = await (await fetch(linkIn(consent, 'act'))).text();
    expect(consentPage).toContain('Tenancy reference');
    expect(consent.body.text).not.toContain('Tenancy reference');
    for (const text of [consent.body.text ?? '', consentPage]) {
      expect(text).toContain(who.name);
      expect(text).toContain('Blake &');
      expect(text).toContain(who.email);
      expect(text).toContain('Library records');
      expect(text).toContain('Fines, fees and payments');
      expect(text).not.toContain('Donations');
    }
    await waitForStatus(rt, body.statusUrl, 'awaiting-consent');
    expect(await mailAfterConfirming(rt, who.email)).toHaveLength(0);
    expect((await postForm(linkIn(consent, 'act'), { decision: 'consent' })).status).toBe(200);

    const approval = await approvalEmailFor(rt, body.requestId);
    expect(approval.body.text).not.toContain(who.name); // staff emails name the request only
    const page = await (await openApproval(rt, approvalLinkIn(approval))).text();
    expect(page).toContain(who.email);
    expect(page).toContain('Ada Lovelace');
    expect(page).toContain('Given through their own email on file');
    expect(page).toContain('Library records, Fines, fees and payments');
    // Nothing reaches the third party before consent and approval.
    expect(await mailAfterConfirming(rt, who.email)).toHaveLength(0);
    expect((await decideApproval(rt, approvalLinkIn(approval), { decision: 'approve' })).status).toBe(200);

    const ready = await rt.mail.waitFor(who.email, /The records you asked .* are ready/);
    const res = await fetch(linkIn(ready, 'download'));
    expect(res.status).toBe(200);
    const pkg = await res.text();
    for (const mark of [...ADA_MARKS['library-records'], ...ADA_MARKS.payments]) expect(pkg).toContain(mark);
    for (const mark of [
      ...ADA_MARKS.personal,
      ...ADA_MARKS.donations,
      ...ADA_MARKS['shared-content'],
      ...ADA_MARKS.credentials,
    ])
      expect(pkg).not.toContain(mark);
    expect(pkg).not.toContain('Ada'); // the name is personal data, which was not permitted
    expect(pkg).not.toContain('$2b$');

    const told = await rt.mail.waitFor(ADA.email, /Your library records were sent/);
    expect(told.body.text).toContain(who.name);
    expect(told.body.text).toContain('Library records');
    expect(told.body.text).toContain('Fines, fees and payments');
    await waitForStatus(rt, body.statusUrl, 'completed');

    await rt.engine.whenDone(executionOf('third-party', body.requestId)); // the last audit event is written after the status
    const request = await rt.deps.requests.getOf(body.requestId, 'third-party');
    // R16: the third party's contact and purpose are gone; the categories stay for the audit.
    expect(request.thirdParty).toEqual({ categories: ['library-records', 'payments'] });
    expect(request.consent).toMatchObject({
      decision: 'consent',
      channel: 'email',
      categories: ['library-records', 'payments'],
    });
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'disclosure')?.data).toMatchObject({
      legalBasis: 'written-permission',
      rule: 'R14',
      recipient: 'third-party',
      categories: ['library-records', 'payments'],
    });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'consent-requested',
        'consent-given',
        'approval-requested',
        'approval-decided',
        'disclosure',
        'patron-notified',
        'request-completed',
      ]),
    );
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true);
    const trail = JSON.stringify(events);
    for (const v of [who.email, who.name, 'Tenancy', ADA.email]) expect(trail).not.toContain(v);
    expectNoPersonalData(rt, executionOf('third-party', body.requestId), [
      who.email,
      who.name,
      'Blake',
      'Tenancy',
      ADA.cardNumber,
      ADA.lastName,
      ADA.email,
    ]);
  });

  it("R14 the third party's typed email is verified first: nothing reaches the patron before it is confirmed; the consent shows the exact recipient and categories; the disclosure record keeps to whom, what and on what permission after close", async () => {
    const who = requester();
    const res = await submit(rt, {
      kind: 'third-party',
      requester: who,
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['library-records'],
      purpose: PURPOSE,
    });
    expect(res.status).toBe(202);
    const confirm = await rt.mail.waitFor(who.email, CONFIRM_ADDRESS);
    for (const v of ['Ada', 'Lovelace', ADA.cardNumber, 'Library records']) expect(confirm.body.text).not.toContain(v);
    // The workflow waits on the third party: the patron has been asked nothing.
    const events = await rt.deps.audit.list(res.body.requestId);
    expect(events.map((e) => e.type)).not.toContain('consent-requested');
    expect((await rt.mail.to(ADA.email)).some((e) => e.subject.includes(who.name))).toBe(false);
    const page = await (await fetch(linkIn(confirm, 'act'))).text();
    expect(page).not.toContain('Lovelace');
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);

    const consent = await consentEmailFor(rt, who);
    // The exact recipient: name, organisation and the address they confirmed; the purpose only behind the link.
    for (const v of [who.name, who.organization, who.email, 'Library records']) expect(consent.body.text).toContain(v);
    expect(consent.body.text).not.toContain('Tenancy');
    const consentPage = await (await fetch(linkIn(consent, 'act'))).text();
    for (const v of [who.email, 'Blake &amp; Partners', 'in their own words', 'Tenancy reference'])
      expect(consentPage).toContain(v);
    expect((await postForm(linkIn(consent, 'act'), { decision: 'consent' })).status).toBe(200);
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await approvalEmailFor(rt, res.body.requestId)), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    await rt.mail.waitFor(who.email, /The records you asked .* are ready/);
    await waitForStatus(rt, res.body.statusUrl, 'completed');
    await rt.engine.whenDone(executionOf('third-party', res.body.requestId));

    const request = await rt.deps.requests.getOf(res.body.requestId, 'third-party');
    expect(request.thirdParty).toEqual({ categories: ['library-records'] }); // R16: contact and purpose erased
    expect(request.disclosedTo).toMatchObject({
      recipient: { name: who.name, organization: who.organization, email: who.email },
      categories: ['library-records'],
      permission: { channel: 'email', by: 'patron' },
    });
    expect(JSON.stringify(request.disclosedTo)).not.toContain('Tenancy');
    expect((await rt.deps.audit.list(res.body.requestId)).find((e) => e.type === 'identity-verified')?.actor).toEqual({
      kind: 'patron',
    });
  });

  it('R14 a child under 13 cannot give the permission alone: it is asked of the guardian on the card, through the guardian’s own email, and the package says so', async () => {
    const who = requester();
    const body = await ask(rt, who, ['library-records'], SOFIA);
    const consent = await rt.mail.waitFor(MARIA_EMAIL, /Written permission asked/);
    expect(consent.subject).toContain("your child's library records");
    expect(consent.body.text).toContain(who.email);
    const page = await (await fetch(linkIn(consent, 'act'))).text();
    expect(page).toContain('under 13, so a parent or guardian gives the permission');
    expect(
      (await rt.mail.to(DESK)).some(
        (e) => /In-person consent needed/.test(e.subject) && e.body.text?.includes(body.requestId),
      ),
    ).toBe(false);
    expect((await postForm(linkIn(consent, 'act'), { decision: 'consent' })).status).toBe(200);
    expect(
      (await decideApproval(rt, approvalLinkIn(await approvalEmailFor(rt, body.requestId)), { decision: 'approve' }))
        .status,
    ).toBe(200);
    const pkg = await (await fetch(linkIn(await rt.mail.waitFor(who.email, /are ready/), 'download'))).text();
    expect(pkg).toContain('parent or guardian on the card gave written permission');
    await waitForStatus(rt, body.statusUrl, 'completed');
    const request = await rt.deps.requests.getOf(body.requestId, 'third-party');
    expect(request.disclosedTo?.permission.by).toBe('guardian');
    const given = (await rt.deps.audit.list(body.requestId)).find((e) => e.type === 'consent-given');
    expect(given?.data).toMatchObject({ channel: 'email', by: 'guardian' });
  });

  it('R14 the package holds exactly the named categories: personal and donations, and nothing of the others', async () => {
    const who = requester();
    const body = await ask(rt, who, ['personal', 'donations']);
    await postForm(linkIn(await consentEmailFor(rt, who), 'act'), { decision: 'consent' });
    await decideApproval(rt, approvalLinkIn(await approvalEmailFor(rt, body.requestId)), { decision: 'approve' });
    const pkg = await (await fetch(linkIn(await rt.mail.waitFor(who.email, /are ready/), 'download'))).text();
    for (const mark of [...ADA_MARKS.personal, ...ADA_MARKS.donations, 'Ada Lovelace']) expect(pkg).toContain(mark);
    for (const mark of [
      ...ADA_MARKS['library-records'],
      ...ADA_MARKS.payments,
      ...ADA_MARKS['shared-content'],
      ...ADA_MARKS.credentials,
    ])
      expect(pkg).not.toContain(mark);
    expect(pkg).not.toContain('Automatically collected data');
    await waitForStatus(rt, body.statusUrl, 'completed');
  });

  it('R14 a decline: denied, the third party learns only that it could not go ahead, and nothing else is sent', async () => {
    const who = requester();
    const body = await ask(rt, who, ['library-records']);
    const consent = await consentEmailFor(rt, who);
    expect(await (await fetch(linkIn(consent, 'act'))).text()).not.toContain('name="reason"');
    expect((await postForm(linkIn(consent, 'act'), { decision: 'decline' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'denied');
    const told = await rt.mail.waitFor(who.email, /was not completed/);
    expect(told.body.text).toBe(
      deniedEmail({ library: (await rt.deps.records.library()).name, code: 'consent-not-given' }).text,
    );
    expect(await mailAfterConfirming(rt, who.email)).toHaveLength(1);
    expect((await rt.mail.to(OFFICER)).some((e) => e.body.text?.includes(body.requestId))).toBe(false);
    await rt.engine.whenDone(executionOf('third-party', body.requestId));
    const request = await rt.deps.requests.getOf(body.requestId, 'third-party');
    expect(request.thirdParty).toEqual({ categories: ['library-records'] }); // R16
    expect((await rt.deps.audit.list(body.requestId)).map((e) => e.type)).not.toContain('disclosure');
  });

  it("R14 R12 a rejection by staff: the approval page shows the purpose as the requester's words, links broken; denied with their reason; the third party receives no records", async () => {
    const who = requester();
    const purpose = 'Tenancy check: see https://evil.example/form or www.evil.example for details.';
    const body = await ask(rt, who, ['library-records'], ADA, purpose);
    await postForm(linkIn(await consentEmailFor(rt, who), 'act'), { decision: 'consent' });
    const link = approvalLinkIn(await approvalEmailFor(rt, body.requestId));
    const page = await (await openApproval(rt, link)).text();
    expect(page).toContain("the requester's own words, not checked by the library");
    expect(page).toContain('https[:]//evil[.]example/form');
    expect(page).toContain('www[.]evil[.]example');
    expect(page).not.toContain('https://evil.example');
    expect(page).not.toContain('www.evil.example');
    expect((await decideApproval(rt, link, { decision: 'reject' })).status).toBe(400); // a reason is required
    expect(
      (await decideApproval(rt, link, { decision: 'reject', reason: 'The purpose does not need library records.' }))
        .status,
    ).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'denied');
    const mails = await eventually(async () => {
      const m = await mailAfterConfirming(rt, who.email);
      return m.length > 0 ? m : undefined;
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]?.body.text).toContain('The purpose does not need library records.');
    for (const mark of ADA_MARKS['library-records']) expect(mails[0]?.body.text).not.toContain(mark);
    expect(
      (await rt.mail.to(ADA.email)).some((e) => /were sent/.test(e.subject) && e.body.text?.includes(who.name)),
    ).toBe(false);
    await rt.engine.whenDone(executionOf('third-party', body.requestId));
    expect((await rt.deps.requests.getOf(body.requestId, 'third-party')).thirdParty).toEqual({
      categories: ['library-records'],
    });
  });

  it('R14 a patron with no email on file: circulation staff show them the request in person and record their written permission, named', async () => {
    const who = requester();
    const body = await ask(rt, who, ['library-records'], HAROLD);
    const task = await rt.mail.waitFor(DESK, /In-person consent needed/);
    expect(task.body.text).not.toContain('Harold');
    expect(task.body.text).not.toContain(who.name);
    const page = await (await fetch(linkIn(task, 'act'))).text();
    expect(page).toContain('Harold Jenkins');
    expect(page).toContain(who.name);
    expect(page).toContain('Tenancy reference');
    expect((await statusOf(rt, body.statusUrl)).status).toBe('awaiting-consent');
    expect((await postForm(linkIn(task, 'act'), { decision: 'consent' })).status).toBe(200);
    await approvalEmailFor(rt, body.requestId);
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.find((e) => e.type === 'consent-given')).toMatchObject({
      actor: { kind: 'staff', id: DESK, role: 'circulation' },
      data: { channel: 'in-person' },
    });
    expect(events.find((e) => e.type === 'staff-read')?.actor.id).toBe(DESK);
    expect(await mailAfterConfirming(rt, who.email)).toHaveLength(0);

    // R14: once sent, the patron with no email is told through the privacy officer (the request and the kinds of records only).
    expect(
      (await decideApproval(rt, approvalLinkIn(await approvalEmailFor(rt, body.requestId)), { decision: 'approve' }))
        .status,
    ).toBe(200);
    await rt.mail.waitFor(who.email, /The records you asked .* for are ready/);
    const notice = await rt.mail.waitFor(
      OFFICER,
      new RegExp(`Tell a patron their records were sent: request ${body.requestId}`),
    );
    expect(notice.body.text).toContain('Library records');
    for (const v of ['Harold', 'Jenkins', HAROLD.cardNumber, who.name, who.email])
      expect(notice.body.text).not.toContain(v);
    await rt.engine.whenDone(executionOf('third-party', body.requestId));
    const notified = (await rt.deps.audit.list(body.requestId)).find((e) => e.type === 'patron-notified');
    expect(notified?.data).toEqual({ told: 'staff-asked' });
  });

  it('refuses bad input: no purpose, an unknown category, no category, a bad email, a missing patron', async () => {
    const who = requester();
    const base = {
      kind: 'third-party',
      requester: who,
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['library-records'],
      purpose: PURPOSE,
    };
    const accepted = await submit(rt, base);
    expect(accepted.status).toBe(202);
    const confirm = await rt.mail.waitFor(who.email, CONFIRM_ADDRESS);
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(rt, accepted.body.statusUrl, 'awaiting-consent');
    await eventually(async () =>
      (await rt.deps.audit.list(accepted.body.requestId)).some((e) => e.type === 'consent-requested')
        ? true
        : undefined,
    );
    const { purpose: _p, ...noPurpose } = base;
    expect((await submit(rt, noPurpose)).status).toBe(400);
    expect((await submit(rt, { ...base, categories: ['everything'] })).status).toBe(400);
    expect((await submit(rt, { ...base, categories: [] })).status).toBe(400);
    expect((await submit(rt, { ...base, requester: { ...who, email: 'not-an-email' } })).status).toBe(400);
    const { patron: _patron, ...noPatron } = base;
    expect((await submit(rt, noPatron)).status).toBe(400);
    const res = await fetch(`${rt.baseUrl}/api/requests`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...base, purpose: '<script>alert(1)</script>', categories: ['<b>x</b>'] }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('<script>');
  });
});

describe('third-party request: time, and no leak (R14)', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  it('R14 no answer in time is denied; a card that matches no patron looks exactly the same to the requester: same statuses, same single email', async () => {
    const policy: Policy = { ...defaultPolicy, consent: { linkTtlHours: 2 / 3600 } };
    rt = await startTestRuntime({ policy });
    const r = rt;
    const real = requester();
    const stranger = requester();
    const matched = await ask(r, real, ['library-records']);
    const unmatched = await ask(r, stranger, ['library-records'], { cardNumber: ADA.cardNumber, lastName: 'Babbage' });
    expect(Object.keys(matched).sort()).toEqual(Object.keys(unmatched).sort());

    // Both wait for consent, as far as anyone outside can tell.
    await waitForStatus(r, matched.statusUrl, 'awaiting-consent');
    await waitForStatus(r, unmatched.statusUrl, 'awaiting-consent');
    const consent = await consentEmailFor(r, real);
    expect((await r.mail.all()).filter((e) => e.subject.includes(stranger.name))).toHaveLength(0); // no patron was asked
    expect(await mailAfterConfirming(r, real.email)).toHaveLength(0);
    expect(await mailAfterConfirming(r, stranger.email)).toHaveLength(0);

    // Both end denied at the consent deadline, with the same one email.
    const [a, b] = await Promise.all([
      waitForStatus(r, matched.statusUrl, 'denied', 15_000),
      waitForStatus(r, unmatched.statusUrl, 'denied', 15_000),
    ]);
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    const [toReal, toStranger] = await Promise.all([
      r.mail.waitFor(real.email, /was not completed/),
      r.mail.waitFor(stranger.email, /was not completed/),
    ]);
    expect(toStranger.subject).toBe(toReal.subject);
    expect(toStranger.body.text).toBe(toReal.body.text);
    expect(toStranger.body.html).toBe(toReal.body.html);
    expect(await mailAfterConfirming(r, real.email)).toHaveLength(1);
    expect(await mailAfterConfirming(r, stranger.email)).toHaveLength(1);
    expect((await postForm(linkIn(consent, 'act'), { decision: 'consent' })).status).toBe(410);

    for (const id of [matched.requestId, unmatched.requestId]) {
      await r.engine.whenDone(executionOf('third-party', id));
      expect(await r.engine.status(executionOf('third-party', id))).toBe('SUCCEEDED');
      const request = await r.deps.requests.getOf(id, 'third-party');
      expect(request.status).toBe('denied');
      expect(request.denial?.code).toBe('consent-not-given');
      expect(request.thirdParty).toEqual({ categories: ['library-records'] }); // R16
      expect(request.submitted).toBeUndefined();
    }
    expect((await r.deps.requests.get(unmatched.requestId)).patronId).toBeUndefined();
    expect((await r.deps.audit.list(unmatched.requestId)).find((e) => e.type === 'consent-requested')?.data).toEqual({
      channel: 'none',
    });
  });

  it('R14 R16 staff never decide: the approval lapses, the request expires, nothing reaches the third party, and their contact is erased', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      approvals: { ...defaultPolicy.approvals, linkTtlHours: 1 / 3600, maxRounds: 1 },
    };
    rt = await startTestRuntime({ policy });
    const r = rt;
    const who = requester();
    const body = await ask(r, who, ['library-records']);
    await postForm(linkIn(await consentEmailFor(r, who), 'act'), { decision: 'consent' });
    await r.mail.waitFor(OFFICER, /A decision lapsed/, 1, 15_000);
    await waitForStatus(r, body.statusUrl, 'expired', 15_000);
    await r.engine.whenDone(executionOf('third-party', body.requestId));
    expect(await mailAfterConfirming(r, who.email)).toHaveLength(0);
    const request = await r.deps.requests.getOf(body.requestId, 'third-party');
    expect(request.thirdParty).toEqual({ categories: ['library-records'] });
    expect((await r.deps.audit.list(body.requestId)).map((e) => e.type)).not.toContain('disclosure');
  });
});

/** R14 R18 R19: the third party's package from every system holding a permitted category. */
describe('third-party request: records table and a manual system (R19)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntimeWithSystems(RECORDS_AND_MANUAL);
  });
  afterAll(async () => rt.cleanup());

  it('R14 R18 R19: after approval the request waits for the manual system; the package says where the records are, permitted categories only', async () => {
    const who = requester();
    const body = await ask(rt, who, ['library-records', 'payments']);
    expect((await postForm(linkIn(await consentEmailFor(rt, who), 'act'), { decision: 'consent' })).status).toBe(200);
    expect(
      (await decideApproval(rt, approvalLinkIn(await approvalEmailFor(rt, body.requestId)), { decision: 'approve' }))
        .status,
    ).toBe(200);
    await eventually(async () =>
      (await rt.deps.systemResults.find(body.requestId, 'ebooks'))?.waitToken ? true : undefined,
    );
    expect(await mailAfterConfirming(rt, who.email)).toHaveLength(0);
    await answerManualSystem(rt, body.requestId, 'ebooks', { state: 'could-not', reason: 'Vendor portal down' });

    const pkg = await (
      await fetch(linkIn(await rt.mail.waitFor(who.email, /The records you asked .* are ready/), 'download'))
    ).text();
    expect(pkg).toContain('Where these records are');
    expect(pkg).toMatch(
      /<dt>Privacy Desk records<\/dt><dd>Found: Library records: \d+ records; Fines, fees and payments: \d+ records?\.<\/dd>/,
    );
    expect(pkg).toMatch(/<dt>E-book vendor<\/dt><dd>Library staff could not complete this here/);
    expect(pkg).not.toContain('Vendor portal down');
    for (const mark of ADA_MARKS['library-records']) expect(pkg).toContain(mark);
    for (const mark of [...ADA_MARKS.personal, ...ADA_MARKS.donations, ...ADA_MARKS.credentials])
      expect(pkg).not.toContain(mark);
    expect(pkg).not.toContain('Ada');
    await waitForStatus(rt, body.statusUrl, 'completed');
  });
});

describe.skipIf(!KOHA_SPEC)('third-party request: Koha as the system of record (R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  beforeAll(async () => {
    ({ sim, rt } = await startKohaWithAda());
  });
  afterAll(async () => rt.cleanup());

  it('R14 R18 R19: permission asked through the email Koha holds; the package holds Koha’s fine and the records table’s, nothing else', async () => {
    const who = requester();
    const body = await ask(rt, who, ['payments']);
    const consent = await rt.mail.waitFor(ADA_IN_KOHA.email, /Written permission asked/);
    expect(await rt.mail.to(ADA.email)).toHaveLength(0);
    expect((await postForm(linkIn(consent, 'act'), { decision: 'consent' })).status).toBe(200);
    expect(
      (await decideApproval(rt, approvalLinkIn(await approvalEmailFor(rt, body.requestId)), { decision: 'approve' }))
        .status,
    ).toBe(200);
    const pkg = await (
      await fetch(linkIn(await rt.mail.waitFor(who.email, /The records you asked .* are ready/), 'download'))
    ).text();
    expect(pkg).toMatch(
      /<dt>Koha catalogue and circulation<\/dt><dd>Found: Fines, fees and payments: 1 record\.<\/dd>/,
    );
    expect(pkg).toContain('Overdue fine');
    for (const mark of ADA_MARKS.payments) expect(pkg).toContain(mark);
    for (const mark of [...ADA_MARKS['library-records'], ...ADA_MARKS.personal]) expect(pkg).not.toContain(mark);
    expect(pkg).not.toContain(ADA_IN_KOHA.email);
    await waitForStatus(rt, body.statusUrl, 'completed');
    // R14: what the patron did not permit is never even read from Koha: no checkout, no hold.
    expect(sim.calls.filter((op) => op === 'listCheckouts' || op === 'getPatronHolds')).toEqual([]);
    expect(sim.calls).toContain('listPatronDebits');
    expect(sim.violations).toEqual([]);
  });
});
