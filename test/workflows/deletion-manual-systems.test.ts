import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import { linkIn, OFFICER, startTestRuntime, submit, waitForStatus, type TestRuntime } from '../support/runtime.ts';
import { answerManualSystem } from '../support/systems.ts';
import { expectLetterFollowsResults } from './deletion-letter.ts';

/**
 * R8, R19, R20: a deletion with the demo library's systems (local/demo-systems.json): the records
 * table through its connector, and three systems without an API whose staff answer by link. The
 * request completes only when every system has answered; the letter says, system by system, what
 * each answer was; outreach is said to have stopped only because the fundraising list said done.
 */
const DEMO_SYSTEMS = fileURLToPath(new URL('../../local/demo-systems.json', import.meta.url));
const YUKI = { id: 'P1007', cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };

describe('R19 a deletion across the records table and three manual systems', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ systemsPath: DEMO_SYSTEMS });
  });
  afterAll(async () => rt.cleanup());

  it('R19 R8 R20: waits for every system; a could-not goes to the privacy officer; the letter follows the answers', async () => {
    const { body } = await submit(rt, { kind: 'deletion', cardNumber: YUKI.cardNumber, lastName: YUKI.lastName });
    const verify = await rt.mail.waitFor(YUKI.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const plan = approvalLinkIn(await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/));
    expect((await decideApproval(rt, plan, { decision: 'approve' })).status).toBe(200);

    await answerManualSystem(rt, body.requestId, 'ebooks', { state: 'done' });
    await answerManualSystem(rt, body.requestId, 'fundraising', { state: 'done' });
    // Two of three answered: the request still waits on the third (R19).
    await waitForStatus(rt, body.statusUrl, 'waiting');
    expect((await rt.deps.requests.get(body.requestId)).status).toBe('waiting');
    expect(await rt.mail.to(YUKI.email).then((m) => m.filter((e) => /is complete/.test(e.subject)))).toEqual([]);

    await answerManualSystem(rt, body.requestId, 'bookings', {
      state: 'could-not',
      reason: 'The booking system is being migrated this week.',
    });
    const officer = await rt.mail.waitFor(OFFICER, new RegExp(`Could not be done in .*${body.requestId}`));
    expect(officer.body.text).not.toContain(YUKI.lastName); // R1: the request, not the person

    const letter = await rt.mail.waitFor(YUKI.email, /deletion request .* is complete/);
    const done = await waitForStatus(rt, body.statusUrl, 'completed');
    expect((done.outcome as { systems: unknown[] }).systems).toEqual(
      expect.arrayContaining([
        { system: 'Privacy Desk records', result: 'done' },
        { system: 'E-book and audiobook vendor (OverDrive / Libby)', result: 'done' },
        { system: 'Room and computer booking', result: 'could-not' },
        { system: 'Newsletter and fundraising list', result: 'done' },
      ]),
    );
    // The staff member's reason is for the privacy officer, never the patron's letter.
    expect(letter.body.text).not.toContain('migrated');
    await expectLetterFollowsResults(rt, body.requestId, letter);
  });
});
