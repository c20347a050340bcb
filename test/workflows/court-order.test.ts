import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoDateIn } from '../../functions/domain/age.ts';
import { incomingKey, orderDocumentKey } from '../../functions/domain/court-order.ts';
import { TransientError } from '../../functions/domain/errors.ts';
import { defaultPolicy } from '../../functions/domain/policy.ts';
import { createHandler as createApi } from '../../functions/handlers/api-court-orders.ts';
import type { Mailer } from '../../functions/adapters/ses-mailer.ts';
import { S3DocumentStore } from '../../functions/adapters/s3/documents.ts';
import type { LocalDocumentStore } from '../../local/document-store.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import {
  approvalDocument,
  approvalLinkIn,
  approvalSecretOf,
  decideApproval,
  openApproval,
} from '../support/approvals.ts';
import {
  apiEvent,
  awsClaims,
  bodyOf,
  DIRECTOR,
  ORDER,
  overlappingRolesDataset,
  OWEN,
  pdf,
} from '../support/court-orders.ts';
import { executionOf } from '../support/executions.ts';
import { ADA, eventually, linkIn, OFFICER, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
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
import { unzip } from '../support/zip.ts';

/**
 * workflows/court-order.asl.json on aws-local-stepfunctions with the real handlers, dynalite and
 * the local SES (R12, R13, R13a, R2, R17). The API is called with events shaped exactly as API
 * Gateway's Cognito JWT authorizer delivers them; staff act through the links in their emails.
 * Every branch: approve-approve with notice, approve-approve under a nondisclosure order, a
 * rejection at each step, a lapse, a failure after retries, and a transient failure retried.
 *
 * The dataset gives roles that overlap, so separation of duties is tested where it bites: Owen is
 * a privacy officer and counsel (he uploads; the review link must not reach him), and Dana, the
 * privacy officer, is also a director (she reviews; the authorisation link must not reach her).
 */
const PRIYA = {
  id: 'P1003',
  cardNumber: '21234000011003',
  firstName: 'Priya',
  lastName: 'Natarajan',
  email: 'priya.natarajan@example.com',
};
const MARCUS = {
  id: 'P1006',
  cardNumber: '21234000011006',
  firstName: 'Marcus',
  lastName: 'Bell',
  email: 'marcus.bell@example.org',
};
const FATIMA = {
  id: 'P1008',
  cardNumber: '21234000011008',
  firstName: 'Fatima',
  lastName: 'Haddad',
  email: 'fatima.haddad@example.org',
};
const BOB = {
  id: 'P1009',
  cardNumber: '21234000011009',
  firstName: 'Bob',
  lastName: 'Kowalski',
  email: 'bob.kowalski@example.com',
};
const ELEANOR = {
  id: 'P1005',
  cardNumber: '21234000011005',
  firstName: 'Eleanor',
  lastName: 'Vance',
  email: 'eleanor.vance@example.com',
};
type Patron = typeof PRIYA;

const OWEN_GROUPS = ['circulation', 'privacy-officer', 'counsel'];
const reviewSubject = (requestId: string) => new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`);
const authoriseSubject = (requestId: string) =>
  new RegExp(`court order \\(authorisation to disclose\\) \\(request ${requestId}\\)`);

function apiFor(rt: TestRuntime, deps = rt.deps) {
  const api = createApi(deps);
  return async (method: 'GET' | 'POST', path: string, body?: unknown, who = { email: OWEN, groups: OWEN_GROUPS }) =>
    (await api(
      apiEvent(method, path, awsClaims(who.email, who.groups), body),
      lambdaContext('api-court-orders'),
    )) as APIGatewayProxyStructuredResultV2;
}

/** The three steps, the file put where the presigned upload would put it. */
async function fileOrder(rt: TestRuntime, patron: Patron, overrides: Record<string, unknown> = {}) {
  const call = apiFor(rt);
  const created = await call('POST', '/api/court-orders', {
    ...ORDER,
    patronCardNumber: patron.cardNumber,
    ...overrides,
  });
  expect(created.statusCode).toBe(201);
  const { orderId, upload } = bodyOf<{ orderId: string; upload: { fields: Record<string, string> } }>(created);
  const document = pdf(orderId);
  await (rt.deps.documents as LocalDocumentStore).store(upload.fields.key as string, document);
  const submitted = await call('POST', `/api/court-orders/${orderId}/submit`);
  expect(submitted.statusCode).toBe(202);
  const { requestId } = bodyOf<{ requestId: string }>(submitted);
  return { orderId, requestId, document };
}

/** R5: nothing the workflow carries names the patron or the order. */
function expectNothingPersonal(rt: TestRuntime, requestId: string, patron: Patron) {
  const history = JSON.stringify(rt.engine.history(executionOf('court-order', requestId)));
  expect(history).toContain('AwaitReview');
  for (const v of [
    patron.cardNumber,
    patron.firstName,
    patron.lastName,
    patron.email,
    patron.id,
    ORDER.court,
    ORDER.caseNumber,
  ])
    expect(history).not.toContain(v);
}

const statesEntered = (rt: TestRuntime, requestId: string) =>
  rt.engine
    .history(executionOf('court-order', requestId))
    .filter((e) => e.type === 'StateEntered')
    .map((e) => e.state);

/** Everything a patron could see of this: their mailbox. */
async function patronMail(rt: TestRuntime, p: Patron) {
  return (await rt.mail.to(p.email)).map((e) => `${e.subject}\n${e.body.text}\n${e.body.html ?? ''}`).join('\n');
}

async function mailAbout(rt: TestRuntime, to: string, requestId: string) {
  return (await rt.mail.to(to)).filter((e) => e.subject.includes(requestId));
}

describe('court-order workflow', () => {
  let rt: TestRuntime;
  let dataset: Awaited<ReturnType<typeof overlappingRolesDataset>>;
  beforeAll(async () => {
    dataset = await overlappingRolesDataset();
    rt = await startTestRuntime({ datasetPath: dataset.path });
  });
  afterAll(async () => {
    await rt.cleanup();
    await dataset.remove();
  });

  it('R12 R13 R2 R13a: hold at once; review by a privacy officer, authorisation by a different person; package to counsel; the patron told', async () => {
    const { orderId, requestId, document } = await fileOrder(rt, PRIYA, {
      categories: ['library-records'],
      from: '2026-01-01',
      to: '2026-04-30',
    });
    // R13: the hold is in place the moment the order is accepted, before anyone approves.
    expect(await rt.deps.holds.isHeld(PRIYA.id)).toBe(true);

    const review = await rt.mail.waitFor(OFFICER, reviewSubject(requestId));
    // The uploader holds the reviewing role too, and still gets no link.
    expect((await mailAbout(rt, OWEN, requestId)).filter((e) => /Decision needed/.test(e.subject))).toEqual([]);
    const reviewLink = approvalLinkIn(review);
    const page = await openApproval(rt, reviewLink);
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const text of [
      ORDER.court,
      ORDER.caseNumber,
      'subpoena',
      'Priya Natarajan',
      PRIYA.cardNumber,
      'library-records',
      '2026-01-01 to 2026-04-30',
      OWEN,
    ])
      expect(html).toContain(text);
    const order = await rt.deps.orders.get(orderId);
    expect(html).toContain(order.file?.sha256);
    // R12: what approvers open is the copy kept under orders/, pinned at submit, hashed as uploaded.
    expect(order.documentKey).toBe(incomingKey(orderId));
    expect(order.file).toMatchObject({
      key: orderDocumentKey(orderId),
      size: document.length,
      sha256: createHash('sha256').update(document).digest('hex'),
    });

    // The approver opens the PDF: the very bytes stored, as a download; the read is audited.
    const doc = await approvalDocument(rt, reviewLink);
    expect(doc.status).toBe(200);
    expect(doc.headers.get('content-type')).toBe('application/pdf');
    expect(doc.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(Buffer.from(await doc.arrayBuffer()).equals(document)).toBe(true);

    expect((await decideApproval(rt, reviewLink, { decision: 'approve' })).status).toBe(200);
    const authorise = await rt.mail.waitFor(DIRECTOR, authoriseSubject(requestId));
    // Dana reviewed it; she is a director too, and gets no authorisation link (two different people).
    expect((await mailAbout(rt, OFFICER, requestId)).filter((e) => /authorisation/.test(e.subject))).toEqual([]);
    const authPage = await (await openApproval(rt, approvalLinkIn(authorise))).text();
    expect(authPage).toContain(`Reviewed and approved by ${OFFICER}`);
    expect((await decideApproval(rt, approvalLinkIn(authorise), { decision: 'approve' })).status).toBe(200);

    const ready = await rt.mail.waitFor(OWEN, /Disclosure package ready/);
    expect(ready.subject).toContain(requestId);
    const zip = await fetch(linkIn(ready, 'download'));
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');

    // R13a: the order allows notice, so the patron is told what went out, under which order.
    const notice = await rt.mail.waitFor(PRIYA.email, /disclosed records about you/);
    expect(notice.body.text).toContain(ORDER.court);
    expect(notice.body.text).toContain(ORDER.caseNumber);
    expect(notice.body.text).toContain('Library records');
    expect(notice.body.text).toContain('from 2026-01-01 to 2026-04-30');

    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('completed');
    expect(statesEntered(rt, requestId)).toEqual([
      'AwaitReview',
      'ReviewDecided?',
      'AwaitAuthorisation',
      'AuthorisationDecided?',
      'ReachSystems', // R19: every system holding a named category, then the package
      'EachSystem',
      'BuildDisclosure',
      'NotifyPatron?',
      'NotifyPatron',
      'MarkCompleted',
    ]);
    expectNothingPersonal(rt, requestId, PRIYA);

    // R17: every step on the chain, who and when; the disclosure carries its legal basis (R2).
    const events = await rt.deps.audit.list(requestId);
    expect((await rt.deps.audit.check(requestId)).ok).toBe(true);
    const types = events.map((e) => e.type);
    for (const t of [
      'court-order-received',
      'legal-hold-placed',
      'approval-requested',
      'staff-read',
      'approval-decided',
      'disclosure',
      'patron-notified',
      'request-completed',
    ])
      expect(types).toContain(t);
    expect(events.find((e) => e.type === 'court-order-received')?.actor).toEqual({
      kind: 'counsel',
      id: OWEN,
      role: 'counsel',
    });
    const disclosure = events.find((e) => e.type === 'disclosure');
    expect(disclosure?.data).toMatchObject({
      legalBasis: 'court-order',
      recipient: OWEN,
      categories: ['library-records'],
      from: '2026-01-01',
      to: '2026-04-30',
      approvedBy: [OFFICER, DIRECTOR],
    });
    expect(events.filter((e) => e.type === 'approval-decided').map((e) => e.actor.id)).toEqual([OFFICER, DIRECTOR]);
    expect(events.filter((e) => e.type === 'staff-read').map((e) => e.actor.id)).toEqual(
      expect.arrayContaining([OFFICER, DIRECTOR]),
    );
    const trail = JSON.stringify(events);
    for (const v of [PRIYA.email, PRIYA.lastName, PRIYA.cardNumber]) expect(trail).not.toContain(v);
  });

  it('R12 the uploader, and whoever approved the review, are refused even holding a link; then a rejection tells counsel, never the patron', async () => {
    const { requestId } = await fileOrder(rt, FATIMA);
    const review = await rt.mail.waitFor(OFFICER, reviewSubject(requestId));
    const real = await rt.deps.tokens.find(approvalSecretOf(approvalLinkIn(review)));
    // A link in the uploader's hands (as if sent before the rule, or forwarded by mistake).
    const forged = await rt.deps.tokens.issue({
      purpose: 'approve',
      requestId,
      recipient: { kind: 'staff', id: OWEN, role: 'privacy-officer' },
      step: 'court-order-review',
      decisions: ['approve', 'reject'],
      ttlSeconds: 3600,
      ...(real.taskToken ? { taskToken: real.taskToken } : {}),
    });
    const forgedLink = `${rt.baseUrl}/approval.html#${forged.secret}`;
    const shown = await openApproval(rt, forgedLink);
    expect(shown.status).toBe(403);
    const shownText = await shown.text();
    expect(shownText).toContain('you submitted this request yourself');
    expect(shownText).not.toContain('name="decision"');
    const refused = await decideApproval(rt, forgedLink, { decision: 'approve' });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('Your decision was not recorded');
    let request = await rt.deps.requests.get(requestId);
    expect(request.decisions ?? []).toEqual([]);
    expect(request.status).toBe('awaiting-approval');
    expect((await rt.deps.audit.list(requestId)).find((e) => e.type === 'approval-refused')?.data).toEqual({
      step: 'court-order-review',
      reason: 'submitted-the-request',
    });

    // The real reviewer approves; the reviewer then holding an authorisation link is refused too.
    expect((await decideApproval(rt, approvalLinkIn(review), { decision: 'approve' })).status).toBe(200);
    const authorise = await rt.mail.waitFor(DIRECTOR, authoriseSubject(requestId));
    const realAuth = await rt.deps.tokens.find(approvalSecretOf(approvalLinkIn(authorise)));
    const again = await rt.deps.tokens.issue({
      purpose: 'approve',
      requestId,
      recipient: { kind: 'staff', id: OFFICER, role: 'director' },
      step: 'court-order-authorise',
      decisions: ['approve', 'reject'],
      ttlSeconds: 3600,
      ...(realAuth.taskToken ? { taskToken: realAuth.taskToken } : {}),
    });
    const twice = await decideApproval(rt, `${rt.baseUrl}/approval.html#${again.secret}`, { decision: 'approve' });
    expect(twice.status).toBe(403);
    expect(await twice.text()).toContain('already approved an earlier step');
    request = await rt.deps.requests.get(requestId);
    expect(request.decisions?.map((d) => d.byStaffId)).toEqual([OFFICER]);

    // The director rejects, with a reason: counsel is told; the patron hears nothing; the hold stays.
    expect(
      (
        await decideApproval(rt, approvalLinkIn(authorise), {
          decision: 'reject',
          reason: 'The order names a different date range.',
        })
      ).status,
    ).toBe(200);
    const told = await rt.mail.waitFor(OWEN, /Court order not approved/);
    expect(told.subject).toContain(requestId);
    expect(told.body.text).toContain('The order names a different date range.');
    expect(told.body.text).toContain(DIRECTOR);
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('denied');
    expect(statesEntered(rt, requestId)).toContain('DenyRejected');
    expect(statesEntered(rt, requestId)).not.toContain('BuildDisclosure');
    expect(await patronMail(rt, FATIMA)).toBe('');
    expect(await rt.deps.holds.isHeld(FATIMA.id)).toBe(true);
    expect((await rt.deps.audit.list(requestId)).map((e) => e.type)).toEqual(
      expect.arrayContaining(['approval-refused', 'request-denied', 'counsel-told']),
    );
  });

  it('R12 a rejection at review ends it there: counsel is told with the reason, nothing is disclosed', async () => {
    const { requestId } = await fileOrder(rt, BOB);
    const review = await rt.mail.waitFor(OFFICER, reviewSubject(requestId));
    // A rejection needs a reason (counsel reads it).
    expect((await decideApproval(rt, approvalLinkIn(review), { decision: 'reject' })).status).toBe(400);
    expect(
      (await decideApproval(rt, approvalLinkIn(review), { decision: 'reject', reason: 'Not signed by a judge.' }))
        .status,
    ).toBe(200);
    const told = await rt.mail.waitFor(OWEN, new RegExp(`Court order not approved.*${requestId}`));
    expect(told.body.text).toContain('Not signed by a judge.');
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect(statesEntered(rt, requestId)).toEqual(['AwaitReview', 'ReviewDecided?', 'DenyRejected']);
    expect((await rt.deps.requests.get(requestId)).status).toBe('denied');
    expect(await patronMail(rt, BOB)).toBe('');
    expect((await rt.mail.to(DIRECTOR)).filter((e) => e.subject.includes(requestId))).toEqual([]);
  });

  it('R13a a nondisclosure order: the package goes to counsel and the patron hears nothing at all', async () => {
    const { requestId } = await fileOrder(rt, MARCUS, { nondisclosure: true });
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(OFFICER, reviewSubject(requestId))), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(DIRECTOR, authoriseSubject(requestId))), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    await rt.mail.waitFor(OWEN, new RegExp(`Disclosure package ready.*${requestId}`));
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('completed');
    expect(statesEntered(rt, requestId)).not.toContain('NotifyPatron');
    expect(await patronMail(rt, MARCUS)).toBe('');
    const events = await rt.deps.audit.list(requestId);
    expect(events.find((e) => e.type === 'patron-notice-withheld')?.data).toEqual({ reason: 'nondisclosure-order' });
    expect(events.some((e) => e.type === 'patron-notified')).toBe(false);
    expectNothingPersonal(rt, requestId, MARCUS);
  });

  it('R12 R16 in AWS the upload form is an S3 presigned POST for incoming/<orderId>.pdf, at create and on every later look', async () => {
    // The same handler with the AWS document store; signing a POST policy needs credentials, no network.
    const s3 = new S3Client({
      region: 'us-east-2',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' },
    });
    const call = apiFor(rt, { ...rt.deps, documents: new S3DocumentStore('privacy-desk-dev-documents', s3) });
    type Form = { url: string; fields: Record<string, string> };
    const policyKey = (form: Form) =>
      (
        JSON.parse(Buffer.from(form.fields.Policy as string, 'base64').toString('utf8')) as { conditions: unknown[] }
      ).conditions.find((c): c is { key: string } => typeof c === 'object' && c !== null && 'key' in c)?.key;
    try {
      const created = await call('POST', '/api/court-orders', { ...ORDER, patronCardNumber: PRIYA.cardNumber });
      expect(created.statusCode).toBe(201);
      const { orderId, upload } = bodyOf<{ orderId: string; upload: Form }>(created);
      expect(upload.url).toBe('https://privacy-desk-dev-documents.s3.us-east-2.amazonaws.com/');
      expect(upload.fields.key).toBe(`incoming/${orderId}.pdf`);
      expect(policyKey(upload)).toBe(`incoming/${orderId}.pdf`);
      const view = bodyOf<{ status: string; upload: Form }>(await call('GET', `/api/court-orders/${orderId}`));
      expect(view.status).toBe('awaiting-upload');
      expect(view.upload.fields.key).toBe(`incoming/${orderId}.pdf`);
      expect(policyKey(view.upload)).toBe(`incoming/${orderId}.pdf`);
    } finally {
      s3.destroy();
    }
  });
});

