import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDateIn } from '../../functions/domain/age.ts';
import { createHandler as createApi } from '../../functions/handlers/api-court-orders.ts';
import { noticeByOtherMeansEmail, patronDisclosureNoticeEmail } from '../../functions/render/court-order-emails.ts';
import type { LocalDocumentStore } from '../../local/document-store.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { apiEvent, awsClaims, bodyOf, COUNSEL, DIRECTOR, ORDER, pdf } from '../support/court-orders.ts';
import { executionOf } from '../support/executions.ts';
import { eventually, OFFICER, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * R13a: an order that forbids notice until a day. workflows/court-order.asl.json on the local engine with
 * the real handlers, dynalite and the local SES; the scheduled sweep (sweep-disclosure-notices) on the
 * runtime's timer. Until the day has passed the patron hears nothing; then they get the notice an
 * unsealed order sends at disclosure, once; a patron without email is told through the privacy officer.
 */
const YUKI = { id: 'P1007', cardNumber: '21234000011007', email: 'yuki.tanaka@example.com' };
const HAROLD = { id: 'P1002', cardNumber: '21234000011002' };
const SAMUEL = { id: 'P1004', cardNumber: '21234000011004', email: 'sam.obrien@example.org' };
const HANNAH = { id: 'P1023', cardNumber: '21234000011023', email: 'hannah.goldberg@example.com' };
const TZ = 'America/New_York';
const DAY = 86_400_000;

describe('court order: the notice when nondisclosure ends (R13a)', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };
  const now = () => new Date(Date.now() + skew.ms);
  beforeAll(async () => {
    rt = await startTestRuntime({ clock: now });
  });
  afterAll(async () => {
    await rt.cleanup();
  });

  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    (await createApi(rt.deps)(
      apiEvent(method, path, awsClaims(COUNSEL, ['counsel']), body),
      lambdaContext('api-court-orders'),
    )) as APIGatewayProxyStructuredResultV2;

  async function fileOrder(cardNumber: string, overrides: Record<string, unknown>) {
    const created = await api('POST', '/api/court-orders', { ...ORDER, patronCardNumber: cardNumber, ...overrides });
    expect(created.statusCode).toBe(201);
    const { orderId, upload } = bodyOf<{ orderId: string; upload: { fields: Record<string, string> } }>(created);
    await (rt.deps.documents as LocalDocumentStore).store(upload.fields.key as string, pdf(orderId));
    const submitted = await api('POST', `/api/court-orders/${orderId}/submit`);
    expect(submitted.statusCode).toBe(202);
    return { orderId, requestId: bodyOf<{ requestId: string }>(submitted).requestId };
  }
  const decide = async (to: string, step: RegExp, decision: 'approve' | 'reject') => {
    const link = approvalLinkIn(await rt.mail.waitFor(to, step));
    const fields: Record<string, string> = { decision, ...(decision === 'reject' ? { reason: 'Not served.' } : {}) };
    expect((await decideApproval(rt, link, fields)).status).toBe(200);
  };
  async function approveBoth(requestId: string) {
    await decide(OFFICER, new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`), 'approve');
    await decide(
      DIRECTOR,
      new RegExp(`court order \\(authorisation to disclose\\) \\(request ${requestId}\\)`),
      'approve',
    );
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('completed');
  }
  const mailTo = async (address: string) => rt.mail.to(address);
  const about = async (address: string, requestId: string) =>
    (await rt.mail.to(address)).filter((e) => e.subject.includes(requestId));
  const settled = (orderId: string) =>
    eventually(async () => (await rt.deps.orders.get(orderId)).noticeSettledAt, 20_000, 'the notice settled');
  /** The notice an unsealed order sends at disclosure, rendered by the code for this order. */
  async function expectedNotice(orderId: string, requestId: string) {
    const order = await rt.deps.orders.get(orderId);
    const library = await rt.deps.records.library();
    const delivered = (await rt.deps.audit.list(requestId)).find((e) => e.eventId === 'disclosure-delivered');
    return patronDisclosureNoticeEmail({
      library: library.name,
      order,
      categories: order.categories.map((c) => rt.deps.policy.categories[c].title),
      disclosedOn: isoDateIn(new Date(delivered?.at ?? ''), library.timezone),
    });
  }

  it('R13a nothing until the last day of nondisclosure has passed; then the patron is told once, with what was disclosed; a patron without email through the privacy officer', async () => {
    const endsOn = isoDateIn(new Date(Date.now() + DAY), TZ);
    const yuki = await fileOrder(YUKI.cardNumber, { nondisclosure: true, nondisclosureEndsOn: endsOn });
    const harold = await fileOrder(HAROLD.cardNumber, { nondisclosure: true, nondisclosureEndsOn: endsOn });
    await approveBoth(yuki.requestId);
    await approveBoth(harold.requestId);

    // Disclosed, and still inside the period: the sweep has run many times and nobody was told (R13a).
    await new Promise((r) => setTimeout(r, 500));
    expect(await mailTo(YUKI.email)).toEqual([]);
    expect(await about(OFFICER, harold.requestId)).toHaveLength(1); // the review link only
    for (const { requestId } of [yuki, harold]) {
      const types = (await rt.deps.audit.list(requestId)).map((e) => e.type);
      expect(types).toContain('patron-notice-withheld');
      expect(types).not.toContain('patron-notified');
    }

    // Two days on, the period has ended everywhere.
    skew.ms = 2 * DAY + 13 * 3_600_000;
    const notice = await rt.mail.waitFor(YUKI.email, /disclosed records about you/);
    const expected = await expectedNotice(yuki.orderId, yuki.requestId);
    expect(notice.subject).toBe(expected.subject);
    expect(notice.body.text).toBe(expected.text);
    const asked = await rt.mail.waitFor(
      OFFICER,
      new RegExp(`Tell a patron of a disclosure: request ${harold.requestId}`),
    );
    expect(asked.body.text).toBe(
      noticeByOtherMeansEmail({ library: (await rt.deps.records.library()).name, requestId: harold.requestId }).text,
    );
    await settled(yuki.orderId);
    await settled(harold.orderId);

    await new Promise((r) => setTimeout(r, 500)); // several more sweeps
    expect(await mailTo(YUKI.email)).toHaveLength(1);
    expect((await about(OFFICER, harold.requestId)).filter((e) => /Tell a patron/.test(e.subject))).toHaveLength(1);
    for (const [{ requestId }, channel] of [
      [yuki, 'email'],
      [harold, 'staff-asked'],
    ] as const) {
      const events = (await rt.deps.audit.list(requestId)).filter((e) => e.type === 'patron-notified');
      expect(events.map((e) => e.data)).toEqual([{ channel, after: 'nondisclosure-ended' }]);
      expect((await rt.deps.audit.check(requestId)).ok).toBe(true);
    }
  });

  it('R13a a period already over when the records go out: the workflow tells the patron at disclosure, and the sweep adds nothing', async () => {
    const { orderId, requestId } = await fileOrder(SAMUEL.cardNumber, {
      nondisclosure: true,
      nondisclosureEndsOn: '2026-11-21',
    });
    await approveBoth(requestId);
    const notice = await rt.mail.waitFor(SAMUEL.email, /disclosed records about you/);
    expect(notice.body.text).toBe((await expectedNotice(orderId, requestId)).text);
    await settled(orderId);
    await new Promise((r) => setTimeout(r, 500));
    expect(await mailTo(SAMUEL.email)).toHaveLength(1);
    const events = await rt.deps.audit.list(requestId);
    expect(events.filter((e) => e.type === 'patron-notified').map((e) => e.data)).toEqual([{ channel: 'email' }]);
    expect(events.some((e) => e.type === 'patron-notice-withheld')).toBe(false);
  });

  it('R13a an order rejected, its period then over: nothing was disclosed, so nothing is told, and it leaves the queue', async () => {
    const endsOn = isoDateIn(new Date(now().getTime() + DAY), TZ);
    const { orderId, requestId } = await fileOrder(HANNAH.cardNumber, {
      nondisclosure: true,
      nondisclosureEndsOn: endsOn,
    });
    await decide(OFFICER, new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`), 'reject');
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('denied');
    skew.ms += 3 * DAY;
    await settled(orderId);
    expect(await mailTo(HANNAH.email)).toEqual([]);
    expect((await rt.deps.audit.list(requestId)).some((e) => e.type === 'patron-notified')).toBe(false);
  });
});
