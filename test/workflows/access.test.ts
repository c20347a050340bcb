import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TransientError } from '../../functions/domain/errors.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { SesMailer, type Mailer } from '../../functions/adapters/ses-mailer.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { downloadAtDesk, handOverAtDesk } from '../support/desk.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  CIRCULATION,
  eventually,
  HAROLD,
  linkIn,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type StatusView,
  type TestRuntime,
} from '../support/runtime.ts';
import type { KohaSimulator } from '../support/koha-simulator/index.ts';
import {
  ADA_IN_KOHA,
  answerManualSystem,
  KOHA_ID,
  KOHA_SPEC,
  type KohaAda,
  RECORDS_AND_MANUAL,
  startKohaWithAda,
  startRuntimeWithSystems,
} from '../support/systems.ts';

/**
 * The access workflow (workflows/access.asl.json) on aws-local-stepfunctions with the real
 * handlers, dynalite and the local SES: every branch taken at least once.
 */

describe('access workflow', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('verified: R7 link to the email on file, then a report link by email, then completed (R5, R17)', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: 'lovelace' });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect(await rt.mail.to('someone-else@example.org')).toHaveLength(0);
    // When the link expires, in the library's time zone: not a UTC instant a patron cannot read.
    expect(verify.body.text).toMatch(/expires at \w+day, \w+ \d{1,2}, \d{4} at \d{1,2}:\d\d [AP]M E[SD]T\./);
    expect(verify.body.text).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:/);
    const res = await postForm(linkIn(verify, 'act'), { decision: 'confirm' });
    expect(res.status).toBe(200);
    await rt.mail.waitFor(ADA.email, /are ready/);
    await waitForStatus(rt, body.statusUrl, 'completed');
    await rt.engine.whenDone(executionOf('access', body.requestId));
    expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('SUCCEEDED');

    const request = await rt.deps.requests.get(body.requestId);
    expect(request.patronId).toBe(ADA.id);
    expect(request.submitted).toBeUndefined(); // R5: the typed card and name are gone once matched
    expect(request.verification?.method).toBe('email-link');

    const events = await rt.deps.audit.list(body.requestId);
    expect(events.map((e) => e.type)).toEqual([
      'request-received',
      'patron-matched',
      'verification-requested',
      'identity-verified',
      'system-answered', // R19: the records table, the one system configured here
      'disclosure',
      'request-completed',
    ]);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
    expect(JSON.stringify(events)).not.toContain(ADA.email);
    expectNoPersonalData(rt, executionOf('access', body.requestId), [ADA]);
  });

  it('no match: ends quietly, no email is sent, and the status looks like any other', async () => {
    const before = (await rt.mail.all()).length;
    const { status, body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: 'Babbage' });
    expect(status).toBe(202);
    await rt.engine.whenDone(executionOf('access', body.requestId));
    await eventually(async () =>
      (await rt.engine.status(executionOf('access', body.requestId))) === 'SUCCEEDED' ? true : undefined,
    );
    expect((await rt.mail.all()).length).toBe(before);
    expect((await statusOf(rt, body.statusUrl)).status).toBe('verifying');
    const request = await rt.deps.requests.get(body.requestId);
    expect(request.matched).toBe(false);
    expect(request.patronId).toBeUndefined();
    expect(request.submitted).toBeUndefined();
  });

  it('no email on file: circulation staff get an in-person task; its done link records who and how, no document (R4)', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: HAROLD.cardNumber, lastName: HAROLD.lastName });
    const task = await rt.mail.waitFor(CIRCULATION[0] as string, /In-person verification needed/);
    for (const staff of CIRCULATION) await rt.mail.waitFor(staff, /In-person verification needed/);
    expect(task.body.text).not.toContain(HAROLD.lastName); // the email names the request, not the patron
    // Outside it looks like any verification (nothing tells a stranger the card matched).
    expect((await statusOf(rt, body.statusUrl)).status).toBe('verifying');

    const link = linkIn(task, 'act');
    const page = await (await fetch(link)).text();
    expect(page).toContain('Harold Jenkins');
    // R1: the staff member's read of the patron's details is audited.
    const reads = (await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'staff-read');
    expect(reads).toHaveLength(1);
    expect(reads[0]?.actor).toMatchObject({ kind: 'staff', id: CIRCULATION[0], role: 'circulation' });

    expect((await postForm(link, { decision: 'done' })).status).toBe(400); // how they checked is required
    expect((await postForm(link, { decision: 'done', documentKind: 'photo-id' })).status).toBe(200);
    const report = await rt.mail.waitFor(CIRCULATION[0] as string, /Print and hand over/);
    expect(linkIn(report, 'download')).toMatch(/\/download\//);
    // R1, R17: the request completes when the printed report is handed over, not on its download.
    expect((await downloadAtDesk(linkIn(report, 'download'))).status).toBe(200);
    await handOverAtDesk(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');

    const request = await rt.deps.requests.get(body.requestId);
    expect(request.verification).toMatchObject({
      method: 'in-person',
      verifiedByRole: 'circulation',
      verifiedByStaffId: CIRCULATION[0],
      documentKind: 'photo-id',
    });
    // R4: only who, when and how; there is no field that could hold a document.
    expect(Object.keys(request.verification ?? {}).sort()).toEqual([
      'documentKind',
      'method',
      'verifiedAt',
      'verifiedByRole',
      'verifiedByStaffId',
    ]);
    // The other staff members' copies of the task no longer work.
    const other = await rt.mail.waitFor(CIRCULATION[1] as string, /In-person verification needed/);
    expect((await fetch(linkIn(other, 'act'))).status).toBe(410);
    expectNoPersonalData(rt, executionOf('access', body.requestId), [HAROLD]);
  });

  it('cancel: a waiting request can be cancelled; its link then answers 410', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/, 2);
    const res = await fetch(`${rt.baseUrl}${body.statusUrl.replace('?', '/cancel?')}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as StatusView).status).toBe('cancelled');
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(410);
    expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('ABORTED');
    // Cancelling again is harmless; a wrong key is 404.
    expect((await fetch(`${rt.baseUrl}${body.statusUrl.replace('?', '/cancel?')}`, { method: 'POST' })).status).toBe(
      200,
    );
    expect(
      (await fetch(`${rt.baseUrl}/api/requests/${body.requestId}/cancel?key=wrong`, { method: 'POST' })).status,
    ).toBe(404);
  });
});

describe('access workflow: time and failure', () => {
  let rt: TestRuntime | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  it('R7 expired: verification not done in time ends as expired and the link answers 410', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      verification: { ...defaultPolicy.verification, linkTtlHours: 1 / 3600 },
    };
    rt = await startTestRuntime({ policy });
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    await waitForStatus(rt, body.statusUrl, 'expired', 10_000);
    // The deadline sweep fails the waiting step with LinkExpired; the workflow records the expiry.
    await eventually(
      async () => ((await rt?.deps.requests.get(body.requestId))?.status === 'expired' ? true : undefined),
      10_000,
      'expired',
    );
    await rt.engine.whenDone(executionOf('access', body.requestId));
    expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('SUCCEEDED');
    expect((await rt.deps.audit.list(body.requestId)).map((e) => e.type)).toContain('request-expired');
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(410);
    expect((await rt.mail.to(ADA.email)).filter((e) => /are ready/.test(e.subject))).toHaveLength(0);
  });

  it('R14 R16 no match: closes as expired when an unanswered link would, looks the same as one, and is queued for its tombstone', async () => {
    const policy: Policy = {
      ...defaultPolicy,
      verification: { ...defaultPolicy.verification, linkTtlHours: 1 / 3600 },
    };
    rt = await startTestRuntime({ policy });
    const before = (await rt.mail.all()).length;
    const unmatched = (await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: 'Babbage' })).body;
    const unanswered = (await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName })).body;
    await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    const seen = await waitForStatus(rt, unmatched.statusUrl, 'expired', 10_000);
    const other = await waitForStatus(rt, unanswered.statusUrl, 'expired', 10_000);
    // What the requester can see has the same shape and values, ids and times aside.
    const comparable = (v: StatusView) =>
      Object.fromEntries(Object.entries(v).filter(([k]) => !/Id$|At$|Url$/.test(k)));
    expect(comparable(seen)).toEqual(comparable(other));
    expect((await rt.mail.all()).length).toBe(before + 1); // only the matched patron's verification email

    // The status page derives "expired" from the time; the deadline sweep then closes the record itself.
    const r = rt;
    // The close writes the status, then its audit event (app/close-request.ts): wait for both.
    const request = await eventually(
      async () => {
        const stored = await r.deps.requests.get(unmatched.requestId);
        const logged = (await r.deps.audit.list(unmatched.requestId)).some((e) => e.type === 'request-expired');
        return stored.status === 'expired' && logged ? stored : undefined;
      },
      10_000,
      'closed by the sweep',
    );
    expect(request.closedAt).toBeDefined();
    expect((await rt.deps.audit.list(unmatched.requestId)).map((e) => e.type)).toEqual([
      'request-received',
      'no-match',
      'request-expired',
    ]);
    // R16: on the tombstone queue like any closed request; off the unmatched queue.
    const closed = await rt.deps.requests.closedBefore('9999');
    expect(closed.map((c) => c.requestId)).toContain(unmatched.requestId);
    expect(await rt.deps.requests.unmatchedDue('9999')).toEqual([]);
  });

  it('a task that SES throttles past the SDK retries is retried by the workflow, and then succeeds', async () => {
    // SES answering as it does when the sending rate is exceeded: 429 TooManyRequestsException. The
    // real SDK client parses it, retries it itself, then reports it (functions/adapters/aws-errors.ts).
    let throttledCalls = 0;
    const throttling = createServer((req, res) => {
      throttledCalls++;
      req.resume();
      req.on('end', () => {
        res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
        res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
      });
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    const throttled = new SesMailer('privacy@library.example', {
      endpoint: `http://127.0.0.1:${(throttling.address() as AddressInfo).port}`,
    });
    let attempts = 0;
    const flaky = (m: Mailer): Mailer => ({
      async send(email) {
        // The first attempt of the verification step goes to the throttled SES; the workflow's retry to the real one.
        if (/confirm your privacy request/.test(email.subject) && attempts++ === 0) return throttled.send(email);
        return m.send(email);
      },
    });
    try {
      rt = await startTestRuntime({ wrapMailer: flaky });
      const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
      const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
      expect(throttledCalls).toBeGreaterThan(1); // the SDK tried again itself first
      expect(attempts).toBe(2); // then the workflow's Retry (it matches TransientError) ran the step again
      expect((await rt.mail.to(ADA.email)).filter((e) => /confirm/.test(e.subject))).toHaveLength(1);
      await postForm(linkIn(verify, 'act'), { decision: 'confirm' });
      await waitForStatus(rt, body.statusUrl, 'completed');
    } finally {
      throttling.closeAllConnections();
      await new Promise((r) => throttling.close(r));
    }
  }, 30_000);

  it('a task that keeps failing: the request is failed and the privacy officer is emailed', async () => {
    const broken = (m: Mailer): Mailer => ({
      async send(email) {
        if (/are ready/.test(email.subject)) throw new TransientError('SES unavailable');
        return m.send(email);
      },
    });
    rt = await startTestRuntime({ wrapMailer: broken });
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    await postForm(linkIn(verify, 'act'), { decision: 'confirm' });
    const alert = await rt.mail.waitFor('privacy@library.example', /A privacy request failed/);
    expect(alert.body.text).toContain(body.requestId);
    expect(alert.body.text).toContain('TransientError');
    expect(alert.body.text).not.toContain(ADA.lastName);
    await waitForStatus(rt, body.statusUrl, 'failed');
    await rt.engine.whenDone(executionOf('access', body.requestId));
    expect(await rt.engine.status(executionOf('access', body.requestId))).toBe('FAILED');
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.at(-1)).toMatchObject({ type: 'request-failed', data: { error: 'TransientError' } });
  });
});

