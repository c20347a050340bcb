import { createHash, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBufferPromise } from 'yauzl';
import { HELD_REASON } from '../../functions/domain/deletion-plan.ts';
import {
  holdIdFor,
  MAX_ORDER_BYTES,
  orderDocumentKey,
  UNSUBMITTED_ORDER_DAYS,
} from '../../functions/domain/court-order.ts';
import { isoDateIn } from '../../functions/domain/age.ts';
import type { LocalDocumentStore } from '../../local/document-store.ts';
import { requestKeys, TABLE_KEYS } from '../../functions/adapters/dynamodb/keys.ts';
import { REQUESTS_TABLE } from '../../local/runtime.ts';
import { approvalDocument, approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { COUNSEL, DIRECTOR, ORDER, overlappingRolesDataset, OWEN, pdf } from '../support/court-orders.ts';
import { localToken, postForm } from '../support/http.ts';
import {
  ADA,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * Court orders end to end (R12, R13, R13a, R2, R17), over HTTP exactly as counsel and staff use
 * the system: a token from `POST /_local/token`, the metadata, the PDF posted to the upload form
 * the API returns, submit; staff decide through the links in their emails; counsel downloads the
 * package; patrons ask for deletion through the public form. The workflows run on
 * aws-local-stepfunctions inside the runtime.
 */
const MARGARET = {
  id: 'P1025',
  cardNumber: '21234000011025',
  firstName: 'Margaret',
  lastName: 'Thompson',
  email: 'margaret.thompson@example.com',
};
const JOSE = {
  id: 'P1024',
  cardNumber: '21234000011024',
  firstName: 'José',
  lastName: 'Martínez',
  email: 'jose.martinez@example.org',
};
const ADA_DOB = '1990-05-01';
/** The demo library's time zone. */
const TZ = 'America/New_York';

type Problem = { status: number; title: string; detail: string; errors?: { path: string; message: string }[] };
type Upload = { url: string; fields: Record<string, string>; expiresAt: string };

async function unzip(buf: Buffer): Promise<Map<string, string>> {
  const zip = await fromBufferPromise(buf, { lazyEntries: true, strictFileNames: true });
  const out = new Map<string, string>();
  for await (const entry of zip.eachEntry()) {
    const data = Buffer.concat((await (await zip.openReadStreamPromise(entry)).toArray()) as Buffer[]);
    expect(crc32(data)).toBe(entry.crc32);
    out.set(entry.fileName, data.toString('utf8'));
  }
  return out;
}

/** CSV rows after the header, split naively (the fixtures hold no quoted commas in the checked column). */
const csvIds = (text: string) =>
  text
    .replace(/^\uFEFF/, '')
    .trim()
    .split('\r\n')
    .slice(1)
    .map((l) => l.split(',')[1]);

describe('court orders, end to end', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };
  let dataset: Awaited<ReturnType<typeof overlappingRolesDataset>>;
  beforeAll(async () => {
    dataset = await overlappingRolesDataset();
    rt = await startTestRuntime({ datasetPath: dataset.path, clock: () => new Date(Date.now() + skew.ms) });
  });
  afterAll(async () => {
    await rt.cleanup();
    await dataset.remove();
  });

  const url = (path: string) => `${rt.baseUrl}${path}`;
  const token = (email: string, groups: string[]) => localToken(rt.baseUrl, email, groups);
  const api = (
    method: 'GET' | 'POST',
    path: string,
    bearer?: string,
    body?: unknown,
    contentType = 'application/json',
  ) =>
    fetch(url(path), {
      method,
      headers: {
        ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
  /** The upload as a browser or curl would post it: every field, then the file. */
  async function upload(
    u: Upload,
    bytes: Buffer,
    fields: Record<string, string> = u.fields,
    name = 'order.pdf',
    type = 'application/pdf',
  ) {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
    return fetch(u.url, { method: 'POST', body: form });
  }
  async function create(bearer: string, body: Record<string, unknown>) {
    const res = await api('POST', '/api/court-orders', bearer, body);
    expect(res.status).toBe(201);
    const created = (await res.json()) as { orderId: string; upload: Upload };
    // R16: every upload lands under incoming/, which expires; only submit puts an order where it is kept.
    expect(created.upload.fields.key).toBe(`incoming/${created.orderId}.pdf`);
    return created;
  }
  async function fileOrder(bearer: string, body: Record<string, unknown>, bytes = pdf('e2e')) {
    const created = await create(bearer, body);
    expect((await upload(created.upload, bytes)).status).toBe(204);
    const res = await api('POST', `/api/court-orders/${created.orderId}/submit`, bearer);
    expect(res.status).toBe(202);
    return { orderId: created.orderId, ...((await res.json()) as { requestId: string; status: string }) };
  }
  const reviewOf = (requestId: string) =>
    rt.mail.waitFor(OFFICER, new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`));
  const authoriseOf = (requestId: string) =>
    rt.mail.waitFor(DIRECTOR, new RegExp(`court order \\(authorisation to disclose\\) \\(request ${requestId}\\)`));

  describe('sign-in (CONTRACT.md: no token 401, no group 403)', () => {
    it.each([
      ['POST', '/api/court-orders'],
      ['GET', '/api/court-orders/00000000-0000-4000-8000-000000000000'],
      ['POST', '/api/court-orders/00000000-0000-4000-8000-000000000000/submit'],
      ['POST', '/api/court-orders/00000000-0000-4000-8000-000000000000/release-hold'],
    ] as const)('R12 %s %s: 401 without a token, 401 with a forged one, 403 for a director', async (method, path) => {
      const none = await api(method, path, undefined, method === 'POST' ? {} : undefined);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer');
      expect(none.headers.get('content-type')).toBe('application/problem+json');
      expect(((await none.json()) as Problem).status).toBe(401);
      expect((await api(method, path, 'not.a.token')).status).toBe(401);
      const director = await token(DIRECTOR, ['director']);
      const forbidden = await api(method, path, director, method === 'POST' ? { ...ORDER } : undefined);
      expect(forbidden.status).toBe(403);
      expect(((await forbidden.json()) as Problem).title).toBe('Forbidden');
    });

    it('R12 an expired token is refused before the handler runs', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const order = await api('GET', '/api/court-orders/00000000-0000-4000-8000-000000000000', counsel);
      expect(order.status).toBe(404); // signed in: the handler ran and found nothing
      skew.ms = 61 * 60_000;
      try {
        expect((await api('GET', '/api/court-orders/00000000-0000-4000-8000-000000000000', counsel)).status).toBe(401);
      } finally {
        skew.ms = 0;
      }
    });

    it('POST /_local/token issues only to a staff member of the dataset, for groups they hold', async () => {
      const ask = (body: unknown) =>
        fetch(url('/_local/token'), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await ask({ email: COUNSEL, groups: ['director'] })).status).toBe(403);
      expect((await ask({ email: 'ada@example.org', groups: ['counsel'] })).status).toBe(403);
      expect((await ask({ email: OWEN, groups: ['counsel', 'privacy-officer'] })).status).toBe(200);
      const bad = await ask({ email: 'not an email', groups: ['admin'], extra: 1 });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as Problem).errors?.map((e) => e.path).sort()).toEqual([
        '(body)',
        'email',
        'groups.0',
      ]);
      expect((await fetch(url('/_local/token'))).status).toBe(405);
      // R12: JSON only, so a page on another site cannot mint a token with a form or text/plain post.
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await fetch(url('/_local/token'), {
          method: 'POST',
          headers: { 'content-type': type },
          body: JSON.stringify({ email: OWEN, groups: ['counsel'] }),
        });
        expect(res.status, type).toBe(415);
        expect(JSON.stringify(await res.json())).not.toContain('token"');
      }
    });
  });

  describe('receiving an order', () => {
    it('R2 police without an order: the public route refuses it, and the counsel page says so', async () => {
      const res = await submit(rt, { kind: 'court-order', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
      expect(res.status).toBe(400);
      const page = await (await fetch(url('/counsel.html'))).text();
      expect(page).toContain('without a court order are not accepted');
      expect(page).toContain('POST /api/court-orders');
    });

    it('R12 400 names each bad field, and never repeats the bad values', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const errorsOf = async (body: unknown, type?: string) => {
        const res = await api('POST', '/api/court-orders', counsel, body, type);
        expect(res.status).toBe(400);
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        const text = await res.text();
        return { paths: ((JSON.parse(text) as Problem).errors ?? []).map((e) => e.path).sort(), text };
      };
      expect((await errorsOf({})).paths).toEqual([
        'caseNumber',
        'categories',
        'court',
        'issuedOn',
        'nondisclosure',
        'orderType',
        'patronCardNumber',
      ]);
      const good = { ...ORDER, patronCardNumber: ADA.cardNumber };
      expect((await errorsOf({ ...good, nondisclosure: 'yes', issuedOn: 20261120 })).paths).toEqual([
        'issuedOn',
        'nondisclosure',
      ]);
      expect((await errorsOf({ ...good, categories: ['library-records', 'browsing-history'] })).paths).toEqual([
        'categories.1',
      ]);
      expect((await errorsOf({ ...good, from: '2026-10-31', to: '2026-06-01' })).paths).toEqual(['to']);
      expect((await errorsOf({ ...good, orderType: 'police-letter' })).paths).toEqual(['orderType']);
      expect((await errorsOf({ ...good, patronCardNumber: '99999999999999' })).paths).toEqual(['patronCardNumber']);
      const hostile = await errorsOf({
        ...good,
        court: '<img src=x onerror=alert(1)>',
        caseNumber: '=cmd|" /C calc"!A0',
      });
      expect(hostile.paths).toEqual(['caseNumber', 'court']);
      expect(hostile.text).not.toContain('onerror');
      expect(hostile.text).not.toContain('calc');
      expect((await errorsOf({ ...good, 'ada@example.org': true })).text).not.toContain('ada@');
      expect((await errorsOf('{"court":')).text).toContain('not valid JSON');
      expect((await errorsOf('court=x', 'text/plain')).paths).toEqual([]);
    });

    it('R12 R13a R15 R16 the nondisclosure end, the return date and the documents period: checked, kept, shown to counsel and approvers; a sooner return date is the due date', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const HANNAH = '21234000011023';
      const good = { ...ORDER, patronCardNumber: HANNAH, issuedOn: '2026-11-20' };
      const refused = async (body: unknown) => {
        const res = await api('POST', '/api/court-orders', counsel, body);
        expect(res.status).toBe(400);
        const text = await res.text();
        return { errors: (JSON.parse(text) as Problem).errors ?? [], text };
      };
      const only = async (body: unknown, path: string, message: RegExp) => {
        const { errors, text } = await refused(body);
        expect(errors.map((e) => e.path)).toEqual([path]);
        expect(errors[0]?.message).toMatch(message);
        return text;
      };
      // R13a: an end only for an order that forbids notice; after the day issued; not decades on.
      await only(
        { ...good, nondisclosureEndsOn: '2027-02-18' },
        'nondisclosureEndsOn',
        /only for an order that forbids/,
      );
      await only(
        { ...good, nondisclosure: true, nondisclosureEndsOn: '2026-11-20' },
        'nondisclosureEndsOn',
        /after issuedOn/,
      );
      await only(
        { ...good, nondisclosure: true, nondisclosureEndsOn: '2062-11-20' },
        'nondisclosureEndsOn',
        /at most 10 years/,
      );
      await only({ ...good, nondisclosure: true, nondisclosureEndsOn: '18 Feb 2027' }, 'nondisclosureEndsOn', /a date/);
      // R12: the return date is on or after the day issued, and within two years of it.
      await only({ ...good, returnOn: '2026-11-19' }, 'returnOn', /before issuedOn/);
      await only({ ...good, returnOn: '2029-01-01' }, 'returnOn', /at most 2 years/);
      // R16: an order's own documents period is whole days, within the bounds.
      await only({ ...good, documentRetentionDays: 7 }, 'documentRetentionDays', /at least 30 days/);
      await only({ ...good, documentRetentionDays: 10_000 }, 'documentRetentionDays', /at most/);
      const typed = await only({ ...good, documentRetentionDays: 'forever-9731' }, 'documentRetentionDays', /number/);
      expect(typed).not.toContain('forever-9731');

      // Accepted: a nondisclosure order with its end, a return date sooner than the policy's 30 days.
      const now = new Date();
      const returnOn = isoDateIn(new Date(now.getTime() + 10 * 86_400_000), TZ);
      const { orderId, requestId } = await fileOrder(counsel, {
        ...good,
        nondisclosure: true,
        nondisclosureEndsOn: '2027-02-18',
        returnOn,
        documentRetentionDays: 3650,
      });
      const view = (await (await api('GET', `/api/court-orders/${orderId}`, counsel)).json()) as {
        nondisclosureEndsOn?: string;
        returnOn?: string;
        documents?: { retentionDays: number; retentionSetBy: string };
        request?: { dueAt: string };
      };
      expect(view.nondisclosureEndsOn).toBe('2027-02-18');
      expect(view.returnOn).toBe(returnOn);
      expect(view.documents).toEqual({ retentionDays: 3650, retentionSetBy: 'order' });
      // R15: due when the return day begins in the library's time zone, not 30 days on.
      const dueAt = Date.parse(view.request?.dueAt ?? '');
      expect(isoDateIn(new Date(dueAt), TZ)).toBe(returnOn);
      expect(isoDateIn(new Date(dueAt - 1), TZ)).not.toBe(returnOn);
      expect((await rt.deps.requests.get(requestId)).dueAt).toBe(view.request?.dueAt);

      // The approver sees both dates on the decision page.
      const page = await (await openApproval(rt, approvalLinkIn(await reviewOf(requestId)))).text();
      expect(page).toContain(`until the end of 2027-02-18`);
      expect(page).toContain(returnOn);

      // A return date later than the policy's deadline leaves the policy's 30 days; no period: the library's.
      const later = isoDateIn(new Date(now.getTime() + 60 * 86_400_000), TZ);
      const second = await fileOrder(counsel, { ...good, returnOn: later });
      const secondView = (await (await api('GET', `/api/court-orders/${second.orderId}`, counsel)).json()) as {
        documents?: { retentionDays: number; retentionSetBy: string };
        request?: { dueAt: string; createdAt: string };
      };
      const days =
        (Date.parse(secondView.request?.dueAt ?? '') - Date.parse(secondView.request?.createdAt ?? '')) / 86_400_000;
      expect(days).toBe(rt.deps.policy.deadlines.defaultDays);
      expect(secondView.documents).toEqual({
        retentionDays: rt.deps.policy.courtOrders.documentRetentionDays,
        retentionSetBy: 'library',
      });
    });

    it('R12 a renamed text file is 415; the real PDF then goes through', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const { orderId, upload: u } = await create(counsel, { ...ORDER, patronCardNumber: '21234000011004' });
      // Named .pdf, declared application/pdf, passes the upload form's policy: only the content tells.
      expect(
        (await upload(u, Buffer.from('Dear librarian, please send us everything about this patron.\n'))).status,
      ).toBe(204);
      const refused = await api('POST', `/api/court-orders/${orderId}/submit`, counsel);
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as Problem).title).toBe('Unsupported media type');
      // R13: held from the moment the order was recorded, accepted or not.
      expect(await rt.deps.holds.isHeld('P1004')).toBe(true);
      expect((await upload(u, pdf('second try'))).status).toBe(204);
      expect((await api('POST', `/api/court-orders/${orderId}/submit`, counsel)).status).toBe(202);
      expect(await rt.deps.holds.isHeld('P1004')).toBe(true);
    });

    it('R12 a PDF that would run a script when opened is 415 with its reason, and is not accepted', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const { orderId, upload: u } = await create(counsel, { ...ORDER, patronCardNumber: '21234000011009' });
      const scripted = Buffer.from(
        pdf('x')
          .toString('latin1')
          .replace('/Type /Catalog', '/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>'),
        'latin1',
      );
      expect((await upload(u, scripted)).status).toBe(204);
      const refused = await api('POST', `/api/court-orders/${orderId}/submit`, counsel);
      expect(refused.status).toBe(415);
      expect(((await refused.json()) as Problem).detail).toContain('scripts');
      // Not accepted: no file kept, no request started (the hold from the order's first record stays, R13).
      const order = await rt.deps.orders.get(orderId);
      expect(order.status).not.toBe('submitted');
      expect(order.file).toBeUndefined();
      expect(order.requestId).toBeUndefined();
    });

    it('R12 too large: the upload refuses 10 MiB + 1 (413); a file that got there anyway is 413 at submit; exactly 10 MiB is fine', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const { orderId, upload: u } = await create(counsel, { ...ORDER, patronCardNumber: '21234000011013' });
      const big = Buffer.concat([pdf('big'), Buffer.alloc(MAX_ORDER_BYTES + 1 - pdf('big').length, 0x20)]);
      expect(big.length).toBe(MAX_ORDER_BYTES + 1);
      expect((await upload(u, big)).status).toBe(413);
      const missing = await api('POST', `/api/court-orders/${orderId}/submit`, counsel);
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as Problem).errors).toEqual([{ path: 'file', message: 'missing' }]);
      // As if the storage policy had been bypassed: the check at submit is the one that counts.
      await (rt.deps.documents as LocalDocumentStore).store(u.fields.key as string, big);
      expect((await api('POST', `/api/court-orders/${orderId}/submit`, counsel)).status).toBe(413);
      const exact = big.subarray(0, MAX_ORDER_BYTES);
      expect((await upload(u, exact)).status).toBe(204);
      expect((await api('POST', `/api/court-orders/${orderId}/submit`, counsel)).status).toBe(202);
    });

    it('the upload form is held to its signed policy: key, type, signature', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const { upload: u } = await create(counsel, { ...ORDER, patronCardNumber: '21234000011016' });
      expect((await upload(u, pdf(), { ...u.fields, key: 'orders/someone-else/order.pdf' })).status).toBe(403);
      expect((await upload(u, pdf(), { ...u.fields, 'Content-Type': 'text/plain' })).status).toBe(403);
      expect((await upload(u, pdf(), { ...u.fields, 'X-Amz-Signature': '0'.repeat(64) })).status).toBe(403);
      const { Policy: _p, ...noPolicy } = u.fields;
      expect((await upload(u, pdf(), noPolicy)).status).toBe(403);
      expect(
        (await fetch(u.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status,
      ).toBe(400);
    });

    it('an upload form expires after 15 minutes; the order’s status offers a fresh one until it is submitted', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const { orderId, upload: u } = await create(counsel, { ...ORDER, patronCardNumber: '21234000011020' });
      skew.ms = 16 * 60_000;
      let fresh: Upload;
      try {
        expect((await upload(u, pdf())).status).toBe(403);
        const view = (await (
          await api('GET', `/api/court-orders/${orderId}`, await token(COUNSEL, ['counsel']))
        ).json()) as { status: string; upload: Upload };
        expect(view.status).toBe('awaiting-upload');
        expect(view.upload.fields.key).toBe(`incoming/${orderId}.pdf`);
        fresh = view.upload;
      } finally {
        skew.ms = 0;
      }
      expect((await upload(fresh, pdf())).status).toBe(204);
      expect((await api('POST', `/api/court-orders/${orderId}/submit`, counsel)).status).toBe(202);
      expect(
        ((await (await api('GET', `/api/court-orders/${orderId}`, counsel)).json()) as { upload?: Upload }).upload,
      ).toBeUndefined();
    });

    it('R13 the hold starts when counsel first records the order, before any file is uploaded or submitted', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const HADDAD = { id: 'P1008', cardNumber: '21234000011008' };
      expect(await rt.deps.holds.isHeld(HADDAD.id)).toBe(false);
      const { orderId } = await create(counsel, { ...ORDER, patronCardNumber: HADDAD.cardNumber });
      // What every deletion and anonymisation checks before it touches a record.
      expect(await rt.deps.holds.isHeld(HADDAD.id)).toBe(true);
      const order = await rt.deps.orders.get(orderId);
      expect(order.status).toBe('awaiting-upload');
      expect((await rt.deps.holds.active(HADDAD.id)).map((h) => h.orderId)).toEqual([orderId]);
      expect(await rt.deps.holds.get(HADDAD.id, holdIdFor(orderId))).toBeUndefined(); // the order's own: at submit
    });

    it('only the counsel who started an order submits it; another counsel gets 403', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const { orderId, upload: u } = await create(counsel, { ...ORDER, patronCardNumber: '21234000011018' });
      expect((await upload(u, pdf())).status).toBe(204);
      expect((await api('POST', `/api/court-orders/${orderId}/submit`, await token(OWEN, ['counsel']))).status).toBe(
        403,
      );
      expect((await api('POST', '/api/court-orders/not-a-uuid/submit', counsel)).status).toBe(400);
    });
  });

  it('R12 R2 R13a R17: two approvals, a package with exactly the named categories and dates, counsel downloads it, Ada is told, counsel and the privacy officer release the hold (R13)', async () => {
    const counsel = await token(COUNSEL, ['counsel']);
    const document = pdf('Ada order');
    const { orderId, requestId, status } = await fileOrder(
      counsel,
      { ...ORDER, patronCardNumber: ADA.cardNumber },
      document,
    );
    expect(status).toBe('received');
    expect(await rt.deps.holds.isHeld(ADA.id)).toBe(true);
    const sha = createHash('sha256').update(document).digest('hex');
    // R12: the checked upload was copied where orders are kept; the order pins that copy and the upload's hash.
    const accepted = await rt.deps.orders.get(orderId);
    expect(accepted.file?.key.startsWith('orders/')).toBe(true);
    expect(accepted.file?.key).toBe(orderDocumentKey(orderId));
    expect(accepted.file?.sha256).toBe(sha);

    const review = await reviewOf(requestId);
    // The approver's "open the order" link serves the kept copy: the very bytes uploaded.
    const opened = await approvalDocument(rt, approvalLinkIn(review));
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('application/pdf');
    // R12: saved, never rendered in the site's origin; rendered anyway, it runs sandboxed with nothing to load.
    expect(opened.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(opened.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(Buffer.from(await opened.arrayBuffer()).equals(document)).toBe(true);
    // Owen, another privacy officer (and not the uploader this time), has his own copy of the review link.
    const owenCopy = await rt.mail.waitFor(OWEN, new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`));
    expect((await decideApproval(rt, approvalLinkIn(review), { decision: 'approve' })).status).toBe(200);
    // The first decision voided the other copies.
    expect((await openApproval(rt, approvalLinkIn(owenCopy))).status).toBe(410);
    expect(
      (await decideApproval(rt, approvalLinkIn(await authoriseOf(requestId)), { decision: 'approve' })).status,
    ).toBe(200);

    const ready = await rt.mail.waitFor(COUNSEL, new RegExp(`Disclosure package ready.*${requestId}`));
    const res = await fetch(linkIn(ready, 'download'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="court-order-disclosure-[0-9a-f]{8}\.zip"$/,
    );
    const files = await unzip(Buffer.from(await res.arrayBuffer()));
    expect([...files.keys()]).toEqual(['cover-sheet.txt', 'disclosure.json', 'library-records.csv', 'payments.csv']);

    const json = JSON.parse(files.get('disclosure.json') as string) as {
      format: string;
      cover: {
        legalBasis: string;
        order: Record<string, unknown>;
        scope: Record<string, unknown>;
        approvals: { by: string; step: string }[];
      };
      categories: Record<string, { data: Record<string, { id: string }[]> }>;
    };
    expect(json.format).toBe('privacy-desk-disclosure');
    expect(json.cover.legalBasis).toBe('court-order');
    expect(Object.keys(json.categories)).toEqual(['library-records', 'payments']);
    const ids = (cat: string, part: string) => (json.categories[cat]?.data[part] ?? []).map((r) => r.id).sort();
    // 2026-06-01 to 2026-10-31: in — L2002 (Sep 2), L2003 (Jun 11), H3003 (Aug 10), E5001 (Oct 7), F4001 (Jul 9);
    // out — L2001 (Nov 14), L2004 (Feb 3), L2005 (2025), H3001/H3002 (Nov), E5002/E5003 (Nov, Dec), F4002 (2025).
    expect(ids('library-records', 'loans')).toEqual(['L2002', 'L2003']);
    expect(ids('library-records', 'holds')).toEqual(['H3003']);
    expect(ids('library-records', 'programs')).toEqual(['E5001']);
    expect(ids('payments', 'fines')).toEqual(['F4001']);
    expect(csvIds(files.get('library-records.csv') as string).sort()).toEqual(['E5001', 'H3003', 'L2002', 'L2003']);
    expect(csvIds(files.get('payments.csv') as string)).toEqual(['F4001']);
    const cover = files.get('cover-sheet.txt') as string;
    for (const text of [
      ORDER.court,
      ORDER.caseNumber,
      'subpoena',
      ORDER.issuedOn,
      sha,
      ADA.cardNumber,
      '2026-06-01 to 2026-10-31',
      OFFICER,
      DIRECTOR,
      'court-order',
    ])
      expect(cover).toContain(text);
    expect(json.cover.approvals.map((a) => a.by)).toEqual([OFFICER, DIRECTOR]);
    // Nothing the order did not name: no profile, no donations, no shared content, never a credential.
    const all = [...files.values()].join('\n');
    for (const text of [
      ADA.email,
      ADA.lastName,
      ADA_DOB,
      'D6001',
      'S7001',
      'Computing history',
      '$2b$',
      'passwordHash',
      '4242',
    ])
      expect(all).not.toContain(text);

    // R13a: notice allowed, so Ada is told.
    const notice = await rt.mail.waitFor(ADA.email, /disclosed records about you/);
    expect(notice.body.text).toContain(ORDER.caseNumber);

    await eventually(async () => ((await rt.deps.requests.get(requestId)).status === 'completed' ? true : undefined));
    const view = (await (await api('GET', `/api/court-orders/${orderId}`, counsel)).json()) as {
      status: string;
      file: { sha256: string };
      request: { status: string; decisions: { by: string; decision: string }[] };
      hold: { status: string };
    };
    expect(view).toMatchObject({
      status: 'submitted',
      file: { sha256: sha },
      request: { status: 'completed' },
      hold: { status: 'active' },
    });
    expect(view.request.decisions.map((d) => [d.by, d.decision])).toEqual([
      [OFFICER, 'approve'],
      [DIRECTOR, 'approve'],
    ]);
    expect(JSON.stringify(view)).not.toContain(ADA.cardNumber);

    // R13: releasing the hold needs counsel and the privacy officer, two people, each sign-off audited.
    expect(
      (await api('POST', `/api/court-orders/${orderId}/release-hold`, await token(DIRECTOR, ['director']))).status,
    ).toBe(403);
    const signed = await api('POST', `/api/court-orders/${orderId}/release-hold`, counsel);
    expect(signed.status).toBe(202);
    expect(((await signed.json()) as { hold: { status: string } }).hold.status).toBe('active');
    expect(await rt.deps.holds.isHeld(ADA.id)).toBe(true);
    // The same person again, even holding the other role too, is not the second sign-off.
    expect((await api('POST', `/api/court-orders/${orderId}/release-hold`, counsel)).status).toBe(409);
    expect(await rt.deps.holds.isHeld(ADA.id)).toBe(true);
    const officer = await token(OFFICER, ['privacy-officer']);
    const released = await api('POST', `/api/court-orders/${orderId}/release-hold`, officer);
    expect(released.status).toBe(200);
    expect(((await released.json()) as { hold: { status: string; releasedBy: string } }).hold).toMatchObject({
      status: 'released',
      releasedBy: OFFICER,
    });
    expect((await api('POST', `/api/court-orders/${orderId}/release-hold`, counsel)).status).toBe(200); // again: no change
    expect(await rt.deps.holds.isHeld(ADA.id)).toBe(false);
    expect(
      ((await (await api('GET', `/api/court-orders/${orderId}`, counsel)).json()) as { hold: { status: string } }).hold
        .status,
    ).toBe('released');

    const events = await rt.deps.audit.list(requestId);
    expect((await rt.deps.audit.check(requestId)).ok).toBe(true);
    expect(events.filter((e) => e.type === 'legal-hold-release-signed').map((e) => [e.actor.id, e.actor.role])).toEqual(
      [
        [COUNSEL, 'counsel'],
        [OFFICER, 'privacy-officer'],
      ],
    );
    expect(events.filter((e) => e.type === 'legal-hold-released')).toHaveLength(1);
    expect(events.find((e) => e.type === 'legal-hold-released')?.actor).toEqual({
      kind: 'staff',
      id: OFFICER,
      role: 'counsel privacy-officer',
    });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'court-order-received',
        'legal-hold-placed',
        'approval-decided',
        'disclosure',
        'patron-notified',
        'request-completed',
      ]),
    );
  });

  describe('R13 legal holds and deletions', () => {
    async function requestDeletion(p: { cardNumber: string; lastName: string; email: string }) {
      const { body } = await submit(rt, { kind: 'deletion', cardNumber: p.cardNumber, lastName: p.lastName });
      const verify = await rt.mail.waitFor(p.email, /confirm your privacy request/);
      expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
      return body;
    }
    const planLink = async (requestId: string) =>
      approvalLinkIn(
        await rt.mail.waitFor(OFFICER, new RegExp(`Decision needed on a deletion plan \\(request ${requestId}\\)`)),
      );

    it('R13 R13a an order under nondisclosure, then the patron asks for deletion: nothing is removed, and nothing she can see reveals the order', async () => {
      const counsel = await token(COUNSEL, ['counsel']);
      const order = await fileOrder(counsel, {
        ...ORDER,
        patronCardNumber: MARGARET.cardNumber,
        categories: ['library-records'],
        nondisclosure: true,
      });
      const deletion = await requestDeletion(MARGARET);
      const link = await planLink(deletion.requestId);
      expect(await (await openApproval(rt, link)).text()).toContain('blocked');
      expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);
      // R8 R13a: the deletion waits, as one waiting on any blocker does.
      const done = await waitForStatus(rt, deletion.statusUrl, 'waiting');
      const outcome = done.outcome as {
        erased: string[];
        anonymised: string[];
        retained: { category: string; reason: string }[];
      };
      expect(outcome.erased).toEqual([]);
      expect(outcome.anonymised).toEqual([]);
      expect(outcome.retained.length).toBeGreaterThan(0);
      expect(outcome.retained.every((r) => r.reason === HELD_REASON)).toBe(true);
      expect(await rt.deps.records.getPatron(MARGARET.id)).toBeDefined();

      // The order goes through to disclosure; still nothing reaches her.
      expect(
        (await decideApproval(rt, approvalLinkIn(await reviewOf(order.requestId)), { decision: 'approve' })).status,
      ).toBe(200);
      expect(
        (await decideApproval(rt, approvalLinkIn(await authoriseOf(order.requestId)), { decision: 'approve' })).status,
      ).toBe(200);
      await rt.mail.waitFor(COUNSEL, new RegExp(`Disclosure package ready.*${order.requestId}`));
      await eventually(async () =>
        (await rt.deps.requests.get(order.requestId)).status === 'completed' ? true : undefined,
      );
      await rt.mail.waitFor(MARGARET.email, /deletion request .* is waiting/);

      const mail = (await rt.mail.to(MARGARET.email))
        .map((e) => `${e.subject}\n${e.body.text}\n${(e.body.html ?? '').replace(/<[^>]*>/g, ' ')}`)
        .join('\n');
      const status = await (await fetch(url(deletion.statusUrl))).text();
      const seen = `${mail}\n${status}`.toLowerCase();
      expect((await rt.mail.to(MARGARET.email)).map((e) => e.subject)).toEqual([
        expect.stringMatching(/confirm your privacy request/),
        expect.stringMatching(/deletion request .* is waiting/),
      ]);
      // "holds" are book reservations, in the patron's own words; "hold" alone would be the legal kind.
      for (const word of [
        /\bhold\b/,
        /\bcourt/,
        /\border/,
        /\bsubpoena/,
        /\bwarrant/,
        /\bcounsel/,
        /\bdisclos/,
        /\blegal hold/,
      ])
        expect(seen).not.toMatch(word);
      for (const text of [ORDER.caseNumber.toLowerCase(), 'stamford', order.orderId, order.requestId])
        expect(seen).not.toContain(text);
    });

    it('R13 a deletion already approved to run when an order arrives stops before touching the held records', async () => {
      const deletion = await requestDeletion(JOSE);
      const link = await planLink(deletion.requestId);
      expect(await (await openApproval(rt, link)).text()).toContain('full');
      // The order arrives between the plan and its execution (left waiting for approval: the hold is what counts).
      const counsel = await token(COUNSEL, ['counsel']);
      await fileOrder(counsel, { ...ORDER, patronCardNumber: JOSE.cardNumber, nondisclosure: true });
      expect(await rt.deps.holds.isHeld(JOSE.id)).toBe(true);
      expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);
      // R8 R13: nothing goes while the hold holds; the deletion waits for it to be released.
      const done = await waitForStatus(rt, deletion.statusUrl, 'waiting');
      const outcome = done.outcome as {
        erased: string[];
        anonymised: string[];
        retained: { category: string; reason: string }[];
      };
      expect(outcome.erased).toEqual([]);
      expect(outcome.anonymised).toEqual([]);
      expect(outcome.retained).toEqual(expect.arrayContaining([{ category: 'personal', reason: HELD_REASON }]));
      expect(await rt.deps.records.getPatron(JOSE.id)).toBeDefined();
      expect(await rt.deps.records.allRecords(JOSE.id, 'LOAN')).toHaveLength(1);
      const mail = (await rt.mail.to(JOSE.email))
        .map((e) => `${e.subject}\n${e.body.text}`)
        .join('\n')
        .toLowerCase();
      for (const word of [/\bhold\b/, /\bcourt/, /\border/, /\bsubpoena/, /\bwarrant/, /\bcounsel/])
        expect(mail).not.toMatch(word);
    });
  });
});

