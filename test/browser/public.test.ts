import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADA,
  DESK,
  eventually,
  HAROLD,
  linkIn,
  OFFICER,
  startTestRuntime,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';
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
  signInForApproval,
  type WatchedPage,
} from './browser.ts';
import { approvalLinkIn } from '../support/approvals.ts';

/**
 * The public pages in a real browser (Debian's Chromium, driven by playwright-core): each page has
 * no JavaScript error, no serious or critical axe-core violation, and no sideways scroll on a phone;
 * and the flows people follow: a patron's form, the emailed link and the download; a staff
 * decision from an emailed link; a patron verified at the desk. Counsel's page: counsel.test.ts.
 */
const ELEANOR = { cardNumber: '21234000011005', lastName: 'Vance', email: 'eleanor.vance@example.com' };

const PAGES = [
  '/',
  '/request.html',
  '/guardian.html',
  '/third-party.html',
  '/outreach.html',
  '/counsel.html',
  '/staff.html',
];

describe.skipIf(!HAS_CHROMIUM)('public pages in Chromium (needs /usr/bin/chromium)', { timeout: FLOW_TIMEOUT }, () => {
  let rt: TestRuntime;
  let browser: Browser;
  let desktop: BrowserContext;
  let phone: BrowserContext;
  beforeAll(async () => {
    [rt, browser] = await Promise.all([startTestRuntime(), launch()]);
    desktop = await context(browser);
    phone = await context(browser, PHONE);
  }, FLOW_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await rt?.cleanup();
    console.info(`axe-core, public pages:\n${axeSummary()}`);
  });

  const url = (path: string) => `${rt.baseUrl}${path}`;
  const noErrors = (w: WatchedPage) => expect(w.errors, w.page.url()).toEqual([]);
  /** Opens a page on a phone and checks it fits. */
  async function fitsPhone(path: string) {
    const w = await open(phone);
    await w.page.goto(path.startsWith('http') ? path : url(path));
    await expectNoHorizontalScroll(w.page);
    noErrors(w);
    await w.page.close();
  }
  const press = (page: Page, name: string | RegExp) => page.getByRole('button', { name }).click();

  it('every static page: no JavaScript error, accessible (axe), usable at 375 px', async () => {
    const w = await open(desktop);
    const small = await open(phone);
    for (const path of PAGES) {
      const res = await w.page.goto(url(path));
      expect(res?.status(), path).toBe(200);
      await checkAxe(w.page);
      // Keyboard users reach the content first: the skip link is the first stop.
      await w.page.keyboard.press('Tab');
      expect(await w.page.evaluate<string>('document.activeElement.textContent')).toBe('Skip to main content');
      await small.page.goto(url(path));
      await expectNoHorizontalScroll(small.page);
    }
    noErrors(w);
    noErrors(small);
    await w.page.close();
    await small.page.close();
  });

  it('R20 a donor without a card sends the outreach form by email and confirms through the link sent to that address', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/outreach.html'));
    await page.getByLabel('Email address you gave with your donation').fill('rosa.delgado@example.net');
    await page.getByRole('button', { name: 'Stop outreach to me' }).nth(1).click();
    await poll(() => page.title()).toMatch(/We received your request/);
    expect(await page.textContent('main')).toContain('If our donation records hold this email address');
    await checkAxe(page, '/api/requests (received page, donor)');
    const link = linkIn(
      await rt.mail.waitFor('rosa.delgado@example.net', /confirm your privacy request/, 1, 30_000),
      'act',
    );
    await page.goto(link);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Confirm your request');
    noErrors(w);
    await page.close();
  });

  it('a patron submits the form, follows the emailed link, confirms and downloads the report', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/request.html'));
    await page.getByLabel('See my records').check();
    await page.getByLabel('Library card number').fill(ADA.cardNumber);
    await page.getByLabel('Last name, as on your library record').fill(ADA.lastName);
    await press(page, 'Send request');
    await poll(() => page.title()).toMatch(/We received your request/);
    await checkAxe(page, '/api/requests (received page)');
    await expectNoHorizontalScroll(page);

    const link = linkIn(await rt.mail.waitFor(ADA.email, /confirm your privacy request/, 1, 30_000), 'act');
    await page.goto(link);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Confirm your request');
    await checkAxe(page, '/act/… (confirm your request)');
    await fitsPhone(link);
    await press(page, 'Yes, this was me');
    await poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
    expect(await page.textContent('main')).toContain('Your request is confirmed');
    await checkAxe(page, '/act/… (thank you)');

    const download = linkIn(await rt.mail.waitFor(ADA.email, /are ready/, 1, 30_000), 'download');
    const [file] = await Promise.all([page.waitForEvent('download'), page.goto(download).catch(() => undefined)]);
    expect(file.suggestedFilename()).toMatch(/\.(html|zip|pdf|txt|json)$/);
    const report = await readFile((await file.path()) as string, 'utf8');
    expect(report).toContain('The Difference Engine');
    expect(report).not.toContain('$2b$');

    // A used link is answered with a page, accessible too.
    await page.goto(link);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This link can no longer be used');
    await checkAxe(page, '/act/… (used link, 410)');
    await page.goto(url('/act/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    await checkAxe(page, '/act/… (unknown link, 404)');
    noErrors(w);
    await page.close();
  });

  it('a form the server refuses comes back as an accessible page naming the field', async () => {
    const w = await open(desktop);
    await w.page.goto(url('/request.html'));
    await w.page.getByLabel('See my records').check();
    await w.page.getByLabel('Library card number').fill('12ab');
    await w.page.getByLabel('Last name, as on your library record').fill('Lovelace');
    // The browser's own check names the field first; the server is the backstop for anything else.
    expect(await w.page.evaluate<boolean>("document.getElementById('cardNumber').validity.valid")).toBe(false);
    await w.page.evaluate("document.querySelector('form').submit()");
    await poll(() => w.page.title()).toMatch(/Please check the form/);
    expect(await w.page.textContent('[role="alert"]')).toContain('cardNumber');
    await checkAxe(w.page, '/api/requests (400 page)');
    noErrors(w);
    await w.page.close();
  });

  it('a staff member approves a correction from the emailed link', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/request.html'));
    await page.getByLabel('Correct my information').check();
    // The correction fields appear once "correct" is chosen (CSS :has, no script needed).
    await poll(() => page.getByLabel('Street address').isVisible()).toBe(true);
    await page.getByLabel('Library card number').fill(ELEANOR.cardNumber);
    await page.getByLabel('Last name, as on your library record').fill(ELEANOR.lastName);
    await page.getByLabel('Street address').fill('12 Elm St');
    await page.getByLabel('Town or city').fill('Greenwich');
    await page.getByLabel('State').fill('CT');
    await page.getByLabel('ZIP code').fill('06830');
    await press(page, 'Send request');
    await poll(() => page.title()).toMatch(/We received your request/);
    const statusUrl = await page.getByRole('link', { name: /\/api\/requests\// }).getAttribute('href');

    await page.goto(linkIn(await rt.mail.waitFor(ELEANOR.email, /confirm your privacy request/, 1, 30_000), 'act'));
    await press(page, 'Yes, this was me');
    await poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');

    // R12: the emailed link opens the approval page, which shows the request only once its recipient signs in.
    const approval = approvalLinkIn(await rt.mail.waitFor(OFFICER, /Decision needed on a correction/, 1, 30_000));
    await signInForApproval(page, approval, OFFICER, 'privacy-officer');
    await poll(() => page.textContent('#approval-title')).toMatch(/Decision needed/);
    expect(await page.textContent('main')).toContain('12 Elm St');
    await checkAxe(page, '/approval.html (staff approval of a correction)');
    await fitsPhone(approval);
    await page.getByLabel(/Reason/).fill('Matches the utility bill the patron showed.');
    await press(page, 'Approve');
    await poll(() => page.textContent('main')).toContain('Approved. The request continues.');
    await checkAxe(page, '/approval.html (approved)');
    await rt.mail.waitFor(ELEANOR.email, /were updated/, 1, 30_000);
    await waitForStatus(rt, statusUrl as string, 'completed', 30_000);
    noErrors(w);
    await page.close();
  });

  it("a guardian asks for a young child's records; the privacy officer approves; the report downloads", async () => {
    const MARIA = { cardNumber: '21234000011010', lastName: 'Rivera', email: 'maria.rivera@example.org' };
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/guardian.html'));
    await page.getByLabel('Your library card number').fill(MARIA.cardNumber);
    await page.getByLabel('Your last name').fill(MARIA.lastName);
    await page.getByLabel("Child's library card number").fill('21234000011011');
    await page.getByLabel("Child's last name").fill('Rivera');
    await press(page, 'Send request');
    await poll(() => page.title()).toMatch(/We received your request/);
    await page.goto(linkIn(await rt.mail.waitFor(MARIA.email, /confirm your privacy request/, 1, 30_000), 'act'));
    await checkAxe(page, '/act/… (guardian confirms)');
    await press(page, 'Yes, this was me');
    await poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Thank you');
    const approval = await eventually(
      async () => (await rt.mail.to(OFFICER)).find((e) => /Decision needed on a guardian/.test(e.subject)),
      30_000,
      'approval email',
    );
    await signInForApproval(page, approvalLinkIn(approval), OFFICER, 'privacy-officer');
    await poll(() => page.textContent('main')).toContain('Sofia Rivera');
    await checkAxe(page, "/approval.html (approval of a guardian's request)");
    await press(page, 'Approve');
    await poll(() => page.textContent('main')).toContain('Approved');
    const ready = linkIn(await rt.mail.waitFor(MARIA.email, /are ready/, 1, 30_000), 'download');
    const [file] = await Promise.all([page.waitForEvent('download'), page.goto(ready).catch(() => undefined)]);
    expect((await file.path()) as string).toBeTruthy();
    noErrors(w);
    await page.close();
  });

  it("a third party asks with the patron's written permission: the consent page and the staff approval", async () => {
    const PRIYA = { cardNumber: '21234000011003', lastName: 'Natarajan', email: 'priya.natarajan@example.com' };
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/third-party.html'));
    await page.getByLabel('Your full name').fill('Casey Morgan');
    await page.getByLabel('Your email address').fill('casey.morgan@credit-union.example');
    await page.getByLabel('Their library card number').fill(PRIYA.cardNumber);
    await page.getByLabel('Their last name').fill(PRIYA.lastName);
    await page.getByLabel('Fines, fees and payments').check();
    await page.getByLabel('Why you need these records').fill('Checking the applicant has no outstanding debts.');
    await press(page, 'Send request');
    await poll(() => page.title()).toMatch(/We received your request/);
    await checkAxe(page, '/api/requests (third party received)');

    // R14: the third party first confirms the address they typed, from their own mailbox.
    const confirm = linkIn(
      await rt.mail.waitFor('casey.morgan@credit-union.example', /Please confirm your email address/, 1, 30_000),
      'act',
    );
    await page.goto(confirm);
    await checkAxe(page, "/act/… (a third party's address to confirm)");
    await page
      .getByRole('button', { name: /confirm|yes/i })
      .first()
      .click();
    await poll(() => page.textContent('main')).toMatch(/confirmed|thank/i);

    const ask = await eventually(
      async () => (await rt.mail.to(PRIYA.email)).find((e) => e.subject.includes('Casey Morgan')),
      30_000,
      'consent email',
    );
    const consent = linkIn(ask, 'act');
    await page.goto(consent);
    expect(await page.textContent('main')).toContain('Fines, fees and payments');
    await checkAxe(page, '/act/… (written permission asked)');
    await fitsPhone(consent);
    await page
      .getByRole('button', { name: /yes|consent|permit|agree/i })
      .first()
      .click();
    await poll(() => page.textContent('main')).toContain('is recorded');
    await checkAxe(page, '/act/… (permission recorded)');
    const approval = await eventually(
      async () => (await rt.mail.to(OFFICER)).find((e) => /Decision needed on a third party/.test(e.subject)),
      30_000,
      'approval email',
    );
    await signInForApproval(page, approvalLinkIn(approval), OFFICER, 'privacy-officer');
    // R14: the requester's purpose, marked as their words.
    await poll(() => page.textContent('main')).toContain('Checking the applicant has no outstanding debts.');
    expect(await page.textContent('main')).toContain("the requester's own words");
    await checkAxe(page, "/approval.html (approval of a third party's request)");
    await press(page, 'Approve');
    await poll(() => page.textContent('main')).toContain('Approved');
    await rt.mail.waitFor('casey.morgan@credit-union.example', /are ready/, 1, 30_000);
    noErrors(w);
    await page.close();
  });

  it('circulation staff verify a patron with no email at the desk, from the emailed task', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/request.html'));
    await page.getByLabel('See my records').check();
    await page.getByLabel('Library card number').fill(HAROLD.cardNumber);
    await page.getByLabel('Last name, as on your library record').fill(HAROLD.lastName);
    await press(page, 'Send request');
    await poll(() => page.title()).toMatch(/We received your request/);

    const task = linkIn(await rt.mail.waitFor(DESK, /In-person verification needed/, 1, 30_000), 'act');
    await page.goto(task);
    expect(await page.textContent('main')).toContain('Harold Jenkins');
    await checkAxe(page, '/act/… (in-person verification)');
    await fitsPhone(task);
    // Submitting without choosing is refused by the browser, on the field itself.
    expect(await page.evaluate<boolean>("document.getElementById('documentKind').validity.valid")).toBe(false);
    await page.getByLabel('How did you verify them?').selectOption('photo-id');
    await press(page, 'Identity verified');
    await poll(() => page.textContent('main')).toContain('The patron is verified');
    await checkAxe(page, '/act/… (verified)');
    await rt.mail.waitFor(DESK, /Print and hand over/, 1, 30_000);
    noErrors(w);
    await page.close();
  });
});
