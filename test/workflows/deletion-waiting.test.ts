import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { recordKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { RECORDS_TABLE } from '../../local/runtime.ts';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { postForm } from '../support/http.ts';
import {
  kohaSpecAvailable,
  startKohaSimulator,
  type Fault,
  type KohaSimulator,
} from '../support/koha-simulator/index.ts';
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
import { expectLetterFollowsResults } from './deletion-letter.ts';

/**
 * R8, R19, R20: a deletion that waits, system by system: the records table blocked by a loan and
 * money owed, Koha (the simulator) refusing for a checkout or misbehaving on purpose, outreach
 * stopped where the person is kept. Each waits (status `waiting`, one letter), is re-checked by the
 * daily sweep once the clock has moved a day, and finishes by itself when the blocker or the fault
 * clears. Every letter is read back against the stored per-system results.
 */
const YUKI = { id: 'P1007', cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };
const DAY = 86_400_000;
const KOHA_SPEC = kohaSpecAvailable();

type Patron = { cardNumber: string; lastName: string; email: string };
type Outcome = {
  erased: string[];
  anonymised: string[];
  retained: { category: string; reason: string }[];
  systems: { system: string; result: string }[];
};

let rt: TestRuntime | undefined;
let sim: KohaSimulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await rt?.cleanup();
  rt = undefined;
  const violations = [...(sim?.violations ?? [])];
  await sim?.close();
  sim = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
  // R19: every request to Koha and every answer matched its spec.
  expect(violations).toEqual([]);
});

/** A clock the test moves: the daily re-check is due a day after a system began to wait. */
function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

process.env.PD_TEST_KOHA_USER = 'privacy-desk';
process.env.PD_TEST_KOHA_PASSWORD = 'basic-password';

async function systemsFile(systems: unknown[]): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'privacy-desk-systems-'));
  const path = join(dir, 'systems.json');
  await writeFile(path, JSON.stringify({ systems }));
  return path;
}

const RECORDS = (outreach = false) => ({
  id: 'records',
  type: 'records-table',
  name: 'Privacy Desk records',
  identity: true,
  outreach,
  categories: ['personal', 'credentials', 'library-records', 'payments', 'donations', 'shared-content'],
});
const KOHA = (baseUrl: string, outreach = false) => ({
  id: 'ils',
  type: 'koha',
  name: 'Koha',
  baseUrl,
  auth: { type: 'basic', userEnv: 'PD_TEST_KOHA_USER', passwordEnv: 'PD_TEST_KOHA_PASSWORD' },
  outreach,
  categories: ['personal', 'credentials', 'library-records', 'payments'],
});

async function startKoha(): Promise<KohaSimulator> {
  sim = await startKohaSimulator({ basicUsers: [{ user: 'privacy-desk', password: 'basic-password' }] });
  return sim;
}

async function requestDeletion(r: TestRuntime, p: Patron) {
  const { body } = await submit(r, { kind: 'deletion', cardNumber: p.cardNumber, lastName: p.lastName });
  const verify = await r.mail.waitFor(p.email, /confirm your privacy request/);
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  const approval = await r.mail.waitFor(OFFICER, /Decision needed on a deletion plan/);
  expect((await decideApproval(r, approvalLinkIn(approval), { decision: 'approve' })).status).toBe(200);
  return body;
}

const lettersTo = async (r: TestRuntime, email: string, subject: RegExp) =>
  (await r.mail.to(email)).filter((e) => subject.test(e.subject));

/** Every waiting system's step is parked for its re-check (its token stored): only then may the day pass. */
async function parked(r: TestRuntime, requestId: string) {
  await eventually(async () => {
    const results = await r.deps.systemResults.list(requestId);
    const waiting = results.filter((x) => x.state === 'blocked' || x.state === 'unreachable');
    return waiting.length > 0 && waiting.every((x) => x.waitToken && x.recheckAt) ? true : undefined;
  });
}

/** The library's desk, in the records table: the item comes back and the fine is paid. */
async function settleAda(r: TestRuntime) {
  const set = (kind: 'LOAN' | 'FINE', id: string, expr: string, values: Record<string, unknown>) =>
    r.db.send(
      new UpdateCommand({
        TableName: RECORDS_TABLE,
        Key: recordKeys.record(ADA.id, kind, id),
        UpdateExpression: expr,
        ExpressionAttributeValues: values,
      }),
    );
  await set('LOAN', 'L2001', 'SET returnedAt = :t', { ':t': new Date().toISOString() });
  await set('FINE', 'F4001', 'SET outstanding = :z', { ':z': 0 });
}

