import { readFile } from 'node:fs/promises';
import { postFormAsBrowser } from '../support/http.ts';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLinkIn } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  eventually,
  HAROLD,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
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
  type WatchedPage,
} from './browser.ts';

/**
 * The staff desk (web/staff.html) in Chromium: sign in with a local token (web/sign-in.js; the
 * Library's hosted sign-in is tested in counsel.test.ts), the queue, a request's page, an extension
 * with its field errors, a request made at the desk, statistics and the CSV downloads; accessible (axe-core) in each state, keyboard focus moved where the content appears,
 * and usable at 375 px.
 */
const PRIYA = { cardNumber: '21234000011003', lastName: 'Natarajan', email: 'priya.natarajan@example.com' };

describe.skipIf(!HAS_CHROMIUM)('staff desk in Chromium (needs /usr/bin/chromium)', { timeout: FLOW_TIMEOUT }, () => {
  let rt: TestRuntime;
  let browser: Browser;
  let desktop: BrowserContext;
  let adaRequest: string;
  beforeAll(async () => {
    [rt, browser] = await Promise.all([startTestRuntime(), launch()]);
    desktop = await context(browser);
    const a = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const h = await submit(rt, { kind: 'export', cardNumber: HAROLD.cardNumber, lastName: HAROLD.lastName });
    adaRequest = a.body.requestId;
    await waitForStatus(rt, a.body.statusUrl, 'verifying', 30_000);
    await eventually(
      async () => ((await rt.deps.requests.get(h.body.requestId)).status === 'awaiting-staff' ? true : undefined),
      30_000,
      'desk task',
    );
  }, FLOW_TIMEOUT);
  afterAll(async () => {
    await browser?.close();
    await rt?.cleanup();
    console.info(`axe-core, staff desk:\n${axeSummary()}`);
  });

  const url = (path: string) => `${rt.baseUrl}${path}`;
  const noErrors = (w: WatchedPage) => expect(w.errors, w.page.url()).toEqual([]);
  const press = (page: Page, name: string | RegExp) =>
    page.getByRole('button', { name, exact: typeof name === 'string' }).click();
  const focusedId = (page: Page) => page.evaluate<string>('document.activeElement ? document.activeElement.id : ""');
  const describedBy = (page: Page, id: string) =>
    page.evaluate<string>(`document.getElementById(${JSON.stringify(id)}).getAttribute('aria-describedby') || ''`);

  async function signIn(page: Page) {
    await page.goto(url('/staff.html'));
    await page.getByLabel('Staff email').fill('privacy@library.example');
    await page.getByLabel('Role').selectOption('privacy-officer');
    await press(page, 'Get a local token');
    await poll(() => page.textContent('#who')).toContain('Signed in as privacy@library.example (privacy-officer)');
  }

  it('signs in, shows the queue without personal data, opens a request (audited) and extends it once', async () => {
    const w = await open(desktop);
    const { page } = w;
    await page.goto(url('/staff.html'));
    // No /auth-config.json here: web/sign-in.js offers the local runtime's sign-in, and no pasted token.
    await page.getByRole('button', { name: 'Get a local token' }).waitFor();
    expect(await page.locator('#signin textarea').count()).toBe(0);
    await checkAxe(page, '/staff.html (signed out)');
    // A missing email is refused on its field, before any token is asked for.
    await page.getByLabel('Staff email').fill('');
    await press(page, 'Get a local token');
    expect(await page.getAttribute('#local-email', 'aria-invalid')).toBe('true');
    expect(await describedBy(page, 'local-email')).toContain('local-email-error');
    expect(await focusedId(page)).toBe('local-email');
    await checkAxe(page, '/staff.html (sign-in error)');

    await signIn(page);
    expect(await focusedId(page)).toBe('queue-title');
    const queueText = (await page.textContent('#queue')) ?? '';
    expect(queueText).not.toContain('Lovelace');
    expect(queueText).not.toContain(ADA.cardNumber);
    expect(await page.locator('#queue-rows tr').count()).toBeGreaterThanOrEqual(2);
    await checkAxe(page, '/staff.html (queue)');

    await page.getByLabel('Kind').selectOption('access');
    await press(page, 'Show');
    await poll(() => page.locator('#queue-rows tr').count()).toBe(1);
    expect(await page.textContent('#queue-caption')).toContain('See records');

    await page.getByRole('button', { name: `Open request ${adaRequest.slice(0, 8)}` }).click();
    await poll(() => focusedId(page)).toBe('request-title');
    expect(await page.textContent('#request-summary')).toContain('Ada Lovelace');
    expect(await page.textContent('#request-pending')).toContain('the patron to confirm by email');
    expect(await page.textContent('#audit-rows')).toContain('staff-read (staff-request-page)');
    expect(
      (await rt.deps.audit.list(adaRequest)).filter((e) => e.type === 'staff-read').map((e) => e.actor.id),
    ).toEqual(['privacy@library.example']);
    await checkAxe(page, '/staff.html (a request)');

    // Extension: errors are tied to their fields and take focus; then the one extension.
    await press(page, 'Extend the deadline');
    expect(await page.getAttribute('#extend-days', 'aria-invalid')).toBe('true');
    expect(await describedBy(page, 'extend-days')).toBe('extend-days-error');
    expect(await describedBy(page, 'extend-reason')).toBe('extend-reason-error');
    expect(await page.textContent('#extend-days-error')).toContain('1 to 60');
    expect(await focusedId(page)).toBe('extend-days');
    await checkAxe(page, '/staff.html (extension errors)');
    await page.getByLabel('Extra days (1 to 60)').fill('10');
    await page.getByLabel(/^Reason/).fill('The loan history is being restored from a backup.');
    await press(page, 'Extend the deadline');
    await poll(() => page.textContent('#extend-result')).toContain('The new due date is');
    expect(await page.isVisible('#extend-form')).toBe(false);
    const told = await rt.mail.waitFor(ADA.email, /needs more time/, 1, 30_000);
    expect(told.body.text).toContain('restored from a backup');

    // The audit trail as a CSV download.
    const [csv] = await Promise.all([page.waitForEvent('download'), press(page, 'Download the audit trail (CSV)')]);
    expect(csv.suggestedFilename()).toBe(`audit-${adaRequest}.csv`);
    const text = await readFile((await csv.path()) as string, 'utf8');
    expect(text.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(
      'requestId,seq,at,eventId,type,actorKind,actorId,actorRole,data,prevHash,hash',
    );
    expect(text).toContain('deadline-extended');

    await press(page, 'Back to the queue');
    expect(await page.isVisible('#request')).toBe(false);
    expect(await focusedId(page)).toBe('queue-title');
    noErrors(w);
    await page.close();
  });

  it('makes a request at the desk for a patron verified in person, with errors tied to fields', async () => {
    const w = await open(desktop);
    const { page } = w;
    // The token lasts for the tab: a reload keeps the sign-in.
    await signIn(page);
    await page.reload();
    await poll(() => page.isVisible('#desk')).toBe(true);

    await press(page, 'Make the request');
    for (const id of ['ob-cardNumber', 'ob-lastName', 'ob-documentKind', 'ob-notRetained']) {
      expect(await page.getAttribute(`#${id}`, 'aria-invalid'), id).toBe('true');
      expect(await describedBy(page, id), id).toContain(`${id}-error`);
    }
    expect(await page.textContent('#on-behalf-errors [role="alert"]')).toContain('Please correct 5 fields');
    expect(await focusedId(page)).toBe('ob-kind-access');
    await checkAxe(page, '/staff.html (desk request errors)');

    // The server's own check: a card and name that do not match are named on their fields.
    await page.getByLabel('See their records').check();
    // R4, R6: a report made at the desk is confirmed by the patron through the email on their record.
    await page.getByLabel(/The patron, through the email on their record/).check();
    await page.getByLabel('Library card number').fill(PRIYA.cardNumber);
    await page.getByLabel('Last name, as on the library record').fill('Nobody');
    await page.getByLabel('How did you verify them?').selectOption('photo-id');
    await page.getByLabel(/I checked the document/).check();
    await press(page, 'Make the request');
    await poll(() => page.getAttribute('#ob-lastName', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#ob-lastName-error')).toContain('no patron has this card number and last name');

    await page.getByLabel('Last name, as on the library record').fill(PRIYA.lastName);
    await press(page, 'Make the request');
    await poll(() => page.textContent('#on-behalf-result')).toContain('The request is made and verified in person');
    const requestId = /verified in person: ([0-9a-f-]{36})/.exec(
      (await page.textContent('#on-behalf-result')) ?? '',
    )?.[1] as string;
    expect(await page.textContent('#on-behalf-result')).toContain('It waits until the patron confirms it');
    const ask = await rt.mail.waitFor(PRIYA.email, /Please confirm your privacy request/, 1, 30_000);
    expect((await postFormAsBrowser(linkIn(ask, 'act'), { decision: 'confirm' })).status).toBe(200);
    await eventually(
      async () => ((await rt.deps.requests.get(requestId)).status === 'completed' ? true : undefined),
      30_000,
      'desk request completed',
    );
    expect((await rt.deps.requests.get(requestId)).verification).toMatchObject({
      method: 'in-person',
      verifiedByStaffId: 'privacy@library.example',
      documentKind: 'photo-id',
    });
    await rt.mail.waitFor(PRIYA.email, /are ready/, 1, 30_000);
    // The correction fields show only for a correction.
    expect(await page.isVisible('#ob-correction')).toBe(false);
    await page.getByLabel('Correct their information').check();
    expect(await page.isVisible('#ob-correction')).toBe(true);
    await checkAxe(page, '/staff.html (desk request made)');
    noErrors(w);
    await page.close();
  });

  it('shows statistics with small counts as "<5" and downloads them as CSV', async () => {
    const w = await open(desktop);
    const { page } = w;
    await signIn(page);
    await press(page, 'Show statistics');
    await poll(() => page.locator('#stats-tables table').count()).toBe(3);
    const tables = (await page.textContent('#stats-tables')) ?? '';
    expect(tables).toContain('<5');
    // R3: a twelve-month figure with a month under 5 is withheld, and reads as such.
    expect(tables).toContain('not shown');
    expect(tables).not.toContain('hidden');
    expect(tables).toContain('Not shown: it needs at least 5 completed in every month');
    expect(tables).not.toContain('@');
    await checkAxe(page, '/staff.html (statistics)');
    const [csv] = await Promise.all([page.waitForEvent('download'), press(page, 'Download as CSV')]);
    expect(csv.suggestedFilename()).toMatch(/^privacy-desk-statistics-.*\.csv$/);
    expect(await readFile((await csv.path()) as string, 'utf8')).toContain('kind,access,hidden');

    await press(page, 'Sign out');
    expect(await page.isVisible('#desk')).toBe(false);
    expect(await page.evaluate<string | null>("sessionStorage.getItem('privacy-desk-staff-token')")).toBeNull();
    noErrors(w);
    await page.close();
  });

  it('is usable on a phone (375 × 667): queue, request page and statistics fit the screen', async () => {
    const phone = await context(browser, PHONE);
    const w = await open(phone);
    const { page } = w;
    await signIn(page);
    await expectNoHorizontalScroll(page);
    await page.getByRole('button', { name: `Open request ${adaRequest.slice(0, 8)}` }).click();
    await poll(() => focusedId(page)).toBe('request-title');
    await expectNoHorizontalScroll(page);
    await checkAxe(page, '/staff.html (a request, phone)');
    await press(page, 'Show statistics');
    await poll(() => page.locator('#stats-tables table').count()).toBe(3);
    await expectNoHorizontalScroll(page);
    noErrors(w);
    await phone.close();
  });

  it('R12 an approval from its emailed link: nothing before sign-in, another officer refused, the recipient approves signed in', async () => {
    const SAM = { cardNumber: '21234000011004', lastName: "O'Brien", email: 'sam.obrien@example.org' };
    const OWEN = 'owen.gallagher@library.example';
    const { body } = await submit(rt, { kind: 'deletion', cardNumber: SAM.cardNumber, lastName: SAM.lastName });
    const verify = await rt.mail.waitFor(SAM.email, /confirm your privacy request/, 1, 30_000);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const email = await eventually(
      async () =>
        (await rt.mail.to(OFFICER)).find(
          (e) => /Decision needed on a deletion plan/.test(e.subject) && e.body.text?.includes(body.requestId),
        ),
      30_000,
      'approval email',
    );
    const w = await open(desktop);
    const { page } = w;
    const signInAs = async (who: string) => {
      await page.getByLabel('Staff email').fill(who);
      await page.getByLabel('Role').selectOption('privacy-officer');
      await press(page, 'Get a local token');
    };
    await page.goto(approvalLinkIn(email));
    await page.getByRole('button', { name: 'Get a local token' }).waitFor();
    // The secret leaves the address bar at once, and nothing about the request shows before sign-in.
    expect(page.url()).toBe(url('/approval.html'));
    expect(await page.isVisible('#approval')).toBe(false);
    expect(await page.textContent('main')).not.toContain(SAM.cardNumber);
    await checkAxe(page, '/approval.html (signed out)');

    // Owen holds the same role, but this link is Dana's: refused, and nothing is shown.
    await signInAs(OWEN);
    await poll(() => page.textContent('#approval-result')).toContain('sent to another member of staff');
    expect(await page.textContent('main')).not.toContain(SAM.cardNumber);
    await checkAxe(page, '/approval.html (another member of staff)');
    await press(page, 'Sign out');

    await signInAs(OFFICER);
    await poll(() => page.textContent('#approval-title')).toMatch(/Decision needed/);
    expect(await page.textContent('#approval-body')).toContain('Deletion plan');
    await checkAxe(page, '/approval.html (deletion plan)');
    await press(page, 'Approve');
    await poll(() => page.textContent('main')).toContain('Approved. The request continues.');
    const decided = (await rt.deps.requests.get(body.requestId)).decisions ?? [];
    expect(decided).toEqual([expect.objectContaining({ byStaffId: OFFICER, bySub: expect.stringMatching(/^local-/) })]);
    noErrors(w);
    await page.close();
  });
});
