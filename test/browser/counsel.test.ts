import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNSEL, ORDER, pdf } from '../support/court-orders.ts';
import { localToken } from '../support/http.ts';
import { approvalLinkIn } from '../support/approvals.ts';
import { OFFICER, startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import {
  axeSummary,
  checkAxe,
  context,
  expectNoHorizontalScroll,
  FLOW_TIMEOUT,
  HAS_CHROMIUM,
  launch,
  open,
  PHONE,
  poll,
  type WatchedPage,
} from './browser.ts';

/**
 * Counsel's page (web/counsel.html, web/counsel.js) and the shared sign-in (web/sign-in.js) in
 * Chromium. Locally: sign in, upload an order (the three API steps from the page), field errors from
 * the page and from the server, a file that is not a PDF, an account without the counsel role, look
 * an order up and release its hold, expired and refused tokens, a phone. In the Library's deployment:
 * the hosted sign-in with PKCE, where Cognito (the one service that cannot run here) is stood in for
 * at the network boundary with Playwright routes, and the ID token it hands back is a local one so
 * that the real local API accepts it.
 */
const TANAKA = { id: 'P1007', cardNumber: '21234000011007' };
const HADDAD = { id: 'P1008', cardNumber: '21234000011008' };
const OBRIEN = { id: 'P1004', cardNumber: '21234000011004' };
const NATARAJAN = { cardNumber: '21234000011003' };
const JENKINS = { cardNumber: '21234000011002' };
const TOKEN_KEY = 'privacy-desk-staff-token';
const SIGN_IN = 'https://signin.example.test';
const CLIENT_ID = 'test-web-client';
const NO_ROLE = 'does not have the counsel role';

describe.skipIf(!HAS_CHROMIUM)('counsel page in Chromium (needs /usr/bin/chromium)', { timeout: FLOW_TIMEOUT }, () => {
  let rt: TestRuntime;
  let browser: Browser;
  let desktop: BrowserContext;
  beforeAll(async () => {
    [rt, browser] = await Promise.all([startTestRuntime(), launch()]);
    desktop = await context(browser);
  }, FLOW_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await rt?.cleanup();
    console.info(`axe-core, counsel page:\n${axeSummary()}`);
  });

  const url = (path: string) => `${rt.baseUrl}${path}`;
  const token = (email: string, groups: string[]) => localToken(rt.baseUrl, email, groups);
  const noErrors = (w: WatchedPage) => expect(w.errors, w.page.url()).toEqual([]);
  const press = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).click();
  const focusedId = (page: Page) => page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');
  const focusIn = (page: Page, selector: string) =>
    page.evaluate<boolean>(`!!document.activeElement && !!document.activeElement.closest(${JSON.stringify(selector)})`);
  const describedBy = (page: Page, id: string) =>
    page.evaluate<string>(`document.getElementById(${JSON.stringify(id)}).getAttribute('aria-describedby') || ''`);
  const text = async (page: Page, selector: string) => (await page.textContent(selector)) ?? '';
  const pdfFile = (name = 'order.pdf', body: Buffer = pdf('browser')) => ({
    name,
    mimeType: 'application/pdf',
    buffer: body,
  });

  /** An order submitted through the API, as a script would (the page's own upload is tested below). */
  async function orderViaApi(cardNumber: string): Promise<{ orderId: string; requestId: string }> {
    const auth = { authorization: `Bearer ${await token(COUNSEL, ['counsel'])}` };
    const created = await fetch(url('/api/court-orders'), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ORDER, patronCardNumber: cardNumber }),
    });
    expect(created.status).toBe(201);
    const { orderId, upload } = (await created.json()) as {
      orderId: string;
      upload: { url: string; fields: Record<string, string> };
    };
    const form = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
    form.append('file', new Blob([new Uint8Array(pdf('api'))], { type: 'application/pdf' }), 'order.pdf');
    expect((await fetch(new URL(upload.url, rt.baseUrl), { method: 'POST', body: form })).status).toBe(204);
    const submitted = await fetch(url(`/api/court-orders/${orderId}/submit`), { method: 'POST', headers: auth });
    expect(submitted.status).toBe(202);
    return (await submitted.json()) as { orderId: string; requestId: string };
  }

  async function signIn(page: Page, email = COUNSEL, role = 'counsel') {
    await page.goto(url('/counsel.html'));
    await page.getByLabel('Staff email').fill(email);
    await page.getByLabel('Role').selectOption(role);
    await press(page, 'Get a local token');
    await poll(() => text(page, '#who')).toContain(`Signed in as ${email} (${role})`);
  }

  async function fillOrder(page: Page, cardNumber: string, file = pdfFile()) {
    await page.getByLabel('Court (required)', { exact: true }).fill(ORDER.court);
    await page.getByLabel('Case number').fill(ORDER.caseNumber);
    await page.getByLabel('Kind of order').selectOption(ORDER.orderType);
    await page.getByLabel('Date issued').fill(ORDER.issuedOn);
    await page.getByLabel('Library card number of the person named').fill(cardNumber);
    await page.getByLabel('Library records (loans, holds, programs and events)').check();
    await page.getByLabel('Fines, fees and payments').check();
    await page.getByLabel('From', { exact: true }).fill(ORDER.from);
    await page.getByLabel('To', { exact: true }).fill(ORDER.to);
    await page.getByLabel('The order, as a PDF').setInputFiles(file);
  }

  it('counsel signs in, uploads an order as a PDF; the request exists and the patron is on legal hold', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/counsel.html'));
    await page.getByRole('button', { name: 'Get a local token' }).waitFor();
    expect(await page.isVisible('#order-create')).toBe(false);
    expect(await text(page, 'main')).toContain('without a court order are not accepted');
    await checkAxe(page, '/counsel.html (signed out)');

    await signIn(page);
    expect(await focusedId(page)).toBe('upload-title');
    expect(await page.isVisible('#signed-out')).toBe(false);
    expect(await text(page, '#role-note')).toBe('');
    await checkAxe(page, '/counsel.html (signed in)');

    expect(await rt.deps.holds.isHeld(TANAKA.id)).toBe(false);
    await fillOrder(page, TANAKA.cardNumber);
    await press(page, 'Upload the order');
    await poll(() => text(page, '#order-result')).toContain('The order is received');
    const result = await text(page, '#order-result');
    expect(await focusIn(page, '#order-result')).toBe(true);
    const orderId = /Order id: ([0-9a-f-]{36})/.exec(result)?.[1] ?? '';
    const requestId = /Request id: ([0-9a-f-]{36})/.exec(result)?.[1] ?? '';
    expect(result).toContain('now on legal hold');
    expect(result).toContain('The privacy officer and the director will each be asked by email to approve');

    const order = await rt.deps.orders.get(orderId);
    expect(order).toMatchObject({
      status: 'submitted',
      caseNumber: ORDER.caseNumber,
      court: ORDER.court,
      categories: ['library-records', 'payments'],
      from: ORDER.from,
      to: ORDER.to,
      nondisclosure: false,
      uploadedBy: COUNSEL,
      patronId: TANAKA.id,
      requestId,
    });
    expect(order.file?.size).toBe(pdf('browser').length);
    expect(order.file?.sha256).toBe(createHash('sha256').update(pdf('browser')).digest('hex'));
    expect(await rt.deps.requests.get(requestId)).toMatchObject({ kind: 'court-order', patronId: TANAKA.id, orderId });
    expect(await rt.deps.holds.isHeld(TANAKA.id)).toBe(true);
    // Ready for the next order, and for looking this one up.
    expect(await page.inputValue('#order-court')).toBe('');
    expect(await page.inputValue('#lookup-orderId')).toBe(orderId);
    await checkAxe(page, '/counsel.html (order received)');
    noErrors(w);
    await page.close();
  });

  it('R12 the privacy officer reviews the order from the emailed link, signed in: opens the PDF, approves', async () => {
    const { requestId } = await orderViaApi(HADDAD.cardNumber);
    const email = await rt.mail.waitFor(
      OFFICER,
      new RegExp(`court order \\(review\\) \\(request ${requestId}\\)`),
      1,
      30_000,
    );
    const w = await open(desktop);
    const { page } = w;
    await page.goto(approvalLinkIn(email));
    await page.getByRole('button', { name: 'Get a local token' }).waitFor();
    expect(await text(page, 'main')).not.toContain(ORDER.caseNumber);
    // The same sign-in as the desk's, on the approval page itself.
    await page.getByLabel('Staff email').fill(OFFICER);
    await page.getByLabel('Role').selectOption('privacy-officer');
    await press(page, 'Get a local token');
    await poll(() => text(page, '#approval-body')).toContain(ORDER.caseNumber);
    await checkAxe(page, '/approval.html (court order review)');
    // The order's PDF, as stored: a download, read through the signed-in route.
    const [file] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Open the order/ }).click(),
    ]);
    expect(await readFile((await file.path()) as string)).toEqual(pdf('api'));
    await press(page, 'Approve');
    await poll(() => text(page, 'main')).toContain('Approved. The request continues.');
    const review = (await rt.deps.requests.get(requestId)).decisions ?? [];
    expect(review).toEqual([
      expect.objectContaining({
        step: 'court-order-review',
        byStaffId: OFFICER,
        bySub: expect.stringMatching(/^local-/),
      }),
    ]);
    noErrors(w);
    await page.close();
  });

  it('names each bad field next to its input: the page’s own checks, then the server’s (400)', async () => {
    const w = await open(desktop);
    const { page } = w;
    await signIn(page);
    await press(page, 'Upload the order');
    const fields = [
      'order-court',
      'order-caseNumber',
      'order-orderType',
      'order-issuedOn',
      'order-patronCardNumber',
      'cat-personal',
      'order-file',
    ];
    for (const id of fields) {
      expect(await page.getAttribute(`#${id}`, 'aria-invalid'), id).toBe('true');
      expect(await describedBy(page, id), id).toContain(`${id}-error`);
    }
    expect(await text(page, '#order-errors [role="alert"]')).toContain('Please correct 7 fields');
    expect(await focusedId(page)).toBe('order-court');
    await checkAxe(page, '/counsel.html (field errors)');

    // The server's checks: the dates the wrong way round, then a card no patron holds.
    await fillOrder(page, '21234000099999');
    await page.getByLabel('From', { exact: true }).fill('2026-10-31');
    await page.getByLabel('To', { exact: true }).fill('2026-06-01');
    await press(page, 'Upload the order');
    await poll(() => page.getAttribute('#order-to', 'aria-invalid')).toBe('true');
    expect(await text(page, '#order-to-error')).toContain('cannot be before from');
    expect(await describedBy(page, 'order-to')).toBe('order-to-error');
    expect(await page.getAttribute('#order-court', 'aria-invalid')).toBeNull();
    expect(await text(page, '#order-errors')).toContain('nothing was stored');
    expect(await focusedId(page)).toBe('order-to');

    await page.getByLabel('To', { exact: true }).fill('2026-10-31');
    await press(page, 'Upload the order');
    await poll(() => page.getAttribute('#order-patronCardNumber', 'aria-invalid')).toBe('true');
    expect(await text(page, '#order-patronCardNumber-error')).toContain('no patron has this card number');
    expect(await page.getAttribute('#order-to', 'aria-invalid')).toBeNull();
    expect(await text(page, '#order-result')).not.toContain('received');
    await checkAxe(page, '/counsel.html (server field errors)');
    noErrors(w);
    await page.close();
  });

  it('a file that is not a PDF is explained (415), and the same order goes through with the PDF', async () => {
    const w = await open(desktop);
    const { page } = w;
    const creates: string[] = [];
    page.on('request', (r: Request) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/court-orders') creates.push(r.url());
    });
    await signIn(page);
    // A file the browser knows is not a PDF is refused before anything is sent.
    await fillOrder(page, HADDAD.cardNumber, {
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('notes'),
    });
    await press(page, 'Upload the order');
    expect(await text(page, '#order-file-error')).toContain('not a PDF');
    expect(creates).toEqual([]);

    // Named and typed as a PDF, but not one inside: the server reads the content and answers 415.
    await page
      .getByLabel('The order, as a PDF')
      .setInputFiles(pdfFile('order.pdf', Buffer.from('This is a letter, not a PDF, whatever its name says.')));
    await press(page, 'Upload the order');
    await poll(() => text(page, '#order-errors')).toContain('not a PDF');
    expect(await text(page, '#order-errors')).toContain('checks what is inside the file');
    expect(await text(page, '#order-file-error')).toContain('This file is not a PDF');
    expect(await focusedId(page)).toBe('order-file');
    // R13: held from the order's first record, whatever its file turns out to be.
    expect(await rt.deps.holds.isHeld(HADDAD.id)).toBe(true);
    await checkAxe(page, '/counsel.html (not a PDF)');

    await page.getByLabel('The order, as a PDF').setInputFiles(pdfFile());
    await press(page, 'Upload the order');
    await poll(() => text(page, '#order-result')).toContain('The order is received');
    // One order, not two: the details were sent once, the file twice.
    expect(creates).toHaveLength(1);
    const orderId = /Order id: ([0-9a-f-]{36})/.exec(await text(page, '#order-result'))?.[1] ?? '';
    expect((await rt.deps.orders.get(orderId)).file?.size).toBe(pdf('browser').length);
    expect(await rt.deps.holds.isHeld(HADDAD.id)).toBe(true);
    noErrors(w);
    await page.close();
  });

  it('an account without the counsel role is told so (403)', async () => {
    const w = await open(desktop);
    const { page } = w;
    await signIn(page, 'circulation@library.example', 'circulation');
    expect(await text(page, '#role-note')).toContain(NO_ROLE);
    await fillOrder(page, JENKINS.cardNumber);
    await press(page, 'Upload the order');
    await poll(() => text(page, '#order-errors')).toContain(NO_ROLE);
    expect(await text(page, '#order-result')).toBe('');
    await checkAxe(page, '/counsel.html (no counsel role)');
    noErrors(w);
    await page.close();
  });

  it('looks an order up and releases its legal hold after a confirmation', async () => {
    const { orderId, requestId } = await orderViaApi(OBRIEN.cardNumber);
    expect(await rt.deps.holds.isHeld(OBRIEN.id)).toBe(true);
    const w = await open(desktop);
    const { page } = w;
    await signIn(page);

    await page.getByLabel('Order id').fill('not-an-id');
    await press(page, 'Look up');
    expect(await text(page, '#lookup-orderId-error')).toContain('36 letters');
    await page.getByLabel('Order id').fill('00000000-0000-4000-8000-000000000000');
    await press(page, 'Look up');
    await poll(() => text(page, '#lookup-orderId-error')).toContain('No order has this id');
    expect(await focusedId(page)).toBe('lookup-orderId');

    await page.getByLabel('Order id').fill(orderId);
    await press(page, 'Look up');
    await poll(() => focusedId(page)).toBe('order-view-title');
    expect(await text(page, '#order-view-title')).toBe(`Order ${orderId}`);
    const summary = await text(page, '#order-summary');
    expect(summary).toContain('In place since');
    expect(summary).toContain(ORDER.caseNumber);
    expect(summary).toContain(requestId);
    expect(summary).toContain('Library records (loans, holds, programs and events)');
    expect(await text(page, '#order-decisions')).toContain('None yet');
    await checkAxe(page, '/counsel.html (an order)');

    // The first press only asks; Cancel leaves the hold in place.
    await press(page, 'Release the legal hold…');
    expect(await page.isVisible('#release-confirm')).toBe(true);
    expect(await focusedId(page)).toBe('release-question');
    await checkAxe(page, '/counsel.html (release: confirm)');
    await press(page, 'Cancel');
    expect(await page.isVisible('#release-confirm')).toBe(false);
    expect(await focusedId(page)).toBe('release-start');
    expect(await rt.deps.holds.isHeld(OBRIEN.id)).toBe(true);

    await press(page, 'Release the legal hold…');
    await press(page, 'Yes, release the hold');
    // R13: counsel's sign-off is the first of two; the hold stays until the privacy officer's.
    await poll(() => text(page, '#release-result')).toContain('Your sign-off is recorded');
    expect(await focusIn(page, '#release-result')).toBe(true);
    expect(await rt.deps.holds.isHeld(OBRIEN.id)).toBe(true);
    const officer = await localToken(rt.baseUrl, 'privacy@library.example', ['privacy-officer']);
    const second = await fetch(`${rt.baseUrl}/api/court-orders/${orderId}/release-hold`, {
      method: 'POST',
      headers: { authorization: `Bearer ${officer}` },
    });
    expect(second.status).toBe(200);
    expect(await rt.deps.holds.isHeld(OBRIEN.id)).toBe(false);
    const released = (await rt.deps.audit.list(requestId)).filter((e) => e.type === 'legal-hold-released');
    expect(released.map((e) => e.actor.id)).toEqual(['privacy@library.example']);
    await checkAxe(page, '/counsel.html (hold released)');
    noErrors(w);
    await page.close();
  });

  it('treats an expired token as signed out, and signs out with a message when the API refuses a token (401)', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/counsel.html'));
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const jwt = (exp: number) =>
      `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ email: COUNSEL, 'cognito:groups': ['counsel'], exp })}.c2lnbmF0dXJl`;
    const now = Math.floor(Date.now() / 1000);

    await page.evaluate(`sessionStorage.setItem('${TOKEN_KEY}', '${jwt(now - 60)}')`);
    await page.reload();
    await poll(() => text(page, '#signin-result')).toContain('Your sign-in has expired');
    expect(await page.isVisible('#counsel')).toBe(false);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();

    // Unexpired but forged: the page shows it (display only), the API refuses it.
    await page.evaluate(`sessionStorage.setItem('${TOKEN_KEY}', '${jwt(now + 600)}')`);
    await page.reload();
    await poll(() => page.isVisible('#counsel')).toBe(true);
    await page.getByLabel('Order id').fill('00000000-0000-4000-8000-000000000000');
    await press(page, 'Look up');
    await poll(() => text(page, '#signin-result')).toContain('expired or is not valid');
    expect(await page.isVisible('#counsel')).toBe(false);
    expect(await page.isVisible('#signed-out')).toBe(true);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();
    noErrors(w);
    await page.close();
  });

  it('is usable on a phone (375 × 667): the form, its errors and an order fit the screen', async () => {
    const { orderId } = await orderViaApi(JENKINS.cardNumber);
    const phone = await context(browser, PHONE);
    const w = await open(phone);
    const { page } = w;
    await signIn(page);
    await expectNoHorizontalScroll(page);
    await press(page, 'Upload the order');
    expect(await page.getAttribute('#order-file', 'aria-invalid')).toBe('true');
    await expectNoHorizontalScroll(page);
    await page.getByLabel('Order id').fill(orderId);
    await press(page, 'Look up');
    await poll(() => focusedId(page)).toBe('order-view-title');
    await expectNoHorizontalScroll(page);
    await checkAxe(page, '/counsel.html (an order, phone)');
    noErrors(w);
    await phone.close();
  });

  describe('the Library’s hosted sign-in (authorization code with PKCE)', () => {
    interface Cognito {
      authorize: URL[];
      token: { contentType: string; form: URLSearchParams }[];
      logout: URL[];
    }

    /**
     * Answers /auth-config.json as a deployment does, and stands in for Cognito's hosted sign-in:
     * /oauth2/authorize sends the browser back with a code (and `state`, or `returnState` when a test
     * forges it), /oauth2/token hands back `idToken`, /logout returns to its logout_uri.
     */
    async function asDeployed(page: Page, idToken: string, returnState?: string): Promise<Cognito> {
      const seen: Cognito = { authorize: [], token: [], logout: [] };
      await page.route('**/auth-config.json', (route: Route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            region: 'us-east-1',
            userPoolId: 'us-east-1_Example',
            clientId: CLIENT_ID,
            signInUrl: SIGN_IN,
            scopes: 'openid email profile',
          }),
        }),
      );
      await page.route(
        (u: URL) => u.origin === SIGN_IN && u.pathname === '/oauth2/authorize',
        (route: Route) => {
          const at = new URL(route.request().url());
          seen.authorize.push(at);
          const back = new URL(at.searchParams.get('redirect_uri') ?? '');
          back.searchParams.set('code', 'the-authorization-code');
          back.searchParams.set('state', returnState ?? at.searchParams.get('state') ?? '');
          return route.fulfill({ status: 302, headers: { location: back.href } });
        },
      );
      await page.route(
        (u: URL) => u.origin === SIGN_IN && u.pathname === '/oauth2/token',
        (route: Route) => {
          const r = route.request();
          seen.token.push({
            contentType: r.headers()['content-type'] ?? '',
            form: new URLSearchParams(r.postData() ?? ''),
          });
          return route.fulfill({
            status: 200,
            headers: { 'access-control-allow-origin': rt.baseUrl, 'cache-control': 'no-store' },
            contentType: 'application/json',
            body: JSON.stringify({
              id_token: idToken,
              access_token: 'an-access-token',
              refresh_token: 'a-refresh-token',
              expires_in: 3600,
              token_type: 'Bearer',
            }),
          });
        },
      );
      await page.route(
        (u: URL) => u.origin === SIGN_IN && u.pathname === '/logout',
        (route: Route) => {
          const at = new URL(route.request().url());
          seen.logout.push(at);
          return route.fulfill({ status: 302, headers: { location: at.searchParams.get('logout_uri') ?? '' } });
        },
      );
      return seen;
    }

    it('signs in with PKCE and a checked state, uses the ID token on the API, and signs out at the sign-in page', async () => {
      const idToken = await token(COUNSEL, ['counsel']);
      const { orderId } = await orderViaApi(NATARAJAN.cardNumber);
      const w = await open(desktop);
      const { page } = w;
      const cognito = await asDeployed(page, idToken);
      await page.goto(url('/counsel.html'));
      await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
      // The hosted sign-in is the way in: no local form, no pasted token.
      expect(await page.locator('#local-form').count()).toBe(0);
      expect(await page.locator('#signin textarea').count()).toBe(0);
      await checkAxe(page, '/counsel.html (signed out, deployed)');

      await press(page, 'Sign in');
      await poll(() => text(page, '#who')).toContain(`Signed in as ${COUNSEL} (counsel)`);
      expect(await focusedId(page)).toBe('upload-title');

      expect(cognito.authorize).toHaveLength(1);
      const authorize = cognito.authorize[0] as URL;
      const q = authorize.searchParams;
      expect(authorize.origin + authorize.pathname).toBe(`${SIGN_IN}/oauth2/authorize`);
      expect(q.get('response_type')).toBe('code');
      expect(q.get('client_id')).toBe(CLIENT_ID);
      expect(q.get('redirect_uri')).toBe(url('/counsel.html'));
      expect(q.get('scope')).toBe('openid email profile');
      expect(q.get('code_challenge_method')).toBe('S256');
      expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{22,}$/);

      expect(cognito.token).toHaveLength(1);
      const exchange = cognito.token[0] as Cognito['token'][number];
      expect(exchange.contentType).toMatch(/^application\/x-www-form-urlencoded/);
      const verifier = exchange.form.get('code_verifier') ?? '';
      expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
      expect(createHash('sha256').update(verifier).digest('base64url')).toBe(q.get('code_challenge'));
      expect(Object.fromEntries(exchange.form)).toEqual({
        grant_type: 'authorization_code',
        client_id: CLIENT_ID,
        code: 'the-authorization-code',
        redirect_uri: url('/counsel.html'),
        code_verifier: verifier,
      });

      // The code and state are gone from the address bar; only the ID token is kept, in this tab.
      expect(page.url()).toBe(url('/counsel.html'));
      expect(await page.evaluate<string[]>('Object.keys(sessionStorage)')).toEqual([TOKEN_KEY]);
      expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBe(idToken);

      const [apiCall] = await Promise.all([
        page.waitForRequest((r: Request) => new URL(r.url()).pathname === `/api/court-orders/${orderId}`),
        (async () => {
          await page.getByLabel('Order id').fill(orderId);
          await press(page, 'Look up');
        })(),
      ]);
      expect(apiCall.headers().authorization).toBe(`Bearer ${idToken}`);
      await poll(() => text(page, '#order-view-title')).toBe(`Order ${orderId}`);

      await Promise.all([page.waitForURL(url('/')), press(page, 'Sign out')]);
      expect(cognito.logout).toHaveLength(1);
      const logout = cognito.logout[0] as URL;
      expect(logout.origin + logout.pathname).toBe(`${SIGN_IN}/logout`);
      expect(Object.fromEntries(logout.searchParams)).toEqual({ client_id: CLIENT_ID, logout_uri: url('/') });
      expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();
      noErrors(w);
      await page.close();
    });

    it('refuses a return whose state is not this tab’s, and an error from the sign-in page, without asking for a token', async () => {
      const w = await open(desktop);
      const { page } = w;
      const cognito = await asDeployed(page, await token(COUNSEL, ['counsel']), 'a-state-from-somewhere-else');
      await page.goto(url('/counsel.html'));
      await press(page, 'Sign in');
      await poll(() => text(page, '#signin-result')).toContain(
        'does not belong to a sign-in started in this browser tab',
      );
      expect(cognito.authorize).toHaveLength(1);
      expect(cognito.token).toEqual([]);
      expect(page.url()).toBe(url('/counsel.html'));
      expect(await page.isVisible('#counsel')).toBe(false);
      expect(await page.evaluate<string | null>(`sessionStorage.getItem('${TOKEN_KEY}')`)).toBeNull();
      await checkAxe(page, '/counsel.html (sign-in refused)');

      // A link carrying a code, with no sign-in started in this tab, is refused the same way.
      await page.goto(url('/counsel.html?code=stolen&state=guessed'));
      await poll(() => text(page, '#signin-result')).toContain(
        'does not belong to a sign-in started in this browser tab',
      );
      expect(cognito.token).toEqual([]);

      // An error from the sign-in page is shown by its code only, never the link's own words.
      await page.goto(url('/counsel.html?error=access_denied&error_description=Call%20555-0100%20to%20unlock'));
      await poll(() => text(page, '#signin-result')).toContain('the sign-in was cancelled or refused');
      expect(await text(page, '#signin-result')).not.toContain('555');
      expect(page.url()).toBe(url('/counsel.html'));
      expect(cognito.token).toEqual([]);
      noErrors(w);
      await page.close();
    });

    it('the staff desk signs in the same way and loads its queue with the ID token', async () => {
      const w = await open(desktop);
      const { page } = w;
      const cognito = await asDeployed(page, await token('privacy@library.example', ['privacy-officer']));
      await page.goto(url('/staff.html'));
      await press(page, 'Sign in');
      await poll(() => text(page, '#who')).toContain('Signed in as privacy@library.example (privacy-officer)');
      expect(cognito.authorize[0]?.searchParams.get('redirect_uri')).toBe(url('/staff.html'));
      expect(cognito.token[0]?.form.get('redirect_uri')).toBe(url('/staff.html'));
      expect(page.url()).toBe(url('/staff.html'));
      await poll(() => text(page, '#queue-caption')).toContain('soonest due first');
      expect(await page.isVisible('#desk')).toBe(true);
      await checkAxe(page, '/staff.html (signed in, deployed)');
      noErrors(w);
      await page.close();
    });
  });
});