describe('court-order workflow: lapses, failures and retries', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };
  const mailFaults = { permanent: false, transientOnce: false };
  const faulty = (m: Mailer): Mailer => ({
    async send(email) {
      if (/Disclosure package ready/.test(email.subject)) {
        if (mailFaults.permanent) throw Object.assign(new Error('rejected'), { name: 'MessageRejected' });
        if (mailFaults.transientOnce) {
          mailFaults.transientOnce = false;
          throw new TransientError('throttled');
        }
      }
      return m.send(email);
    },
  });
  let dataset: Awaited<ReturnType<typeof overlappingRolesDataset>>;
  beforeAll(async () => {
    dataset = await overlappingRolesDataset();
    rt = await startTestRuntime({
      datasetPath: dataset.path,
      policy: { ...defaultPolicy, approvals: { ...defaultPolicy.approvals, maxRounds: 1 } },
      clock: () => new Date(Date.now() + skew.ms),
      sweepIntervalMs: 100,
      wrapMailer: faulty,
    });
  });
  afterAll(async () => {
    await rt.cleanup();
    await dataset.remove();
  });

  it('R12 R13 nobody decides: the link lapses, the order closes as expired, counsel is told; the hold lapses on its date and that is recorded too', async () => {
    const today = isoDateIn(new Date(), 'America/New_York');
    const lapsesOn = isoDateIn(new Date(Date.now() + 86_400_000), 'America/New_York');
    const { orderId, requestId } = await fileOrder(rt, ELEANOR, { lapsesOn });
    expect(lapsesOn > today).toBe(true);
    await rt.mail.waitFor(OFFICER, reviewSubject(requestId));
    expect(await rt.deps.holds.isHeld(ELEANOR.id)).toBe(true);

    skew.ms = 9 * 86_400_000; // past the 7-day decision link, past the day its token would once have been kept, past the hold's lapse day
    const told = await rt.mail.waitFor(OWEN, new RegExp(`Court order not approved.*${requestId}`));
    expect(told.body.text).toContain('Nobody decided');
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('expired');
    expect(statesEntered(rt, requestId)).toEqual(['AwaitReview', 'ReviewLapsed', 'ReviewAskAgain?', 'MarkExpired']);
    await rt.mail.waitFor(OFFICER, new RegExp(`A decision lapsed: request ${requestId}`));

    // R13: the hold stops by itself on its date; the sweep records it once and tells counsel.
    expect(await rt.deps.holds.isHeld(ELEANOR.id)).toBe(false);
    const lapsed = await rt.mail.waitFor(OWEN, new RegExp(`Legal hold lapsed.*${requestId}`));
    expect(lapsed.body.text).toContain(lapsesOn);
    await eventually(async () =>
      (await rt.deps.audit.list(requestId)).some((e) => e.type === 'legal-hold-lapsed') ? true : undefined,
    );
    await eventually(async () => ((await rt.deps.orders.get(orderId)).holdLapseRecordedAt ? true : undefined));
    await new Promise((r) => setTimeout(r, 300)); // several more sweeps
    expect((await rt.deps.audit.list(requestId)).filter((e) => e.type === 'legal-hold-lapsed')).toHaveLength(1);
    expect(
      (await rt.mail.to(OWEN)).filter((e) => /Legal hold lapsed/.test(e.subject) && e.subject.includes(requestId)),
    ).toHaveLength(1);
    expect(await patronMail(rt, ELEANOR)).toBe('');
  });

  it('a transient failure building the package is retried; a permanent one ends in RecordFailure with staff alerted', async () => {
    mailFaults.transientOnce = true;
    const first = await fileOrder(rt, PRIYA, { categories: ['donations'] });
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(OFFICER, reviewSubject(first.requestId))), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(DIRECTOR, authoriseSubject(first.requestId))), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    await rt.engine.whenDone(executionOf('court-order', first.requestId));
    expect(mailFaults.transientOnce).toBe(false);
    expect((await rt.deps.requests.get(first.requestId)).status).toBe('completed');
    expect(
      (await rt.mail.to(OWEN)).filter(
        (e) => /Disclosure package ready/.test(e.subject) && e.subject.includes(first.requestId),
      ),
    ).toHaveLength(1);
    // One disclosure on the trail, not two: the retry repeated nothing already done.
    expect((await rt.deps.audit.list(first.requestId)).filter((e) => e.type === 'disclosure')).toHaveLength(1);

    mailFaults.permanent = true;
    const second = await fileOrder(rt, BOB, { categories: ['payments'] });
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(OFFICER, reviewSubject(second.requestId))), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(DIRECTOR, authoriseSubject(second.requestId))), {
          decision: 'approve',
        })
      ).status,
    ).toBe(200);
    const alert = await rt.mail.waitFor(OFFICER, new RegExp(`A privacy request failed: ${second.requestId}`));
    expect(alert.body.text).toContain('MessageRejected');
    await rt.engine.whenDone(executionOf('court-order', second.requestId));
    expect((await rt.deps.requests.get(second.requestId)).status).toBe('failed');
    expect(statesEntered(rt, second.requestId).slice(-3)).toEqual(['BuildDisclosure', 'RecordFailure', 'Failed']);
    expect(await patronMail(rt, BOB)).toBe('');
    mailFaults.permanent = false;
  });
});

