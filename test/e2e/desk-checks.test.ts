import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAFF_DESK_TRAIL } from '../../functions/app/staff-permissions.ts';
import { localToken, postFormAsBrowser } from '../support/http.ts';
import {
  ADA,
  CIRCULATION,
  DESK,
  eventually,
  HAROLD,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * Who may act at the desk, and files handed over there, through HTTP as staff use the desk, with
 * the real workflows (ASL through the local engine), dynalite and local SES:
 * - R1, R12: each action's roles; a refusal is a 403 problem on the audit trail.
 * - R4, R6: a desk report, export or contact change waits for a second, different staff member or
 *   the patron's own email link; nothing is released or changed before.
 * - R1, R17: a file for a patron with no email: one single-use link per staff member, every download
 *   audited, the request completed by the hand-over, which revokes the other links.
 */
const PRIYA = { cardNumber: '21234000011003', lastName: 'Natarajan', email: 'priya.natarajan@example.com' };
const SAM = { cardNumber: '21234000011004', lastName: "O'Brien" };
const DIRECTOR = 'director@library.example';
const COUNSEL = 'counsel@library.example';
const LUCIA = 'lucia.ferreira@library.example';

type Json = Record<string, unknown>;

describe('who may act at the desk, and files handed over there', () => {
  let rt: TestRuntime;
  let officer: string;
  let desk: string;
  beforeAll(async () => {
    rt = await startTestRuntime();
    officer = await localToken(rt.baseUrl, OFFICER, ['privacy-officer']);
    desk = await localToken(rt.baseUrl, DESK, ['circulation']);
  });
  afterAll(async () => rt.cleanup());

  const api = async (method: 'GET' | 'POST', path: string, bearer: string, body?: unknown) => {
    const res = await fetch(`${rt.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Json & { requestId: string; statusUrl: string } };
  };
  const atDesk = (body: Json, bearer = desk) => api('POST', '/api/staff/requests', bearer, body);
  const trail = (requestId: string) => rt.deps.audit.list(requestId);
  const hasEvent = (requestId: string, type: string) =>
    eventually(async () => ((await trail(requestId)).some((e) => e.type === type) ? true : undefined), 15_000, type);

  it('R1 R12: circulation may not extend a deadline and counsel may not make a desk request: 403, audited; the page is offered only what the role may do', async () => {
    const s = await submit(rt, { kind: 'deletion', cardNumber: SAM.cardNumber, lastName: SAM.lastName });
    await hasEvent(s.body.requestId, 'verification-requested');
    const path = `/api/staff/requests/${s.body.requestId}/extend`;
    const refused = await api('POST', path, desk, { days: 10, reason: 'The annex is closed this week.' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ status: 403, title: 'Forbidden' });
    expect((await rt.deps.requests.get(s.body.requestId)).extension).toBeUndefined();
    expect((await trail(s.body.requestId)).find((e) => e.type === 'staff-action-refused')).toMatchObject({
      actor: { kind: 'staff', id: DESK, role: 'circulation' },
      data: { action: 'extend-deadline' },
    });
    const director = await localToken(rt.baseUrl, DIRECTOR, ['director']);
    expect((await api('POST', path, director, { days: 10, reason: 'The annex is closed this week.' })).status).toBe(
      200,
    );

    const counsel = await localToken(rt.baseUrl, COUNSEL, ['counsel']);
    const byCounsel = await atDesk(
      { kind: 'deletion', cardNumber: ADA.cardNumber, lastName: ADA.lastName, documentKind: 'photo-id' },
      counsel,
    );
    expect(byCounsel.status).toBe(403);
    expect((await trail(STAFF_DESK_TRAIL)).at(-1)).toMatchObject({
      type: 'staff-action-refused',
      actor: { kind: 'staff', id: COUNSEL },
      data: { action: 'desk-request' },
    });
    expect(await rt.deps.requests.listByPatron(ADA.id)).toEqual([]);

    // What the desk page offers each role.
    const actions = async (bearer: string) =>
      (await api('GET', '/api/staff/requests', bearer)).body.actions as string[];
    expect(await actions(desk)).toEqual(['desk-request', 'second-approval', 'hand-over']);
    expect(await actions(officer)).toEqual(['extend-deadline', 'desk-request', 'second-approval', 'hand-over']);
    expect(await actions(counsel)).toEqual([]);
    const detail = await api('GET', `/api/staff/requests/${s.body.requestId}`, desk);
    expect(detail.body).toMatchObject({ canExtend: false, patronDetails: 'not-assigned' });
  });

  it('R4 R6: a desk export by one staff member alone releases nothing; the same person cannot be the second; another signed-in staff member releases it', async () => {
    const made = await atDesk({
      kind: 'export',
      cardNumber: ADA.cardNumber,
      lastName: ADA.lastName,
      documentKind: 'photo-id',
      confirmation: 'second-staff',
    });
    expect(made.status).toBe(202);
    const { requestId } = made.body;
    await hasEvent(requestId, 'desk-check-requested');
    // The workflow waits in its verification step: no file, no link, no email to the patron.
    const waiting = await rt.deps.requests.get(requestId);
    expect(waiting.status).toBe('awaiting-staff');
    expect((await rt.deps.tokens.listOfRequest(requestId)).map((t) => t.purpose)).toEqual(['approve']);
    expect(await rt.mail.to(ADA.email)).toEqual([]);
    const page = await api('GET', `/api/staff/requests/${requestId}`, officer);
    expect(page.body).toMatchObject({ canApprove: true, deskCheck: { via: 'second-staff', madeBy: DESK } });
    expect((await api('GET', `/api/staff/requests/${requestId}`, desk)).body.canApprove).toBe(false);

    // The same person, even signed in afresh, is not a second staff member.
    const signedInAgain = await localToken(rt.baseUrl, DESK, ['circulation']);
    for (const bearer of [desk, signedInAgain]) {
      const self = await api('POST', `/api/staff/requests/${requestId}/approve`, bearer);
      expect(self.status).toBe(403);
      expect(self.body.title).toBe('Another staff member must approve');
    }
    expect((await trail(requestId)).filter((e) => e.type === 'staff-action-refused')).toHaveLength(1);
    expect((await rt.deps.tokens.listOfRequest(requestId)).map((t) => t.purpose)).toEqual(['approve']);
    expect(await rt.mail.to(ADA.email)).toEqual([]);

    const lucia = await localToken(rt.baseUrl, LUCIA, ['circulation']);
    const approved = await api('POST', `/api/staff/requests/${requestId}/approve`, lucia);
    expect(approved.status).toBe(200);
    await waitForStatus(rt, made.body.statusUrl, 'completed');
    await rt.mail.waitFor(ADA.email, /data export .* is ready/);
    const record = await rt.deps.requests.get(requestId);
    expect(record.deskCheck).toMatchObject({ via: 'second-staff', firstStaffId: DESK, secondStaffId: LUCIA });
    expect(record.deskCheck?.secondSub).toBeDefined();
    expect(record.deskCheck?.secondSub).not.toBe(record.deskCheck?.firstSub);
    expect((await trail(requestId)).find((e) => e.type === 'desk-check-approved')).toMatchObject({
      actor: { kind: 'staff', id: LUCIA },
      data: { via: 'second-staff', firstSub: record.deskCheck?.firstSub, secondSub: record.deskCheck?.secondSub },
    });
    // Approved once: a second approval finds nothing waiting.
    expect((await api('POST', `/api/staff/requests/${requestId}/approve`, officer)).status).toBe(409);
  });

  it('R4 R6 R7: a desk access report confirmed by the patron through the email on file is released; a patron with no email needs a second staff member', async () => {
    const made = await atDesk({
      kind: 'access',
      cardNumber: PRIYA.cardNumber,
      lastName: PRIYA.lastName,
      documentKind: 'known-to-staff',
      confirmation: 'patron-email',
    });
    expect(made.status).toBe(202);
    const { requestId } = made.body;
    const ask = await rt.mail.waitFor(PRIYA.email, /Please confirm your privacy request/);
    expect(await rt.deps.tokens.listOfRequest(requestId)).toEqual([
      expect.objectContaining({ purpose: 'verify-identity', step: 'desk-check' }),
    ]);
    // Nothing released yet: no report link.
    expect((await rt.mail.to(PRIYA.email)).filter((e) => /are ready/.test(e.subject))).toEqual([]);
    // A second staff approval does not stand in for the patron's chosen confirmation.
    expect((await api('POST', `/api/staff/requests/${requestId}/approve`, officer)).status).toBe(409);

    const link = linkIn(ask, 'act');
    expect((await fetch(link)).status).toBe(200);
    expect((await postFormAsBrowser(link, { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(rt, made.body.statusUrl, 'completed');
    await rt.mail.waitFor(PRIYA.email, /are ready/);
    expect(
      (await trail(requestId)).find((e) => e.type === 'identity-verified' && e.actor.kind === 'patron'),
    ).toMatchObject({
      data: { method: 'email-link' },
    });

    const harold = await atDesk({
      kind: 'access',
      cardNumber: HAROLD.cardNumber,
      lastName: HAROLD.lastName,
      documentKind: 'photo-id',
      confirmation: 'patron-email',
    });
    expect(harold.status).toBe(400);
    expect((harold.body.errors as { path: string }[]).map((e) => e.path)).toEqual(['confirmation']);
  });

  it('R6: a desk correction of contact details needs the check; a username correction starts as before', async () => {
    const phone = await atDesk({
      kind: 'correction',
      cardNumber: SAM.cardNumber,
      lastName: SAM.lastName,
      changes: { phone: '203-555-0188' },
      documentKind: 'photo-id',
    });
    expect(phone.status).toBe(400);
    expect((phone.body.errors as { path: string }[]).map((e) => e.path)).toEqual(['confirmation']);
    const bad = await atDesk({
      kind: 'correction',
      cardNumber: SAM.cardNumber,
      lastName: SAM.lastName,
      changes: { phone: '203-555-0188' },
      documentKind: 'photo-id',
      confirmation: 'the-patron-said-so',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toContain('the-patron-said-so');
    const username = await atDesk({
      kind: 'correction',
      cardNumber: SAM.cardNumber,
      lastName: SAM.lastName,
      changes: { username: 'sam-reads' },
      documentKind: 'photo-id',
    });
    expect(username.status).toBe(202);
    expect((await rt.deps.requests.get(username.body.requestId)).deskCheck).toBeUndefined();
  });

  it('R1 R17: a file for a patron with no email: a link per staff member, each download audited and single-use, the request completed by the recorded hand-over', async () => {
    const made = await atDesk({
      kind: 'access',
      cardNumber: HAROLD.cardNumber,
      lastName: HAROLD.lastName,
      documentKind: 'photo-id',
      confirmation: 'second-staff',
    });
    const { requestId } = made.body;
    await hasEvent(requestId, 'desk-check-requested');
    expect((await api('POST', `/api/staff/requests/${requestId}/approve`, officer)).status).toBe(200);
    const subject = new RegExp(`Print and hand over: records report for request ${requestId}`);
    const emails = await Promise.all(CIRCULATION.map((c) => rt.mail.waitFor(c, subject)));
    // One email per person, each to that person alone, each with its own link.
    expect(emails.map((e) => e.destination.to)).toEqual(CIRCULATION.map((c) => [c]));
    const [mine, lucias] = emails.map((e) => linkIn(e, 'download')) as [string, string];
    expect(new Set(emails.map((e) => linkIn(e, 'download'))).size).toBe(CIRCULATION.length);
    await hasEvent(requestId, 'awaiting-hand-over');

    // A GET (a mail scanner, a preview) shows a page and uses nothing up.
    for (let i = 0; i < 2; i++) {
      const opened = await fetch(mine);
      expect(opened.status).toBe(200);
      expect(opened.headers.get('content-type')).toContain('text/html');
      expect(await opened.text()).toContain('Download the file');
    }
    expect((await trail(requestId)).filter((e) => e.type === 'file-downloaded')).toEqual([]);

    // Recording a hand-over before anyone downloaded the file is refused.
    expect(
      (await api('POST', `/api/staff/requests/${requestId}/hand-over`, desk, { documentKind: 'photo-id' })).status,
    ).toBe(409);

    // The POST downloads once, audited with who; a second use of the same link is refused.
    const file = await postFormAsBrowser(mine, { decision: 'download' });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(await file.text()).toContain('Harold');
    expect((await postFormAsBrowser(mine, { decision: 'download' })).status).toBe(410);
    const downloads = (await trail(requestId)).filter((e) => e.type === 'file-downloaded');
    expect(downloads).toEqual([
      expect.objectContaining({ actor: { kind: 'staff', id: DESK, role: 'circulation' }, requestId }),
    ]);
    expect(JSON.stringify(downloads)).not.toContain('Harold');
    // Another person's link is untouched by that download, and the request is not complete on a download.
    expect((await fetch(lucias)).status).toBe(200);
    expect((await rt.deps.requests.get(requestId)).status).toBe('in-progress');

    // Counsel works no desk: refused and audited. Bad input is refused, naming the field only.
    const counsel = await localToken(rt.baseUrl, COUNSEL, ['counsel']);
    expect(
      (await api('POST', `/api/staff/requests/${requestId}/hand-over`, counsel, { documentKind: 'photo-id' })).status,
    ).toBe(403);
    const bad = await api('POST', `/api/staff/requests/${requestId}/hand-over`, desk, { documentKind: 'a scan' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).not.toContain('a scan');

    const handed = await api('POST', `/api/staff/requests/${requestId}/hand-over`, desk, {
      documentKind: 'library-card-and-photo-id',
    });
    expect(handed.status).toBe(200);
    await waitForStatus(rt, made.body.statusUrl, 'completed');
    expect((await rt.deps.requests.get(requestId)).handOver).toMatchObject({
      status: 'done',
      byStaffId: DESK,
      documentKind: 'library-card-and-photo-id',
    });
    expect((await trail(requestId)).find((e) => e.type === 'handed-over')).toMatchObject({
      actor: { kind: 'staff', id: DESK },
      data: { channel: 'in-person', documentKind: 'library-card-and-photo-id' },
    });
    // Handed over: every other link is revoked, and a second hand-over finds nothing to do.
    expect((await fetch(lucias)).status).toBe(410);
    expect((await postFormAsBrowser(lucias, { decision: 'download' })).status).toBe(410);
    expect(
      (await api('POST', `/api/staff/requests/${requestId}/hand-over`, officer, { documentKind: 'photo-id' })).status,
    ).toBe(409);
  });
});