describe('deletion that waits on a blocker (records table)', () => {
  it('R8 items on loan and money owed: waits with one letter, then the daily re-check finishes it by itself once settled', async () => {
    const clock = movableClock();
    rt = await startTestRuntime({ clock: clock.now });
    const body = await requestDeletion(rt, ADA);
    const letter = await rt.mail.waitFor(ADA.email, /deletion request .* is waiting/);
    const waiting = await waitForStatus(rt, body.statusUrl, 'waiting');
    // The status page while waiting: the same shape as a completed one (CONTRACT.md).
    const seen = waiting.outcome as Outcome;
    expect(seen.systems).toEqual([{ system: 'Privacy Desk records', result: 'waiting' }]);
    expect(seen.erased).not.toContain('personal');
    expect(seen.retained).toEqual(expect.arrayContaining([{ category: 'personal', reason: 'items-on-loan' }]));
    await expectLetterFollowsResults(rt, body.requestId, letter);
    expect(await rt.deps.records.getPatron(ADA.id)).toBeDefined();

    // A day passes with nothing settled: re-checked (a fresh wait, a day on), still waiting, no second letter.
    const r = rt;
    await parked(r, body.requestId);
    const first = (await r.deps.systemResults.get(body.requestId, 'records')).recheckAt ?? '';
    clock.advance(DAY + 60_000);
    await eventually(async () => {
      const res = await r.deps.systemResults.get(body.requestId, 'records');
      return res.recheckAt && res.recheckAt > first && res.waitToken ? true : undefined;
    });
    expect((await r.deps.requests.get(body.requestId)).status).toBe('waiting');

    await settleAda(rt);
    await parked(rt, body.requestId);
    clock.advance(DAY + 60_000);
    const done = await waitForStatus(rt, body.statusUrl, 'completed');
    const outcome = done.outcome as Outcome;
    expect(outcome.systems).toEqual([{ system: 'Privacy Desk records', result: 'done' }]);
    expect(outcome.erased).toEqual(expect.arrayContaining(['personal', 'credentials', 'shared-content']));
    expect(await rt.deps.records.getPatron(ADA.id)).toBeUndefined();
    const final = await rt.mail.waitFor(ADA.email, /deletion request .* is complete/);
    await expectLetterFollowsResults(rt, body.requestId, final);
    expect(await lettersTo(rt, ADA.email, /is waiting/)).toHaveLength(1);
    expect(await lettersTo(rt, ADA.email, /is complete/)).toHaveLength(1);
    await rt.engine.whenDone(executionOf('deletion', body.requestId));
    expect(await rt.engine.status(executionOf('deletion', body.requestId))).toBe('SUCCEEDED');
    expectNoPersonalData(rt, executionOf('deletion', body.requestId), [ADA]);
  });

  it('R20 outreach stops where the person is kept, and the letter says so only then', async () => {
    rt = await startTestRuntime({ systemsPath: await systemsFile([RECORDS(true)]) });
    const body = await requestDeletion(rt, ADA);
    await waitForStatus(rt, body.statusUrl, 'waiting');
    const letter = await rt.mail.waitFor(ADA.email, /deletion request .* is waiting/);
    const profile = await rt.db.send(
      new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
        TableName: RECORDS_TABLE,
        Key: recordKeys.patron(ADA.id),
      }),
    );
    expect(profile.Item?.outreachOptOut).toBe(true);
    expect((await rt.deps.audit.list(body.requestId)).map((e) => e.type)).toContain('outreach-stopped');
    await expectLetterFollowsResults(rt, body.requestId, letter); // says it stopped: it did
    expect(letter.body.text).toContain('Outreach, marketing and fundraising contact to you has stopped.');
  });
});