/** Both approvals, through the links in the approvers' emails. */
async function approveBoth(rt: TestRuntime, requestId: string) {
  expect(
    (
      await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(OFFICER, reviewSubject(requestId))), {
        decision: 'approve',
      })
    ).status,
  ).toBe(200);
  expect(
    (
      await decideApproval(rt, approvalLinkIn(await rt.mail.waitFor(DIRECTOR, authoriseSubject(requestId))), {
        decision: 'approve',
      })
    ).status,
  ).toBe(200);
}

async function disclosureFiles(rt: TestRuntime, requestId: string) {
  const ready = await rt.mail.waitFor(OWEN, new RegExp(`Disclosure package ready.*${requestId}`));
  const res = await fetch(linkIn(ready, 'download'));
  expect(res.status).toBe(200);
  const files = await unzip(Buffer.from(await res.arrayBuffer()));
  const doc = JSON.parse(files.get('disclosure.json') ?? '') as {
    cover: { systems?: { id: string; handledBy: string; result: string }[] };
    categories: Record<string, { data?: Record<string, { id: string }[]> }>;
  };
  return { cover: files.get('cover-sheet.txt') ?? '', doc };
}

/** R12 R19: the package under an order is read from every system holding a named category. */
describe('court-order workflow: records table and a manual system (R19)', () => {
  let rt: TestRuntime;
  let dataset: Awaited<ReturnType<typeof overlappingRolesDataset>>;
  beforeAll(async () => {
    dataset = await overlappingRolesDataset();
    rt = await startRuntimeWithSystems(RECORDS_AND_MANUAL, { datasetPath: dataset.path });
  });
  afterAll(async () => {
    await rt.cleanup();
    await dataset.remove();
  });

  it('R12 R19: after both approvals the request waits for the manual system; the cover sheet lists every system searched', async () => {
    const { requestId } = await fileOrder(rt, PRIYA, {
      categories: ['library-records'],
      from: '2026-01-01',
      to: '2026-04-30',
    });
    await approveBoth(rt, requestId);
    await eventually(async () =>
      (await rt.deps.systemResults.find(requestId, 'ebooks'))?.waitToken ? true : undefined,
    );
    expect((await mailAbout(rt, OWEN, requestId)).filter((e) => /Disclosure package ready/.test(e.subject))).toEqual(
      [],
    );
    await answerManualSystem(rt, requestId, 'ebooks', { state: 'done' });

    const { cover, doc } = await disclosureFiles(rt, requestId);
    expect(cover).toContain('SYSTEMS SEARCHED');
    expect(cover).toMatch(/Privacy Desk records: +read; its records are in this package/);
    expect(cover).toMatch(/E-book vendor: +handled by library staff on \d{4}-\d\d-\d\d \(not in this package\)/);
    expect(doc.cover.systems?.map((s) => [s.id, s.handledBy, s.result])).toEqual([
      ['records', 'connector', 'done'],
      ['ebooks', 'staff', 'done'],
    ]);
    expect(Object.keys(doc.categories)).toEqual(['library-records']); // R12: only what the order names
    await rt.engine.whenDone(executionOf('court-order', requestId));
    expect((await rt.deps.requests.get(requestId)).status).toBe('completed');
    expectNothingPersonal(rt, requestId, PRIYA);
  });
});