describe('R16 an order never submitted goes after UNSUBMITTED_ORDER_DAYS', () => {
  let rt: TestRuntime;
  const skew = { ms: 0 };
  const DAY = 86_400_000;
  beforeAll(async () => {
    // The TTL sweep every 100 ms, on a clock the test moves.
    rt = await startTestRuntime({ clock: () => new Date(Date.now() + skew.ms), sweepIntervalMs: 100 });
  });
  afterAll(() => rt.cleanup());

  // A fresh token each time: tokens last an hour by the same clock.
  const counselToken = async () =>
    (
      (await (
        await fetch(`${rt.baseUrl}/_local/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: COUNSEL, groups: ['counsel'] }),
        })
      ).json()) as { token: string }
    ).token;
  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) =>
    fetch(`${rt.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await counselToken()}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  async function create(patronCardNumber: string) {
    const res = await api('POST', '/api/court-orders', { ...ORDER, patronCardNumber });
    expect(res.status).toBe(201);
    return (await res.json()) as { orderId: string; upload: Upload };
  }
  async function upload(u: Upload, bytes: Buffer) {
    const form = new FormData();
    for (const [k, v] of Object.entries(u.fields)) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(bytes)], { type: 'application/pdf' }), 'order.pdf');
    expect((await fetch(u.url, { method: 'POST', body: form })).status).toBe(204);
  }
  const stored = async (orderId: string) =>
    (
      await rt.db.send(
        new GetCommand({ TableName: REQUESTS_TABLE, Key: requestKeys.order(orderId), ConsistentRead: true }),
      )
    ).Item;
  const statusOf = async (orderId: string) => (await api('GET', `/api/court-orders/${orderId}`)).status;

  it('R16 stopped after step 1 or 2: the order is 404 and deleted after 7 days, the upload a day later; one submitted at the same moment stays', async () => {
    const metadataOnly = await create('21234000011016');
    const uploadedOnly = await create('21234000011018');
    await upload(uploadedOnly.upload, pdf('never submitted'));
    const submitted = await create('21234000011020');
    const document = pdf('submitted');
    await upload(submitted.upload, document);
    expect((await api('POST', `/api/court-orders/${submitted.orderId}/submit`)).status).toBe(202);

    const createdAt = Date.parse(String((await stored(metadataOnly.orderId))?.createdAt));
    expect((await stored(metadataOnly.orderId))?.[TABLE_KEYS.ttlAttribute]).toBe(
      Math.floor(createdAt / 1000) + UNSUBMITTED_ORDER_DAYS * 86_400,
    );
    expect(await stored(submitted.orderId)).not.toHaveProperty(TABLE_KEYS.ttlAttribute);

    // An hour short of the week: all three still there, through several sweeps.
    skew.ms = UNSUBMITTED_ORDER_DAYS * DAY - 3_600_000;
    await new Promise((r) => setTimeout(r, 300));
    for (const o of [metadataOnly, uploadedOnly, submitted]) expect(await statusOf(o.orderId)).toBe(200);

    skew.ms = UNSUBMITTED_ORDER_DAYS * DAY + 60_000;
    await eventually(
      async () => ((await statusOf(metadataOnly.orderId)) === 404 ? true : undefined),
      10_000,
      'the unsubmitted order to be 404',
    );
    expect(await statusOf(uploadedOnly.orderId)).toBe(404);
    // Too late to submit: nothing is revived.
    expect((await api('POST', `/api/court-orders/${uploadedOnly.orderId}/submit`)).status).toBe(404);
    // The local TTL sweep deletes the items themselves, as DynamoDB TTL does in AWS.
    await eventually(
      async () =>
        (await stored(metadataOnly.orderId)) === undefined && (await stored(uploadedOnly.orderId)) === undefined
          ? true
          : undefined,
      10_000,
      'the TTL sweep',
    );
    expect(await statusOf(submitted.orderId)).toBe(200);
    expect(await stored(submitted.orderId)).toMatchObject({ status: 'submitted' });
    // The upload outlives its order by a day (the bucket lifecycle's 8 days).
    expect(await rt.deps.documents.head(uploadedOnly.upload.fields.key as string)).toBeDefined();

    // Every upload expires, the submitted one's too; the copy submit kept is untouched.
    skew.ms = (UNSUBMITTED_ORDER_DAYS + 1) * DAY + 60_000;
    const gone = async (u: Upload) => (await rt.deps.documents.head(u.fields.key as string)) === undefined;
    await eventually(
      async () => ((await gone(uploadedOnly.upload)) && (await gone(submitted.upload)) ? true : undefined),
      10_000,
      'the uploads to expire',
    );
    const view = (await (await api('GET', `/api/court-orders/${submitted.orderId}`)).json()) as {
      status: string;
      file: { sha256: string };
    };
    expect(view).toMatchObject({
      status: 'submitted',
      file: { sha256: createHash('sha256').update(document).digest('hex') },
    });
    expect(await rt.deps.documents.sha256(orderDocumentKey(submitted.orderId))).toBe(view.file.sha256);
    // R13, R16: the hold placed when the never-submitted order was recorded lapses after the order
    // has gone (the end of its last day everywhere); the submitted order's patron stays held.
    skew.ms = (UNSUBMITTED_ORDER_DAYS + 2) * DAY;
    expect(await rt.deps.holds.isHeld('P1018')).toBe(false);
    expect(await rt.deps.holds.isHeld('P1020')).toBe(true);
  });

  it('R12 R13 a submit that crashed after its copy, or after recording it, finishes when retried, even once the upload has expired', async () => {
    skew.ms = 0;
    // Let a sweep that read the moved clock finish before anything new is uploaded.
    await new Promise((r) => setTimeout(r, 300));
    const { documents, orders } = rt.deps;
    // Crashed after the copy, before recording it: the retry copies again and goes through.
    const first = await create('21234000011004');
    const firstPdf = pdf('crash after copy');
    await upload(first.upload, firstPdf);
    await documents.copy(first.upload.fields.key as string, undefined, orderDocumentKey(first.orderId));
    expect((await api('POST', `/api/court-orders/${first.orderId}/submit`)).status).toBe(202);
    expect((await orders.get(first.orderId)).file).toMatchObject({
      key: orderDocumentKey(first.orderId),
      sha256: createHash('sha256').update(firstPdf).digest('hex'),
    });

    // Crashed after recording the copy (the submit's first write), before the hold: the order no longer
    // expires, and the retry needs only the copy, the upload being gone by then.
    const second = await create('21234000011013');
    const secondPdf = pdf('crash after record');
    await upload(second.upload, secondPdf);
    const kept = await documents.copy(second.upload.fields.key as string, undefined, orderDocumentKey(second.orderId));
    const sha256 = await documents.sha256(orderDocumentKey(second.orderId));
    const requestId = randomUUID();
    await orders.update(second.orderId, (o) => ({
      ...o,
      requestId,
      holdId: holdIdFor(o.orderId),
      file: { key: orderDocumentKey(o.orderId), sha256, size: kept.size },
    }));
    expect(await stored(second.orderId)).not.toHaveProperty(TABLE_KEYS.ttlAttribute);
    // R13: held since the order was recorded; the order's own hold is placed by the retried submit.
    expect(await rt.deps.holds.isHeld('P1013')).toBe(true);

    skew.ms = (UNSUBMITTED_ORDER_DAYS + 1) * DAY + 60_000;
    await eventually(
      async () => ((await documents.head(second.upload.fields.key as string)) === undefined ? true : undefined),
      10_000,
      'the upload to expire',
    );
    expect(await statusOf(second.orderId)).toBe(200);
    const retried = await api('POST', `/api/court-orders/${second.orderId}/submit`);
    expect(retried.status).toBe(202);
    expect(((await retried.json()) as { requestId: string }).requestId).toBe(requestId);
    expect(await rt.deps.holds.isHeld('P1013')).toBe(true);
    expect(await orders.get(second.orderId)).toMatchObject({
      status: 'submitted',
      file: { key: orderDocumentKey(second.orderId), sha256: createHash('sha256').update(secondPdf).digest('hex') },
    });
  });
});