describe.skipIf(!KOHA_SPEC)('deletion through Koha beside the records table (R19)', () => {
  it('R8 R20 Koha refuses for a checkout: the records table erases, Koha waits, outreach is not claimed; the item back, it finishes', async () => {
    const koha = await startKoha();
    const kohaId = koha.data.addPatron({ cardnumber: YUKI.cardNumber, surname: YUKI.lastName, email: YUKI.email });
    const checkout = koha.data.addCheckout(kohaId);
    const clock = movableClock();
    rt = await startTestRuntime({
      clock: clock.now,
      systemsPath: await systemsFile([RECORDS(true), KOHA(koha.baseUrl, true)]),
    });
    const body = await requestDeletion(rt, YUKI);
    // The one waiting letter goes once every system has answered first; the status page says the same.
    const letter = await rt.mail.waitFor(YUKI.email, /deletion request .* is waiting/);
    const waiting = (await waitForStatus(rt, body.statusUrl, 'waiting')).outcome as Outcome;
    // R8: the records table erased the person, Koha still holds them: nothing Koha holds is "removed".
    expect(await rt.deps.records.getPatron(YUKI.id)).toBeUndefined();
    expect(koha.data.patrons.has(kohaId)).toBe(true);
    expect(waiting.erased).not.toContain('personal');
    expect(waiting.retained).toEqual(expect.arrayContaining([{ category: 'personal', reason: 'items-on-loan' }]));
    expect(waiting.systems).toEqual([
      { system: 'Privacy Desk records', result: 'done' },
      { system: 'Koha', result: 'waiting' },
    ]);
    // R20: Koha cannot switch outreach off and keeps the person: the letter must not say it stopped.
    expect(letter.body.text).not.toContain('contact to you has stopped');
    await expectLetterFollowsResults(rt, body.requestId, letter);

    koha.data.returnItem(checkout);
    await parked(rt, body.requestId);
    clock.advance(DAY + 60_000);
    const done = (await waitForStatus(rt, body.statusUrl, 'completed')).outcome as Outcome;
    expect(koha.data.patrons.has(kohaId)).toBe(false);
    expect(koha.data.deletedPatrons.has(kohaId)).toBe(true);
    // R8: Koha keeps a copy until its cleanup job runs: not "removed" until then.
    expect(done.erased).not.toContain('personal');
    expect(done.retained).toEqual(expect.arrayContaining([{ category: 'personal', reason: 'pending-cleanup' }]));
    // Koha held a (now returned) loan: not "no longer linked" while its copy waits for the cleanup job.
    expect(done.anonymised).not.toContain('library-records');
    const final = await rt.mail.waitFor(YUKI.email, /deletion request .* is complete/);
    expect(final.body.text).toContain('cleanup job');
    await expectLetterFollowsResults(rt, body.requestId, final);
  });

  const FAULTS: { name: string; fault: Fault; error: string; retried: boolean }[] = [
    { name: 'down', fault: { kind: 'down' }, error: 'TransientError', retried: true },
    { name: '500', fault: { kind: 'server-error' }, error: 'TransientError', retried: true },
    { name: '401', fault: { kind: 'unauthorised' }, error: 'ConnectorError', retried: false },
    { name: 'malformed JSON', fault: { kind: 'malformed' }, error: 'ConnectorError', retried: false },
  ];

  it.each(FAULTS)(
    'R19 R8 Koha $name: retried as the error allows, the privacy officer told which system and why, nothing claimed erased there; fixed, the re-check finishes it',
    async ({ fault, error, retried }) => {
      const koha = await startKoha();
      const kohaId = koha.data.addPatron({ cardnumber: YUKI.cardNumber, surname: YUKI.lastName, email: YUKI.email });
      const clock = movableClock();
      rt = await startTestRuntime({
        clock: clock.now,
        systemsPath: await systemsFile([RECORDS(), KOHA(koha.baseUrl)]),
      });
      koha.setFault(fault);
      const body = await requestDeletion(rt, YUKI);
      const alert = await rt.mail.waitFor(OFFICER, /A library system did not answer: Koha/);
      expect(alert.body.text).toContain('Koha');
      expect(alert.body.text).toContain(error);
      expect(alert.body.text).not.toContain(YUKI.lastName);
      const result = await rt.deps.systemResults.get(body.requestId, 'ils');
      expect(result).toMatchObject({ state: 'unreachable', reason: error });
      // Finding the person failed: Koha's own step tried once, or 1 + 3 times with backoff for a
      // transient fault; the records table asked once too, before erasing (so it waits as well).
      const tries = koha.calls.filter((c) => c === 'listPatrons').length;
      if (retried) expect(tries).toBeGreaterThanOrEqual(5);
      else expect(tries).toBe(2);
      expect(await rt.deps.records.getPatron(YUKI.id)).toBeDefined();
      const waiting = (await waitForStatus(rt, body.statusUrl, 'waiting')).outcome as Outcome;
      expect(waiting.systems).toContainEqual({ system: 'Koha', result: 'waiting' });
      for (const c of ['personal', 'credentials', 'library-records', 'payments'])
        expect(waiting.erased).not.toContain(c);
      expect(koha.data.patrons.has(kohaId)).toBe(true);
      const letter = await rt.mail.waitFor(YUKI.email, /deletion request .* is waiting/);
      await expectLetterFollowsResults(rt, body.requestId, letter);

      koha.setFault(undefined);
      await parked(rt, body.requestId);
      clock.advance(DAY + 60_000);
      await waitForStatus(rt, body.statusUrl, 'completed');
      expect(koha.data.patrons.has(kohaId)).toBe(false);
      const final = await rt.mail.waitFor(YUKI.email, /deletion request .* is complete/);
      await expectLetterFollowsResults(rt, body.requestId, final);
    },
  );
});
