import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuditEvent } from '../../functions/domain/audit.ts';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { ORDER, pdf } from '../support/court-orders.ts';
import { localToken, postForm } from '../support/http.ts';
import {
  ADA,
  CIRCULATION,
  DESK,
  eventually,
  HAROLD,
  linkIn,
  OFFICER,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * The staff desk over HTTP, signed in with a token from `POST /_local/token` as staff use it:
 * the queue (R1: no personal data), a request's page (R1: the read is audited, R17), a request made
 * at the desk for a patron verified in person (R4), the one deadline extension (R15), and the
 * de-identified statistics (R3).
 */
const PRIYA = {
  id: 'P1003',
  cardNumber: '21234000011003',
  lastName: 'Natarajan',
  firstName: 'Priya',
  email: 'priya.natarajan@example.com',
};
const SAM = {
  id: 'P1004',
  cardNumber: '21234000011004',
  lastName: "O'Brien",
  firstName: 'Samuel',
  email: 'sam.obrien@example.org',
};
const MARCUS = {
  id: 'P1006',
  cardNumber: '21234000011006',
  lastName: 'Bell',
  firstName: 'Marcus',
  email: 'marcus.bell@example.org',
};
const ELEANOR = {
  id: 'P1005',
  cardNumber: '21234000011005',
  lastName: 'Vance',
  firstName: 'Eleanor',
  email: 'eleanor.vance@example.com',
};

type Json = Record<string, unknown>;
type Queue = {
  requests: {
    requestId: string;
    kind: string;
    status: string;
    dueAt: string;
    daysLeft: number;
    overdue: boolean;
    extended: boolean;
  }[];
  truncated: boolean;
};
type Detail = Json & {
  requestId: string;
  patron?: { name: string; cardNumber: string };
  verification?: Json;
  audit: { chain: { ok: boolean }; events: AuditEvent[] };
  pending: { purpose: string; waitingOn: string }[];
  canExtend: boolean;
  history: { type: string }[];
};

/** Every identifying value of the demo patrons the tests touch. */
const IDENTIFIERS: string[] = [ADA, HAROLD, PRIYA, SAM, ELEANOR].flatMap(
  (p: { firstName: string; lastName: string; cardNumber: string; id: string; email?: string }) => [
    p.firstName,
    p.lastName,
    p.cardNumber,
    p.id,
    ...(p.email ? [p.email] : []),
  ],
);

describe('staff desk, end to end', () => {
  let rt: TestRuntime;
  /** R3: statistics cover months that have ended; the stats tests move the clock past this one. */
  const skew = { ms: 0 };
  let officer: string;
  let desk: string;
  beforeAll(async () => {
    rt = await startTestRuntime({ clock: () => new Date(Date.now() + skew.ms) });
    officer = await token(OFFICER, ['privacy-officer']);
    desk = await token(DESK, ['circulation']);
  });
  afterAll(async () => rt.cleanup());

  const url = (path: string) => `${rt.baseUrl}${path}`;
  const token = (email: string, groups: string[]) => localToken(rt.baseUrl, email, groups);
  const api = (method: 'GET' | 'POST', path: string, bearer?: string, body?: unknown) =>
    fetch(url(path), {
      method,
      headers: {
        ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const getJson = async <T>(path: string, bearer = officer): Promise<T> => {
    const res = await api('GET', path, bearer);
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  };
  /** Waits until the request's verification link is out (its step is waiting). */
  const verificationSent = (requestId: string) =>
    eventually(
      async () =>
        (await rt.deps.audit.list(requestId)).some((e) => e.type === 'verification-requested') ? true : undefined,
      10_000,
      'verification sent',
    );
  const atDesk = async (body: Json, bearer = desk) => {
    const res = await api('POST', '/api/staff/requests', bearer, body);
    return {
      status: res.status,
      body: (await res.json()) as Json & { requestId: string; statusUrl: string; errors?: { path: string }[] },
    };
  };

  /** R4, R6: the workflow waits for a desk request's check (a second staff member, or the patron by email). */
  const deskCheckAsked = (requestId: string) =>
    eventually(
      async () =>
        (await rt.deps.audit.list(requestId)).some((e) => e.type === 'desk-check-requested') ? true : undefined,
      10_000,
      'desk check asked',
    );
  /** R4, R6: a desk report or export, approved by a second staff member (the privacy officer) so it goes on. */
  const approvedAtDesk = async (body: Json, bearer = desk) => {
    const made = await atDesk({ confirmation: 'second-staff', ...body }, bearer);
    expect(made.status).toBe(202);
    await deskCheckAsked(made.body.requestId);
    expect((await api('POST', `/api/staff/requests/${made.body.requestId}/approve`, officer)).status).toBe(200);
    return made;
  };

  it('refuses without a token (401) and without a staff role (403), before reading anything', async () => {
    const paths: ['GET' | 'POST', string][] = [
      ['GET', '/api/staff/requests'],
      ['POST', '/api/staff/requests'],
      ['GET', '/api/staff/requests/00000000-0000-4000-8000-000000000000'],
      ['GET', '/api/staff/requests/00000000-0000-4000-8000-000000000000/audit.csv'],
      ['POST', '/api/staff/requests/00000000-0000-4000-8000-000000000000/extend'],
      ['GET', '/api/staff/stats'],
    ];
    // A signed-in person with no staff group: the user pool can hold such an account.
    const noRole = rt.tokens.issue('someone@library.example', []).token;
    for (const [method, path] of paths) {
      const none = await api(method, path);
      expect(none.status, `${method} ${path}`).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect((await api(method, path, 'not.a.token')).status).toBe(401);
      const forbidden = await api(method, path, noRole, method === 'POST' ? {} : undefined);
      expect(forbidden.status, `${method} ${path}`).toBe(403);
      expect(forbidden.headers.get('content-type')).toBe('application/problem+json');
    }
    // Every staff role may use the desk.
    for (const [email, role] of [
      [OFFICER, 'privacy-officer'],
      ['director@library.example', 'director'],
      ['counsel@library.example', 'counsel'],
      [DESK, 'circulation'],
    ] as const) {
      expect((await api('GET', '/api/staff/requests', await token(email, [role]))).status).toBe(200);
    }
  });

  it('the queue: open requests soonest due first, filtered by kind and status, with days left and no personal data (R1)', async () => {
    const a = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const d = await submit(rt, { kind: 'deletion', cardNumber: PRIYA.cardNumber, lastName: PRIYA.lastName });
    const h = await submit(rt, { kind: 'export', cardNumber: HAROLD.cardNumber, lastName: HAROLD.lastName });
    const stranger = await submit(rt, { kind: 'access', cardNumber: '99999999999999', lastName: 'Nobody' });
    await waitForStatus(rt, a.body.statusUrl, 'verifying');
    await waitForStatus(rt, d.body.statusUrl, 'verifying');
    await waitForStatus(rt, stranger.body.statusUrl, 'verifying');
    // Harold has no email: his request waits on the desk (awaiting-staff inside, "verifying" outside).
    await eventually(async () =>
      (await rt.deps.requests.get(h.body.requestId)).status === 'awaiting-staff' ? true : undefined,
    );

    const res = await api('GET', '/api/staff/requests', desk);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const value of IDENTIFIERS) expect(text, value).not.toContain(value);
    const queue = JSON.parse(text) as Queue;
    const ids = queue.requests.map((r) => r.requestId);
    expect(ids).toEqual(expect.arrayContaining([a.body.requestId, d.body.requestId, h.body.requestId]));
    // An unmatched request ends quietly: there is nothing for staff to do.
    expect(ids).not.toContain(stranger.body.requestId);
    const dues = queue.requests.map((r) => r.dueAt);
    expect(dues).toEqual([...dues].sort());
    for (const r of queue.requests) {
      expect(Object.keys(r).sort()).toEqual(
        ['createdAt', 'daysLeft', 'dueAt', 'extended', 'kind', 'overdue', 'paused', 'requestId', 'status'].sort(),
      );
      expect(r.daysLeft).toBeGreaterThanOrEqual(29);
      expect(r.daysLeft).toBeLessThanOrEqual(31);
    }

    const deletions = await getJson<Queue>('/api/staff/requests?kind=deletion');
    expect(deletions.requests.map((r) => r.requestId)).toEqual([d.body.requestId]);
    const atDeskQueue = await getJson<Queue>('/api/staff/requests?status=awaiting-staff');
    expect(atDeskQueue.requests.map((r) => r.requestId)).toEqual([h.body.requestId]);
    expect((await getJson<Queue>('/api/staff/requests?status=completed&kind=correction')).requests).toEqual([]);
    expect((await api('GET', '/api/staff/requests?status=bogus', officer)).status).toBe(400);
    expect((await api('GET', '/api/staff/requests?kind=<script>', officer)).status).toBe(400);
  });

  it("a request's page shows the patron, pending steps and the audit trail; each read is itself audited (R1, R17)", async () => {
    // R7: Ada's access request from the queue test is still open, so this one is another patron's.
    const a = await submit(rt, { kind: 'access', cardNumber: ELEANOR.cardNumber, lastName: ELEANOR.lastName });
    await verificationSent(a.body.requestId);
    const path = `/api/staff/requests/${a.body.requestId}`;

    // R1: circulation holds no task on this request, so it reads the request but not the patron's details.
    const first = await getJson<Detail>(path, desk);
    expect(first.patron).toBeUndefined();
    expect(first.patronDetails).toBe('not-assigned');
    expect(JSON.stringify(first)).not.toContain(ELEANOR.cardNumber);
    expect(first.pending).toEqual([expect.objectContaining({ purpose: 'verify-identity', waitingOn: 'patron' })]);
    // R1, R12: the request can be extended, but not by circulation: the page does not offer it.
    expect(first.canExtend).toBe(false);
    expect(first.audit.chain.ok).toBe(true);
    const reads = (events: AuditEvent[]) => events.filter((e) => e.type === 'staff-read');
    expect(reads(first.audit.events)).toHaveLength(1);
    expect(reads(first.audit.events)[0]).toMatchObject({
      actor: { kind: 'staff', id: DESK, role: 'circulation' },
      data: { purpose: 'staff-request-page', fields: [] },
    });
    // History is what happened to the request; reads are on the audit trail only.
    expect(first.history.map((e) => e.type)).toEqual(
      expect.arrayContaining(['request-received', 'patron-matched', 'verification-requested']),
    );
    expect(first.history.map((e) => e.type)).not.toContain('staff-read');

    const asOfficer = await getJson<Detail>(path, officer);
    expect(asOfficer.patron).toMatchObject({
      name: 'Eleanor Vance',
      cardNumber: ELEANOR.cardNumber,
      emailOnFile: true,
    });
    const trail = await rt.deps.audit.list(a.body.requestId);
    expect(reads(trail).map((e) => e.actor.id)).toEqual([DESK, OFFICER]);
    expect((await rt.deps.audit.check(a.body.requestId)).ok).toBe(true);
    // The audit trail itself holds no personal data (R16).
    const trailText = JSON.stringify(trail);
    for (const value of [ELEANOR.firstName, ELEANOR.lastName, ELEANOR.cardNumber, ELEANOR.email])
      expect(trailText).not.toContain(value);

    // The CSV download is the same chain, and taking it is recorded too.
    const csv = await api('GET', `${path}/audit.csv`, officer);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="audit-${a.body.requestId}.csv"`);
    const lines = (await csv.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('requestId,seq,at,eventId,type,actorKind,actorId,actorRole,data,prevHash,hash');
    expect(lines.some((l) => l.includes('staff-read'))).toBe(true);
    expect(reads(await rt.deps.audit.list(a.body.requestId))).toHaveLength(3);

    expect((await api('GET', '/api/staff/requests/00000000-0000-4000-8000-000000000000', officer)).status).toBe(404);
    expect((await api('GET', '/api/staff/requests/not-a-uuid', officer)).status).toBe(400);
  });

  it('a request made at the desk starts verified in person (R4) and completes without any verification email', async () => {
    // R4, R6: an access report made at the desk goes on once a second staff member approves it.
    const made = await approvedAtDesk({
      kind: 'access',
      cardNumber: ADA.cardNumber,
      lastName: 'lovelace',
      documentKind: 'photo-id',
    });
    expect(made.body).toMatchObject({ kind: 'access', status: 'received' });
    await waitForStatus(rt, made.body.statusUrl, 'completed');
    await rt.mail.waitFor(ADA.email, /are ready/);
    // No link was issued for this request but the second approval and the report's: nobody was asked
    // to verify by email or at the desk.
    expect((await rt.deps.tokens.listOfRequest(made.body.requestId)).map((t) => t.purpose)).toEqual([
      'approve',
      'download',
    ]);
    expect(
      (await rt.mail.all()).filter(
        (e) => /In-person verification/.test(e.subject) && e.subject.includes(made.body.requestId),
      ),
    ).toEqual([]);

    const r = await rt.deps.requests.get(made.body.requestId);
    expect(r.verification).toMatchObject({
      method: 'in-person',
      verifiedByRole: 'circulation',
      verifiedByStaffId: DESK,
      documentKind: 'photo-id',
    });
    expect(r.submitted).toBeUndefined(); // the match step still matched, and erased what was typed (R5)
    expect(r.patronId).toBe(ADA.id);
    expect(r.closedAt).toBeDefined();
    const trail = await rt.deps.audit.list(made.body.requestId);
    expect(trail.map((e) => e.type)).toEqual(
      // R4, R6: the verification step waited for the second staff member instead of moving on by itself.
      expect.arrayContaining(['request-received', 'identity-verified', 'patron-matched', 'desk-check-approved']),
    );
    expect(trail.map((e) => e.type)).not.toContain('verification-requested');
    expect(trail.find((e) => e.type === 'identity-verified')).toMatchObject({
      actor: { kind: 'staff', id: DESK, role: 'circulation' },
      data: { method: 'in-person', documentKind: 'photo-id' },
    });

    // A patron with no email on file: done at the desk too, with no in-person task sent to anyone.
    // R1: the report goes to each circulation member on their own link, and the request completes
    // on the hand-over (test/e2e/desk-hand-over.test.ts), so here it waits in progress.
    const harold = await approvedAtDesk({
      kind: 'access',
      cardNumber: HAROLD.cardNumber,
      lastName: HAROLD.lastName,
      documentKind: 'library-card-and-photo-id',
    });
    await eventually(async () =>
      (await rt.deps.audit.list(harold.body.requestId)).some((e) => e.type === 'awaiting-hand-over') ? true : undefined,
    );
    const afterHarold = await rt.mail.all();
    expect(
      afterHarold.filter((e) => e.subject.includes(harold.body.requestId) && /In-person verification/.test(e.subject)),
    ).toEqual([]);
    expect((await rt.deps.tokens.listOfRequest(harold.body.requestId)).map((t) => t.purpose)).toEqual([
      'approve',
      ...CIRCULATION.map(() => 'download'),
    ]);
    expect(
      afterHarold.filter(
        (e) => e.subject === `Print and hand over: records report for request ${harold.body.requestId}`,
      ),
    ).toHaveLength(CIRCULATION.length);
  });

  it('refuses a desk request that is incomplete or names nobody, field by field', async () => {
    const missing = await atDesk({ kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    expect(missing.status).toBe(400);
    // R4, R6: an access report also says who confirms it besides the staff member.
    expect(missing.body.errors?.map((e) => e.path)).toEqual(['documentKind', 'confirmation']);
    const wrong = await atDesk({
      kind: 'access',
      cardNumber: ADA.cardNumber,
      lastName: 'Byron',
      documentKind: 'photo-id',
      confirmation: 'second-staff',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors?.map((e) => e.path)).toEqual(['cardNumber', 'lastName']);
    const third = await atDesk({
      kind: 'third-party',
      requester: { name: 'X', email: 'x@example.com' },
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['personal'],
      purpose: 'x',
      documentKind: 'photo-id',
    });
    expect(third.status).toBe(400);
    expect(third.body.errors?.map((e) => e.path)).toContain('kind');
    const bad = await atDesk({ kind: 'access', cardNumber: 'abc', lastName: '', documentKind: 'scan-of-passport' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.path).sort()).toEqual(['cardNumber', 'documentKind', 'lastName']);
  });

  it('extends a deadline once, with a reason, and tells the requester the new date (R15); a second is 409', async () => {
    const s = await submit(rt, { kind: 'access', cardNumber: SAM.cardNumber, lastName: SAM.lastName });
    await verificationSent(s.body.requestId);
    const before = await rt.deps.requests.get(s.body.requestId);
    const path = `/api/staff/requests/${s.body.requestId}/extend`;
    const reason = 'The records are held off-site at the Zebulon Street annex and need retrieval.';

    expect((await api('POST', path, officer, { days: 0, reason })).status).toBe(400);
    expect((await api('POST', path, officer, { days: 61, reason })).status).toBe(400);
    expect((await api('POST', path, officer, { days: 14 })).status).toBe(400);

    const res = await api('POST', path, officer, { days: 14, reason });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { dueAt: string; previousDueAt: string; requesterNotified: boolean };
    expect(body.requesterNotified).toBe(true);
    expect(body.previousDueAt).toBe(before.dueAt);
    expect(Date.parse(body.dueAt)).toBeGreaterThanOrEqual(Date.parse(before.dueAt) + 14 * 86_400_000);

    const told = await rt.mail.waitFor(SAM.email, /needs more time/);
    const readable = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      weekday: 'long',
      year: 'numeric',
      month: 'long',
      day: 'numeric',
    }).format(new Date(body.dueAt));
    expect(told.body.text).toContain(readable);
    expect(told.body.text).toContain(reason);
    expect(told.body.text).toContain(s.body.requestId);

    const again = await api('POST', path, officer, { days: 5, reason: 'more' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { title: string }).title).toBe('Already extended');

    const after = await rt.deps.requests.get(s.body.requestId);
    expect(after.extension).toMatchObject({ days: 14, reason, byStaffId: OFFICER, previousDueAt: before.dueAt });
    // The reason may name people: it stays on the request, never on the audit trail.
    const trail = await rt.deps.audit.list(s.body.requestId);
    const event = trail.find((e) => e.type === 'deadline-extended');
    expect(event).toMatchObject({
      actor: { kind: 'staff', id: OFFICER },
      data: { days: 14, previousDueAt: before.dueAt, requesterNotified: 'email' },
    });
    expect(JSON.stringify(trail)).not.toContain('Zebulon');
    expect(
      (await getJson<Queue>('/api/staff/requests?kind=access')).requests.find((r) => r.requestId === s.body.requestId)
        ?.extended,
    ).toBe(true);

    // A closed request cannot be extended.
    const closed = await approvedAtDesk({
      kind: 'access',
      cardNumber: PRIYA.cardNumber,
      lastName: PRIYA.lastName,
      documentKind: 'known-to-staff',
    });
    await waitForStatus(rt, closed.body.statusUrl, 'completed');
    const late = await api('POST', `/api/staff/requests/${closed.body.requestId}/extend`, officer, {
      days: 3,
      reason: 'x',
    });
    expect(late.status).toBe(409);
  });

  it('R1 a circulation member sees the patron only while holding a task on the request (the in-person verification)', async () => {
    const h = await submit(rt, { kind: 'access', cardNumber: HAROLD.cardNumber, lastName: HAROLD.lastName });
    await eventually(async () =>
      (await rt.deps.tokens.listOfRequest(h.body.requestId)).some((t) => t.recipient.id === DESK) ? true : undefined,
    );
    const path = `/api/staff/requests/${h.body.requestId}`;
    const withTask = await getJson<Detail>(path, desk);
    expect(withTask.patron).toMatchObject({ name: 'Harold Jenkins', cardNumber: HAROLD.cardNumber });
    // The director reads every request's details; counsel, with no task, does not.
    const director = await getJson<Detail>(path, await token('director@library.example', ['director']));
    expect(director.patron).toMatchObject({ cardNumber: HAROLD.cardNumber });
    const counsel = await getJson<Detail>(path, await token('counsel@library.example', ['counsel']));
    expect(counsel.patron).toBeUndefined();
    expect(JSON.stringify(counsel)).not.toContain(HAROLD.cardNumber);
  });

  it('R13a, R1 a held deletion shows no trace of the hold to circulation staff: page and audit CSV read as an ordinary wait', async () => {
    await rt.deps.holds.place({
      holdId: 'H-staff-view',
      patronId: MARCUS.id,
      placedBy: 'counsel@library.example',
      nondisclosure: true,
    });
    const d = await submit(rt, { kind: 'deletion', cardNumber: MARCUS.cardNumber, lastName: MARCUS.lastName });
    const verify = await rt.mail.waitFor(MARCUS.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const approval = await eventually(async () =>
      (await rt.mail.to(OFFICER)).find(
        (e) => /Decision needed on a deletion plan/.test(e.subject) && e.body.text?.includes(d.body.requestId),
      ),
    );
    expect((await decideApproval(rt, approvalLinkIn(approval), { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, d.body.statusUrl, 'waiting');

    const path = `/api/staff/requests/${d.body.requestId}`;
    const traces = /legal-hold|court|order|"mode":"blocked"|:blocked:/i;
    // The privacy officer may see court orders: the hold is named there, so the check below can fail.
    expect(JSON.stringify(await getJson<Detail>(path, officer))).toMatch(/legal-hold/);
    const page = JSON.stringify(await getJson<Detail>(path, desk));
    expect(page).not.toMatch(traces);
    const csv = await api('GET', `${path}/audit.csv`, desk);
    expect(csv.status).toBe(200);
    expect(await csv.text()).not.toMatch(traces);
  });

  it('statistics: counts by kind, status and month, median days, overdue; small counts "<5", no identifiers (R3); CSV', async () => {
    // Five more completed desk requests, so some counts reach 5 and the median can be shown.
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await approvedAtDesk({
        kind: 'access',
        cardNumber: PRIYA.cardNumber,
        lastName: PRIYA.lastName,
        documentKind: 'photo-id',
      });
      made.push(r.body.requestId);
      await waitForStatus(rt, r.body.statusUrl, 'completed');
    }
    // R3: whole months that have ended: the report is read once this month is over.
    skew.ms = 40 * 86_400_000;
    const later = { officer: await token(OFFICER, ['privacy-officer']), desk: await token(DESK, ['circulation']) };
    type Stats = Json & {
      total: unknown;
      byKind: Record<string, unknown>;
      byStatus: Record<string, unknown>;
      byMonth: Record<string, unknown>;
    };
    const month = new Date().toISOString().slice(0, 7);
    // This month alone: its own table, every count under 5 as "<5".
    const res = await api('GET', `/api/staff/stats?from=${month}&to=${month}`, later.desk);
    expect(res.status).toBe(200);
    const text = await res.text();
    const stats = JSON.parse(text) as Stats;
    expect(typeof stats.byKind.access).toBe('number');
    expect(stats.byKind.access as number).toBeGreaterThanOrEqual(10);
    expect(stats.byKind.correction).toBe('<5');
    expect(stats.byKind.deletion).toBe('<5'); // one deletion: shown only as "<5"
    expect(stats.byStatus.completed as number).toBeGreaterThanOrEqual(5);
    expect(stats.byStatus.cancelled).toBe('<5');
    expect(typeof stats.medianDaysToComplete).toBe('number');
    expect(stats.medianDaysToComplete as number).toBeLessThan(1);
    expect(stats.overdue).toBe('<5');
    expect(stats.byMonth).toEqual({ [month]: stats.total });
    // No identifier at all: no request id, patron id, staff email or patron detail.
    const trails = await Promise.all(made.map((id) => rt.deps.requests.get(id)));
    for (const r of trails) expect(text).not.toContain(r.requestId);
    for (const value of [...IDENTIFIERS, DESK, OFFICER, '@']) expect(text).not.toContain(value);
    for (const value of Object.values(stats.byKind))
      expect(value === '<5' || value === 'hidden' || (typeof value === 'number' && value >= 5)).toBe(true);

    // R3: the default twelve months. Each month shows its own total; a figure over the twelve is
    // their sum only where every month shows it as a number, so a month under 5 hides it.
    const year = await getJson<Stats>('/api/staff/stats', later.desk);
    expect(Object.keys(year.byMonth)).toHaveLength(12);
    expect(year.byMonth[month]).toBe(stats.total);
    expect(Object.values(year.byMonth)).toContain('<5');
    expect(year.total).toBe('hidden');
    expect(year.byKind.access).toBe('hidden');
    expect(year).toMatchObject({ completed: 'hidden', medianDaysToComplete: null });

    // Months with nothing in them: each month's count is "<5"; their sum is hidden, and no median.
    const empty = await getJson<Json>('/api/staff/stats?from=2020-01-01&to=2020-03-31', later.officer);
    expect(empty).toMatchObject({ total: 'hidden', completed: 'hidden', medianDaysToComplete: null });
    expect(empty.byMonth).toEqual({ '2020-01': '<5', '2020-02': '<5', '2020-03': '<5' });
    expect(await getJson<Json>('/api/staff/stats?from=2020-02&to=2020-02', later.officer)).toMatchObject({
      total: '<5',
      completed: '<5',
      medianDaysToComplete: null,
    });
    expect((await api('GET', '/api/staff/stats?from=2026-05-01&to=2026-01-01', later.officer)).status).toBe(400);
    expect((await api('GET', '/api/staff/stats?from=2020-01-01&to=2026-01-01', later.officer)).status).toBe(400);
    expect((await api('GET', '/api/staff/stats?from=yesterday', later.officer)).status).toBe(400);

    const csv = await api('GET', `/api/staff/stats?from=${month}&to=${month}&format=csv`, later.officer);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(
      /^attachment; filename="privacy-desk-statistics-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const rows = (await csv.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(rows[0]).toBe('section,key,value');
    expect(rows).toContain('kind,correction,<5');
    expect(rows.some((r) => /^kind,access,\d+$/.test(r))).toBe(true);
    expect(rows.some((r) => /^completion,median-days-to-complete,\d+(\.\d)?$/.test(r))).toBe(true);
    expect(rows.join('\n')).not.toContain('@');
    skew.ms = 0;
  });

  it('R3 statistics by whole month: two ranges a day apart cannot tell the day an order arrived; court-order rows only for the roles that may see them', async () => {
    const counsel = await token('counsel@library.example', ['counsel']);
    const created = await api('POST', '/api/court-orders', counsel, { ...ORDER, patronCardNumber: PRIYA.cardNumber });
    expect(created.status).toBe(201);
    const { orderId, upload } = (await created.json()) as {
      orderId: string;
      upload: { url: string; fields: Record<string, string> };
    };
    const form = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(pdf('stats'))], { type: 'application/pdf' }), 'order.pdf');
    expect((await fetch(upload.url, { method: 'POST', body: form })).status).toBe(204);
    expect((await api('POST', `/api/court-orders/${orderId}/submit`, counsel)).status).toBe(202);

    // The day it arrived and the day next to it, in the same month.
    const day = new Date().toISOString().slice(0, 10);
    const next = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const pair =
      next.slice(0, 7) === day.slice(0, 7)
        ? [day, next]
        : [new Date(Date.parse(day) - 86_400_000).toISOString().slice(0, 10), day];
    skew.ms = 40 * 86_400_000;
    try {
      const later = { officer: await token(OFFICER, ['privacy-officer']), desk: await token(DESK, ['circulation']) };
      const report = async (d: string, bearer: string) => {
        const { generatedAt: _at, ...rest } = await getJson<Json>(`/api/staff/stats?from=${d}&to=${d}`, bearer);
        return rest;
      };
      // The sweeps move requests on once the clock has jumped: compare two reads taken back to back.
      const [a, b] = await eventually(async () => {
        const x = await report(pair[0] as string, later.officer);
        const y = await report(pair[1] as string, later.officer);
        return JSON.stringify(x) === JSON.stringify(y) ? [x, y] : undefined;
      }, 5_000);
      expect(a.byKind).toHaveProperty('court-order');
      expect(b).toEqual(a);
      // Circulation may not see court orders: no court-order row, in JSON or CSV.
      const desk = await report(pair[0] as string, later.desk);
      expect(desk.byKind).not.toHaveProperty('court-order');
      const csv = await api('GET', `/api/staff/stats?from=${pair[0]}&to=${pair[0]}&format=csv`, later.desk);
      expect(await csv.text()).not.toContain('court-order');
    } finally {
      skew.ms = 0;
    }
  });

  it('the staff page is served', async () => {
    const page = await fetch(url('/staff.html'));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="/staff.js" defer></script>');
    expect((await fetch(url('/staff.js'))).headers.get('content-type')).toBe('text/javascript');
    // The public status view of a desk request is the same as any other.
    const made = await atDesk({
      kind: 'export',
      cardNumber: SAM.cardNumber,
      lastName: SAM.lastName,
      documentKind: 'photo-id',
      confirmation: 'second-staff',
    });
    expect(Object.keys(await statusOf(rt, made.body.statusUrl)).sort()).toEqual(
      expect.arrayContaining(['createdAt', 'dueAt', 'kind', 'requestId', 'status']),
    );
  });
});
