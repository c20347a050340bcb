import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { postFormAsBrowser } from '../support/http.ts';
import { linkIn, OFFICER, startTestRuntime, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * Correction and deletion as a person makes them: the web form as a browser posts it (every
 * field, empty ones included), the emails in the local mailbox, the links, the staff decision.
 */
const EMPTY_CHANGES = {
  'changes.firstName': '',
  'changes.lastName': '',
  'changes.email': '',
  'changes.phone': '',
  'changes.dateOfBirth': '',
  'changes.username': '',
  'changes.address.street': '',
  'changes.address.city': '',
  'changes.address.state': '',
  'changes.address.postalCode': '',
};

async function submitForm(rt: TestRuntime, fields: Record<string, string>): Promise<string> {
  const res = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, { ...EMPTY_CHANGES, ...fields });
  expect(res.status).toBe(202);
  const statusUrl = /href="(\/api\/requests\/[^"]+)"/.exec(await res.text())?.[1]?.replaceAll('&amp;', '&');
  if (!statusUrl) throw new Error('no status link on the page');
  return statusUrl;
}

describe('patron requests through the web form', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R6 correction: an address change is approved by the privacy officer from the emailed link, then applied', async () => {
    const statusUrl = await submitForm(rt, {
      kind: 'correction',
      cardNumber: '21234000011005',
      lastName: 'Vance',
      'changes.address.street': '12 Elm St',
      'changes.address.city': 'Greenwich',
      'changes.address.state': 'CT',
      'changes.address.postalCode': '06830',
    });
    const verify = await rt.mail.waitFor('eleanor.vance@example.com', /confirm your privacy request/);
    expect((await postFormAsBrowser(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);

    const ask = await rt.mail.waitFor(OFFICER, /Decision needed on a correction/);
    const link = approvalLinkIn(ask);
    const page = await (await openApproval(rt, link)).text();
    expect(page).toContain('12 Elm St');
    expect(page).toContain('name="decision" value="approve"');
    expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);

    await rt.mail.waitFor('eleanor.vance@example.com', /were updated/);
    await waitForStatus(rt, statusUrl, 'completed');
    expect((await rt.deps.records.getPatron('P1005'))?.address).toEqual({
      street: '12 Elm St',
      city: 'Greenwich',
      state: 'CT',
      postalCode: '06830',
    });
  });

  it('R8 deletion: the officer approves the plan from the email; with an item still on loan the patron reads what was removed, what is kept and that it waits', async () => {
    const statusUrl = await submitForm(rt, { kind: 'deletion', cardNumber: '21234000011026', lastName: 'Adeyemi' });
    const verify = await rt.mail.waitFor('ben.adeyemi@example.org', /confirm your privacy request/);
    expect((await postFormAsBrowser(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const link = approvalLinkIn(await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/));
    expect(await (await openApproval(rt, link)).text()).toContain('Deletion plan');
    expect((await decideApproval(rt, link, { decision: 'approve' })).status).toBe(200);

    // R8: Ben still has a book out: what may go goes, and the deletion waits for its return.
    const letter = await rt.mail.waitFor('ben.adeyemi@example.org', /deletion request .* is waiting/);
    expect(letter.body.text).toContain('you still have items on loan');
    const waiting = await waitForStatus(rt, statusUrl, 'waiting');
    expect(waiting.outcome).toMatchObject({
      retained: expect.arrayContaining([{ category: 'personal', reason: 'items-on-loan' }]),
      systems: [{ system: 'Privacy Desk records', result: 'waiting' }],
    });
  });

  it('a form with a bad field comes back as a page naming it, and nothing starts', async () => {
    const before = (await rt.mail.all()).length;
    const res = await postFormAsBrowser(`${rt.baseUrl}/api/requests`, {
      ...EMPTY_CHANGES,
      kind: 'correction',
      cardNumber: '21234000012345',
      lastName: 'Lovelace',
      'changes.email': 'not an email',
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).toContain('changes.email');
    expect(page).toContain('role="alert"');
    expect((await rt.mail.all()).length).toBe(before);
  });
});
