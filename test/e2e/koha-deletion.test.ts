import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler as sweepWaitingSystems } from '../../functions/handlers/sweep-waiting-systems.ts';
import { approvalLinkIn, decideApproval, openApproval } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import { kohaSpecAvailable, startKohaSimulator, type KohaSimulator } from '../support/koha-simulator/index.ts';
import {
  eventually,
  linkIn,
  OFFICER,
  startTestRuntime,
  statusOf,
  submit,
  TEST_SCHEDULES,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';
import { expectLetterFollowsResults } from '../workflows/deletion-letter.ts';

/**
 * Issue #11's e2e (R8, R19): Koha (the simulator) is the system of record, beside the built-in
 * records table. A patron with a checkout asks for deletion over HTTP; Koha refuses
 * (`has_checkouts`), so the deletion waits and says so; the item is returned in Koha; a day later
 * the daily re-check (sweep-waiting-systems) runs and the deletion finishes by itself: Koha's
 * patron is gone, and the last letter says what was done, system by system.
 */
const PATRON = { cardNumber: '29000000000777', lastName: 'Okonkwo', email: 'chidi.okonkwo@example.org' };
const DAY = 86_400_000;

describe.skipIf(!kohaSpecAvailable())('e2e: a deletion in Koha waits for a checkout, then finishes (R8, R19)', () => {
  let sim: KohaSimulator;
  let rt: TestRuntime;
  let dir: string;
  let offset = 0;

  beforeAll(async () => {
    sim = await startKohaSimulator({ basicUsers: [{ user: 'privacy-desk', password: 'koha-e2e-password' }] });
    process.env.PD_E2E_KOHA_USER = 'privacy-desk';
    process.env.PD_E2E_KOHA_PASSWORD = 'koha-e2e-password';
    dir = await mkdtemp(join(tmpdir(), 'privacy-desk-koha-e2e-'));
    const systemsPath = join(dir, 'systems.json');
    await writeFile(
      systemsPath,
      JSON.stringify({
        systems: [
          {
            id: 'ils',
            type: 'koha',
            name: 'Koha',
            baseUrl: sim.baseUrl,
            auth: { type: 'basic', userEnv: 'PD_E2E_KOHA_USER', passwordEnv: 'PD_E2E_KOHA_PASSWORD' },
            identity: true,
            categories: ['personal', 'credentials', 'library-records', 'payments'],
          },
          {
            id: 'records',
            type: 'records-table',
            name: 'Privacy Desk records',
            categories: ['personal', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
          },
        ],
      }),
    );
    rt = await startTestRuntime({
      systemsPath,
      clock: () => new Date(Date.now() + offset),
      // The re-check is run by hand below, as the daily schedule would.
      schedules: TEST_SCHEDULES.filter((fn) => fn !== 'sweep-waiting-systems'),
    });
  });
  afterAll(async () => {
    await rt?.cleanup();
    const violations = [...sim.violations];
    await sim.close();
    await rm(dir, { recursive: true, force: true });
    expect(violations).toEqual([]); // every call and answer matched Koha's spec
  });

  it('R8 R19 refused for a checkout: waiting; the item returned and a day on, the re-check finishes it', async () => {
    const kohaId = sim.data.addPatron({
      cardnumber: PATRON.cardNumber,
      surname: PATRON.lastName,
      firstname: 'Chidi',
      email: PATRON.email,
      userid: 'chidi.o',
    });
    const checkout = sim.data.addCheckout(kohaId);
    sim.data.addReturnedCheckouts(kohaId, 3);

    const { status, body } = await submit(rt, {
      kind: 'deletion',
      cardNumber: PATRON.cardNumber,
      lastName: PATRON.lastName,
    });
    expect(status).toBe(202);
    // R7: the link goes to the email Koha has on file.
    const verify = await rt.mail.waitFor(PATRON.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    const approval = await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/);
    const page = await (await openApproval(rt, approvalLinkIn(approval))).text();
    expect(page).toContain('Koha: through its connector');
    expect((await decideApproval(rt, approvalLinkIn(approval), { decision: 'approve' })).status).toBe(200);

    // Koha refuses (has_checkouts): the deletion waits, and the patron is told what waits and why.
    const waitingLetter = await rt.mail.waitFor(PATRON.email, /deletion request .* is waiting/);
    expect(waitingLetter.body.text).toContain('Koha: waiting, because you still have items on loan');
    await expectLetterFollowsResults(rt, body.requestId, waitingLetter);
    const waiting = await waitForStatus(rt, body.statusUrl, 'waiting');
    expect(waiting.outcome).toMatchObject({
      systems: [
        { system: 'Koha', result: 'waiting' },
        { system: 'Privacy Desk records', result: 'not-held' },
      ],
    });
    expect((waiting.outcome as { erased: string[] }).erased).toEqual([]);
    expect(sim.data.patrons.has(kohaId)).toBe(true);
    expect(await rt.deps.systemResults.get(body.requestId, 'ils')).toMatchObject({
      state: 'blocked',
      blockers: [{ kind: 'on-loan' }],
    });

    // The item comes back at the Koha desk; a day passes; the daily re-check runs.
    sim.data.returnItem(checkout);
    await eventually(async () =>
      (await rt.deps.systemResults.get(body.requestId, 'ils')).waitToken ? true : undefined,
    );
    offset += DAY + 60_000;
    expect(await sweepWaitingSystems(rt.deps)({})).toEqual({ woken: 1 });

    const done = await waitForStatus(rt, body.statusUrl, 'completed');
    expect(sim.data.patrons.has(kohaId)).toBe(false);
    expect(sim.data.deletedPatrons.has(kohaId)).toBe(true); // until Koha's cleanup job runs
    expect(done.outcome).toMatchObject({
      systems: [
        { system: 'Koha', result: 'done' },
        { system: 'Privacy Desk records', result: 'not-held' },
      ],
    });
    // R8: nothing is "removed" while Koha still keeps its deletedborrowers copy.
    expect((done.outcome as { erased: string[] }).erased).toEqual([]);
    expect((done.outcome as { retained: { category: string; reason: string }[] }).retained).toContainEqual({
      category: 'personal',
      reason: 'pending-cleanup',
    });
    const letter = await rt.mail.waitFor(PATRON.email, /deletion request .* is complete/);
    expect(letter.body.text).toContain('Koha: done. Your record is removed from daily use');
    await expectLetterFollowsResults(rt, body.requestId, letter);
    expect((await rt.mail.to(PATRON.email)).filter((e) => /deletion request/.test(e.subject))).toHaveLength(2);
    expect((await statusOf(rt, body.statusUrl)).status).toBe('completed');
  });
});