/**
 * R18 R19: the access workflow with more than one system configured: the report holds the records
 * of every API system that holds the patron and says, system by system, what each answered.
 */
describe('access workflow: records table and a manual system (R19)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startRuntimeWithSystems(RECORDS_AND_MANUAL);
  });
  afterAll(async () => rt.cleanup());

  let asked = 0;
  async function reportAfter(answer: Parameters<typeof answerManualSystem>[3]) {
    asked++;
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/, asked);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    // R19: the request waits for the system's staff; no report goes out before they answer.
    await eventually(async () =>
      (await rt.deps.systemResults.find(body.requestId, 'ebooks'))?.waitToken ? true : undefined,
    );
    expect((await rt.mail.to(ADA.email)).filter((e) => /are ready/.test(e.subject))).toHaveLength(asked - 1);
    await answerManualSystem(rt, body.requestId, 'ebooks', answer);
    const ready = await rt.mail.waitFor(ADA.email, /are ready/, asked);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const res = await fetch(linkIn(ready, 'download'));
    expect(res.status).toBe(200);
    return { requestId: body.requestId, report: await res.text() };
  }

  it('R18 R19: the report lists each system: the records table with what it found, the manual system as staff answered', async () => {
    const { requestId, report } = await reportAfter({ state: 'done' });
    expect(report).toContain('Where your records are');
    expect(report).toMatch(/<dt>Privacy Desk records<\/dt><dd>Found: [^<]*Library records: \d+ records/);
    expect(report).toMatch(/<dt>E-book vendor<\/dt><dd>Checked by library staff on \w+ \d{1,2}, \d{4}\.<\/dd>/);
    expect(report).toContain('The Difference Engine'); // the records table's loans, read through its connector
    const results = await rt.deps.systemResults.list(requestId);
    expect(results.map((r) => [r.systemId, r.state]).sort()).toEqual([
      ['ebooks', 'done'],
      ['records', 'done'],
    ]);
    expectNoPersonalData(rt, executionOf('access', requestId), [ADA]);
  });

  it('R18 R19: a manual system whose staff could not: the patron reads a neutral line, never the staff reason', async () => {
    const { report } = await reportAfter({ state: 'could-not', reason: 'Vendor portal locked: contract dispute' });
    expect(report).toMatch(
      /<dt>E-book vendor<\/dt><dd>Library staff could not complete this here; the privacy officer is following it up\.<\/dd>/,
    );
    expect(report).not.toContain('contract dispute');
  });
});

