import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { postFormAsBrowser } from '../support/http.ts';
import {
  ADA,
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  statusOf,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * Guardian requests (R9, R10, R11) and third-party requests (R14) exactly as people make them:
 * the web forms (guardian.html, third-party.html), the emails in the local SES mailbox, the pages
 * behind their links (GET shows, POST acts), and the downloaded report.
 */
const MARIA = { cardNumber: '21234000011010', lastName: 'Rivera', email: 'maria.rivera@example.org' };
const SOFIA = { cardNumber: '21234000011011', lastName: 'Rivera' }; // 10
const DAVID = { cardNumber: '21234000011013', lastName: 'Chen', email: 'david.chen@example.com' };
const ETHAN = { cardNumber: '21234000011015', lastName: 'Chen', email: 'ethan.chen@example.org' }; // 17

const statusUrlIn = (page: string) =>
  /href="(\/api\/requests\/[^"]+)"/.exec(page)?.[1]?.replaceAll('&amp;', '&') as string;

async function approvalFor(rt: TestRuntime, requestId: string): Promise<SentEmail> {
  return eventually(
    async () =>
      (await rt.mail.to(OFFICER)).find((e) => /Decision needed/.test(e.subject) && e.body.text?.includes(requestId)),
    10_000,
    'approval email',
  );
}
const requestIdOf = (statusUrl: string) => /\/api\/requests\/([^?]+)/.exec(statusUrl)?.[1] as string;

