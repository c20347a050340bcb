import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDateIn } from '../../functions/domain/age.ts';
import { orderDocumentKey } from '../../functions/domain/court-order.ts';
import { defaultPolicy, policySchema } from '../../functions/domain/policy.ts';
import { createHandler as createApi } from '../../functions/handlers/api-court-orders.ts';
import type { LocalDocumentStore } from '../../local/document-store.ts';
import { renderAccessReport } from '../../functions/render/report.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { apiEvent, awsClaims, bodyOf, COUNSEL, ORDER, pdf } from '../support/court-orders.ts';
import { executionOf } from '../support/executions.ts';
import { eventually, OFFICER, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * R16, R13, R17: court-order documents go when their period after the order's close ends, never while
 * the order's legal hold is active, with an audit event. The truth test: what counsel is shown (the
 * order's view: its period and the first instant its documents may go) is what the scheduled sweep
 * (sweep-court-order-documents, on the runtime's timer) does: a day before that instant the document is
 * there, just after it is gone. The library's period is unlike the default, and one order sets its own,
 * so a view that printed a default, or the library's period for the order's own, fails.
 */
const DAY = 86_400_000;
const TZ = 'America/New_York';
const LIBRARY_DAYS = 45;
const ORDER_DAYS = 60;
const PATRONS = { a: '21234000011007', b: '21234000011010', c: '21234000011020' };

type View = {
  documents: { retentionDays: number; retentionSetBy: string; deleteFrom?: string; deletedAt?: string };
  request?: { requestId: string };
};

describe('court-order documents: their retention (R16, R13)', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };
  beforeAll(async () => {
    rt = await startTestRuntime({
      clock: () => new Date(Date.now() + skew.ms),
      policy: policySchema.parse({
        ...structuredClone(defaultPolicy),
        courtOrders: { documentRetentionDays: LIBRARY_DAYS },
      }),
    });
  });
  afterAll(async () => {
    await rt.cleanup();
  });

  const api = async (method: 'GET' | 'POST', path: string, body?: unknown, who = COUNSEL, groups = ['counsel']) =>
    (await createApi(rt.deps)(
      apiEvent(method, path, awsClaims(who, groups), body),
      lambdaContext('api-court-orders'),
    )) as APIGatewayProxyStructuredResultV2;
  const view = async (orderId: string) => bodyOf<View>(await api('GET', `/api/court-orders/${orderId}`));
  const stored = async (orderId: string) => (rt.deps.documents as LocalDocumentStore).head(orderDocumentKey(orderId));
  const pause = () => new Promise((r) => setTimeout(r, 600)); // several runs of the sweep

  /** Filed, submitted and rejected at review: the order is closed. */
  async function closedOrder(cardNumber: string, overrides: Record<string, unknown>) {
    const created = await api('POST', '/api/court-orders', { ...ORDER, patronCardNumber: cardNumber, ...overrides });
    expect(created.statusCode).toBe(201);
    const { orderId, upload } = bodyOf<{ orderId: string; upload: { fields: Record<string, string> } }>(created);
    await (rt.deps.documents as LocalDocumentStore).store(upload.fields.key as string, pdf(orderId));
    const submitted = await api('POST', `/api/court-orders/${orderId}/submit`);
    expect(submitted.statusCode).toBe(202);
    const { requestId } = bodyOf<{ requestId: string }>(submitted);
    const review = await rt.mail.waitFor(OFFICER, new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`));
    expect(
      (await decideApproval(rt, approvalLinkIn(review), { decision: 'reject', reason: 'Not served.' })).status,
    ).toBe(200);
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('denied');
    expect(await stored(orderId)).toBeDefined();
    return { orderId, requestId };
  }
  /** The court-order statement of an access report, rendered under the runtime's policy. */
  async function courtOrderReportText() {
    const library = await rt.deps.records.library();
    const html = renderAccessReport({
      library,
      generatedAt: new Date().toISOString(),
      requestId: 'req-court-order-documents',
      policy: rt.deps.policy,
      patron: {
        id: 'T-DOCS-1',
        cardNumber: '21234000999998',
        firstName: 'Tess',
        lastName: 'Truth',
        dateOfBirth: '1980-01-01',
        guarantorIds: [],
        securityQuestions: [],
        paymentMethods: [],
        linkedAccounts: [],
      },
      verification: { method: 'email-link', verifiedAt: new Date().toISOString() },
      loans: [],
      holds: [],
      fines: [],
      programs: [],
      donations: [],
      sharedContent: [],
    });
    const section = /<p data-retention="court-order-documents">([^<]*)<\/p>/.exec(html)?.[1];
    expect(section).toBeDefined();
    return section ?? '';
  }
  const deletedEvents = async (requestId: string) =>
    (await rt.deps.audit.list(requestId)).filter((e) => e.type === 'court-order-documents-deleted');
  const skewTo = (instant: string, offsetMs: number) => {
    skew.ms = Date.parse(instant) + offsetMs - Date.now();
  };

  it('R16 R13 R17 what counsel is shown is what the run does: kept a day before, deleted just after, never while the hold is active', async () => {
    const lapsesOn = isoDateIn(new Date(Date.now() + DAY), TZ);
    // a: the library's period; b: its own; c: the library's, with a hold that stays until released.
    const a = await closedOrder(PATRONS.a, { lapsesOn });
    const b = await closedOrder(PATRONS.b, { lapsesOn, documentRetentionDays: ORDER_DAYS });
    const c = await closedOrder(PATRONS.c, {});

    const printed = { a: await view(a.orderId), b: await view(b.orderId), c: await view(c.orderId) };
    expect(printed.a.documents).toMatchObject({ retentionDays: LIBRARY_DAYS, retentionSetBy: 'library' });
    expect(printed.b.documents).toMatchObject({ retentionDays: ORDER_DAYS, retentionSetBy: 'order' });
    expect(printed.c.documents).toMatchObject({ retentionDays: LIBRARY_DAYS, retentionSetBy: 'library' });
    const from = (v: View) => v.documents.deleteFrom as string;
    for (const v of Object.values(printed)) expect(Date.parse(from(v))).toBeGreaterThan(Date.now());
    // R18: every patron's access report prints the library's period (read back from the rendered report),
    // and it is the one counsel is shown, counted from the close: the instant the run is held to below.
    const reportDays = Number(/for (\d+) days after it has finished with it/.exec(await courtOrderReportText())?.[1]);
    expect(reportDays).toBe(printed.a.documents.retentionDays);
    const closedA = (await rt.deps.requests.findStored(a.requestId))?.closedAt as string;
    expect(Date.parse(from(printed.a)) - Date.parse(closedA)).toBe(reportDays * DAY);

    // A day before the printed instant: every document is still there.
    skewTo(from(printed.a), -DAY);
    await pause();
    for (const o of [a, b, c]) expect(await stored(o.orderId), o.orderId).toBeDefined();
    expect(await deletedEvents(a.requestId)).toEqual([]);

    // Just after it: a's goes, with its audit event; b's own period runs on; c is held (R13).
    skewTo(from(printed.a), 60_000);
    // The file goes first, then its audit event: wait for both.
    await eventually(async () => ((await stored(a.orderId)) === undefined ? true : undefined), 20_000, 'a deleted');
    const [event] = await eventually(
      async () => ((await deletedEvents(a.requestId)).length ? deletedEvents(a.requestId) : undefined),
      20_000,
      "a's audit event",
    );
    expect(event?.data).toEqual({
      orderId: a.orderId,
      versions: 1,
      retentionDays: LIBRARY_DAYS,
      closedAt: (await rt.deps.requests.findStored(a.requestId))?.closedAt,
      deleteFrom: from(printed.a),
    });
    await eventually(async () => (await view(a.orderId)).documents.deletedAt, 20_000, 'a recorded as deleted');
    await pause();
    expect(await stored(b.orderId)).toBeDefined();
    expect(await stored(c.orderId)).toBeDefined();
    expect(await rt.deps.holds.isHeld('P1020')).toBe(true);

    // b: a day before its own printed instant, kept; just after, gone.
    skewTo(from(printed.b), -DAY);
    await pause();
    expect(await stored(b.orderId)).toBeDefined();
    skewTo(from(printed.b), 60_000);
    await eventually(async () => ((await stored(b.orderId)) === undefined ? true : undefined), 20_000, 'b deleted');
    await eventually(async () => ((await deletedEvents(b.requestId)).length ? true : undefined), 20_000, "b's event");
    expect((await deletedEvents(b.requestId)).map((e) => e.data?.retentionDays)).toEqual([ORDER_DAYS]);
    expect(await stored(c.orderId)).toBeDefined();

    // c: its period is long over; once counsel and the privacy officer release the hold, it goes.
    expect((await api('POST', `/api/court-orders/${c.orderId}/release-hold`)).statusCode).toBe(202);
    expect(
      (await api('POST', `/api/court-orders/${c.orderId}/release-hold`, undefined, OFFICER, ['privacy-officer']))
        .statusCode,
    ).toBe(200);
    await eventually(async () => ((await stored(c.orderId)) === undefined ? true : undefined), 20_000, 'c deleted');

    // Once each, and nothing left for the sweep; the trail stays whole and names no patron (R5, R17).
    await eventually(
      async () => ((await rt.deps.orders.ordersWithKeptDocuments()).length === 0 ? true : undefined),
      20_000,
      'nothing left to sweep',
    );
    await pause();
    for (const o of [a, b, c]) {
      expect(await deletedEvents(o.requestId)).toHaveLength(1);
      expect((await rt.deps.audit.check(o.requestId)).ok).toBe(true);
      const trail = JSON.stringify(await deletedEvents(o.requestId));
      for (const card of Object.values(PATRONS)) expect(trail).not.toContain(card);
    }
    expect(await rt.deps.orders.ordersWithKeptDocuments()).toEqual([]);
  });
});