describe.skipIf(!KOHA_SPEC)('access workflow: Koha as the system of record (R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  let ada: KohaAda;
  beforeAll(async () => {
    ({ sim, ada, rt } = await startKohaWithAda());
  });
  afterAll(async () => rt.cleanup());

  it('R18 R19 R7: matched in Koha, verified through the email Koha holds; the report holds Koha’s records and lists both systems', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA_IN_KOHA.email, /confirm your privacy request/);
    expect(await rt.mail.to(ADA.email)).toHaveLength(0); // the records table's copy of her email is not asked
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const ready = await rt.mail.waitFor(ADA_IN_KOHA.email, /are ready/);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.requests.get(body.requestId)).patronId).toBe(`${KOHA_ID}/${ada.patronId}`);

    const report = await (await fetch(linkIn(ready, 'download'))).text();
    expect(report).toContain('Where your records are');
    // Koha: 3 returned checkouts, 1 current, 1 hold; 1 fine; the profile and the username.
    expect(report).toMatch(
      /<dt>Koha catalogue and circulation<\/dt><dd>Found: [^<]*Library records: 5 records; Fines, fees and payments: 1 record\./,
    );
    expect(report).toMatch(/<dt>Privacy Desk records<\/dt><dd>Found: /);
    expect(report).toContain(ADA_IN_KOHA.email); // the profile is Koha's
    expect(report).toContain('ada.koha');
    expect(report).toContain('Overdue fine');
    expect(report).toContain('Still on loan');
    expect(report).toContain('The Difference Engine'); // and the records table's own loans beside Koha's
    expect(sim.violations).toEqual([]);
    expectNoPersonalData(rt, executionOf('access', body.requestId), [ADA]);
  });

  it('R18 R19: a patron only Koha knows: the records table answers not held, and the report says so', async () => {
    const grace = { cardNumber: '29990000000042', lastName: 'Hopper', email: 'grace.hopper@example.org' };
    sim.data.addPatron({
      cardnumber: grace.cardNumber,
      surname: grace.lastName,
      firstname: 'Grace',
      email: grace.email,
    });
    const { body } = await submit(rt, { kind: 'access', cardNumber: grace.cardNumber, lastName: grace.lastName });
    const verify = await rt.mail.waitFor(grace.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const report = await (await fetch(linkIn(await rt.mail.waitFor(grace.email, /are ready/), 'download'))).text();
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.systemResults.get(body.requestId, 'records')).state).toBe('not-held');
    expect(report).toMatch(/<dt>Koha catalogue and circulation<\/dt><dd>Found: Personal information: 1 record\.<\/dd>/);
    expect(report).toContain('<dt>Privacy Desk records</dt><dd>Not held: this system has no record of you.</dd>');
    expect(report).not.toContain('The Difference Engine'); // nobody else's records
  });
});