describe.skipIf(!KOHA_SPEC)('court-order workflow: Koha as the system of record (R19)', () => {
  let rt: TestRuntime;
  let sim: KohaSimulator;
  let ada: KohaAda;
  let dataset: Awaited<ReturnType<typeof overlappingRolesDataset>>;
  beforeAll(async () => {
    dataset = await overlappingRolesDataset();
    ({ sim, ada, rt } = await startKohaWithAda({ datasetPath: dataset.path }));
  });
  afterAll(async () => {
    await rt.cleanup();
    await dataset.remove();
  });

  it('R12 R13 R19: the card is found in Koha, the hold names the Koha patron, and the package holds Koha’s checkouts and fine', async () => {
    const adaInOrder = { ...ADA, id: `${KOHA_ID}/${ada.patronId}`, email: ADA_IN_KOHA.email };
    const { orderId, requestId } = await fileOrder(rt, adaInOrder, { from: '2026-01-01', to: undefined });
    expect((await rt.deps.orders.get(orderId)).patronId).toBe(`${KOHA_ID}/${ada.patronId}`);
    expect(await rt.deps.holds.isHeld(`${KOHA_ID}/${ada.patronId}`)).toBe(true); // R13
    await approveBoth(rt, requestId);

    const { cover, doc } = await disclosureFiles(rt, requestId);
    expect(cover).toMatch(/Koha catalogue and circulation: +read; its records are in this package/);
    const loans = doc.categories['library-records']?.data?.loans ?? [];
    expect(loans.map((l) => l.id)).toContain(`${KOHA_ID}/${ada.checkoutId}`);
    expect(loans.filter((l) => l.id.startsWith(`${KOHA_ID}/`))).toHaveLength(4);
    expect(doc.categories.payments?.data?.fines?.map((f) => f.id)).toContain(`${KOHA_ID}/${ada.fineId}`);
    // R13a: the notice goes to the email Koha holds.
    await rt.mail.waitFor(ADA_IN_KOHA.email, /disclosed records about you/);
    expect(sim.violations).toEqual([]);
  });
});