describe('guardian and third-party requests, end to end', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('serves both forms with the field names the API reads', async () => {
    const guardian = await (await fetch(`${rt.baseUrl}/guardian.html`)).text();
    for (const name of [
      'kind" value="guardian-access',
      'guardian.cardNumber',
      'guardian.lastName',
      'child.cardNumber',
      'child.lastName',
    ])
      expect(guardian).toContain(`name="${name}`);
    const third = await (await fetch(`${rt.baseUrl}/third-party.html`)).text();
    for (const name of [
      'kind" value="third-party',
      'requester.name',
      'requester.email',
      'requester.organization',
      'patron.cardNumber',
      'patron.lastName',
      'categories',
      'purpose',
    ])
      expect(third).toContain(`name="${name}`);
    expect(third).toContain('action="/api/requests"');
  });

  it('R9 guardian form → the guardian confirms from their own mailbox → the privacy officer approves → the report downloads', async () => {
    const submitted = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, [
      ['kind', 'guardian-access'],
      ['guardian.cardNumber', MARIA.cardNumber],
      ['guardian.lastName', MARIA.lastName],
      ['child.cardNumber', SOFIA.cardNumber],
      ['child.lastName', 'rivera'],
    ]);
    expect(submitted.status).toBe(202);
    const statusUrl = statusUrlIn(await submitted.text());
    expect((await statusOf(rt, statusUrl)).kind).toBe('guardian-access');

    const verify = await rt.mail.waitFor(MARIA.email, /confirm your privacy request/);
    const link = linkIn(verify, 'act');
    const page = await (await fetch(link)).text(); // a GET only shows
    expect(page).toContain('see the library records of a child linked to your card');
    expect((await statusOf(rt, statusUrl)).status).toBe('verifying');
    expect((await postFormAsBrowser(link, [['decision', 'confirm']])).status).toBe(200);

    const approval = await approvalFor(rt, requestIdOf(statusUrl));
    const approvalLink = approvalLinkIn(approval);
    expect(await (await openApproval(rt, approvalLink)).text()).toContain('Sofia Rivera');
    await waitForStatus(rt, statusUrl, 'awaiting-approval');
    expect(await rt.mail.to(MARIA.email)).toHaveLength(1); // nothing before approval
    expect((await decideApproval(rt, approvalLink, { decision: 'approve' })).status).toBe(200);

    const ready = await rt.mail.waitFor(MARIA.email, /are ready/);
    const download = await fetch(linkIn(ready, 'download'));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    const report = await download.text();
    expect(report).toContain('Library records of Sofia Rivera');
    expect(report).toContain('The Wild Robot');
    expect(report).toContain('Saturday Storytime');
    expect(report).toContain('Why you receive these records');
    await waitForStatus(rt, statusUrl, 'completed');
    await rt.engine.whenDone(`local:guardian-access:${requestIdOf(statusUrl)}`);
  });

  it('R10 a 17-year-old decides through their own link; the parent is told only that it could not go ahead', async () => {
    const submitted = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, [
      ['kind', 'guardian-access'],
      ['guardian.cardNumber', DAVID.cardNumber],
      ['guardian.lastName', DAVID.lastName],
      ['child.cardNumber', ETHAN.cardNumber],
      ['child.lastName', ETHAN.lastName],
    ]);
    const statusUrl = statusUrlIn(await submitted.text());
    await postFormAsBrowser(linkIn(await rt.mail.waitFor(DAVID.email, /confirm your privacy request/), 'act'), [
      ['decision', 'confirm'],
    ]);
    const ask = await rt.mail.waitFor(ETHAN.email, /A parent or guardian asked/);
    await waitForStatus(rt, statusUrl, 'awaiting-consent');
    const link = linkIn(ask, 'act');
    expect(await (await fetch(link)).text()).toContain('May your parent or guardian see these records?');
    const answered = await postFormAsBrowser(link, [['decision', 'decline']]);
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('nothing will be shared');
    expect((await postFormAsBrowser(link, [['decision', 'consent']])).status).toBe(410); // once only
    await waitForStatus(rt, statusUrl, 'denied');
    const told = await rt.mail.waitFor(DAVID.email, /was not completed/);
    expect(told.body.text).toContain('could not go ahead without the required consent');
    expect(told.body.text).not.toContain('The Martian');
    await rt.engine.whenDone(`local:guardian-access:${requestIdOf(statusUrl)}`);
  });

  it('R14 third-party form with two categories → the patron permits → staff approve → the package holds only those two', async () => {
    const requester = 'casey.morgan@credit-union.example';
    const submitted = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, [
      ['kind', 'third-party'],
      ['requester.name', 'Casey Morgan'],
      ['requester.email', requester],
      ['requester.organization', 'Greenwich Credit Union'],
      ['patron.cardNumber', ADA.cardNumber],
      ['patron.lastName', ADA.lastName],
      ['categories', 'payments'],
      ['categories', 'shared-content'],
      ['purpose', 'Checking the applicant has no outstanding debts, and their public reviews.'],
    ]);
    expect(submitted.status).toBe(202);
    const received = await submitted.text();
    expect(received).toContain('we ask the card holder for written permission');
    const statusUrl = statusUrlIn(received);
    // R14: the third party first confirms the address they typed; only then is the patron asked.
    const confirm = await rt.mail.waitFor(requester, /Please confirm your email address/);
    expect((await postFormAsBrowser(linkIn(confirm, 'act'), [['decision', 'confirm']])).status).toBe(200);

    const ask = await eventually(
      async () => (await rt.mail.to(ADA.email)).find((e) => e.subject.includes('Casey Morgan')),
      10_000,
      'consent email',
    );
    const link = linkIn(ask, 'act');
    const page = await (await fetch(link)).text();
    for (const text of [
      'Casey Morgan',
      'Greenwich Credit Union',
      requester,
      'no outstanding debts',
      'Fines, fees and payments',
      'Shared content',
    ])
      expect(page).toContain(text);
    expect(page).not.toContain('Donations');
    expect((await postFormAsBrowser(link, [['decision', 'consent']])).status).toBe(200);
    await waitForStatus(rt, statusUrl, 'awaiting-approval');
    expect(await rt.mail.to(requester)).toHaveLength(1); // the confirmation of their address, nothing else

    expect(
      (await decideApproval(rt, approvalLinkIn(await approvalFor(rt, requestIdOf(statusUrl))), { decision: 'approve' }))
        .status,
    ).toBe(200);
    const ready = await rt.mail.waitFor(requester, /are ready/);
    const pkg = await (await fetch(linkIn(ready, 'download'))).text();
    expect(pkg).toContain('returned 7 days late');
    expect(pkg).toContain('A clever alternate history');
    for (const absent of [
      'The Thinking Machine',
      'Annual Fund 2026',
      'ada@example.org',
      '1 Main St',
      ADA.cardNumber,
      'Login credentials',
      'Personal information',
    ])
      expect(pkg).not.toContain(absent);
    await rt.mail.waitFor(ADA.email, /were sent/);
    await waitForStatus(rt, statusUrl, 'completed');
    await rt.engine.whenDone(`local:third-party:${requestIdOf(statusUrl)}`);
  });

  it('R14 the form answers the same for a card that matches no patron, and form errors name the fields', async () => {
    const fields = (card: string, name: string): [string, string][] => [
      ['kind', 'third-party'],
      ['requester.name', 'Pat Doe'],
      ['requester.email', 'pat.doe@example.net'],
      ['patron.cardNumber', card],
      ['patron.lastName', name],
      ['categories', 'library-records'],
      ['purpose', 'Reference'],
    ];
    const strip = (page: string) => page.replace(/\/api\/requests\/[^"<\s]+/g, 'URL');
    const matched = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, fields(ADA.cardNumber, ADA.lastName));
    const stranger = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, fields('99999999999999', 'Nobody'));
    expect(matched.status).toBe(202);
    expect(stranger.status).toBe(202);
    const [matchedPage, strangerPage] = [await matched.text(), await stranger.text()];
    expect(strip(strangerPage)).toBe(strip(matchedPage));
    // R14: both first confirm the address typed, alike: nothing has looked at the card yet.
    for (const n of [1, 2]) {
      const confirm = await rt.mail.waitFor('pat.doe@example.net', /Please confirm your email address/, n);
      expect((await postFormAsBrowser(linkIn(confirm, 'act'), [['decision', 'confirm']])).status).toBe(200);
    }
    // Once the workflow has looked, both read the same from outside.
    await waitForStatus(rt, statusUrlIn(matchedPage), 'awaiting-consent');
    await waitForStatus(rt, statusUrlIn(strangerPage), 'awaiting-consent');
    // The consent step's last write, so the runtime stops between steps.
    for (const page of [matchedPage, strangerPage]) {
      const id = requestIdOf(statusUrlIn(page));
      await eventually(async () =>
        (await rt.deps.audit.list(id)).some((e) => e.type === 'consent-requested') ? true : undefined,
      );
    }

    const missing = await postFormAsBrowser(
      `${rt.baseUrl}/api/requests`,
      fields(ADA.cardNumber, ADA.lastName).filter(([k]) => k !== 'categories' && k !== 'purpose'),
    );
    expect(missing.status).toBe(400);
    const page = await missing.text();
    expect(page).toContain('categories');
    expect(page).toContain('purpose');
    const guardianError = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, [
      ['kind', 'guardian-access'],
      ['guardian.cardNumber', MARIA.cardNumber],
      ['guardian.lastName', MARIA.lastName],
    ]);
    expect(guardianError.status).toBe(400);
    expect(await guardianError.text()).toContain('child');
  });
});
