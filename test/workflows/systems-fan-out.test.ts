import { startRuntimeWithSystems } from '../support/systems.ts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executionOf, expectNoPersonalData } from '../support/executions.ts';
import { kohaSpecAvailable, startKohaSimulator, type KohaSimulator } from '../support/koha-simulator/index.ts';
import type { TaskFunction } from '../../local/engine.ts';
import { downloadAtDesk, handOverAtDesk } from '../support/desk.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  CIRCULATION,
  eventually,
  HAROLD,
  linkIn,
  OFFICERS,
  submit,
  waitForStatus,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * R19: a request reaches every configured system through the fan-out (workflows/access.asl.json's
 * EachSystem Map): one stored result per request and system, the request completing only when
 * every system has answered, and a system that does not answer waiting (status `waiting`), the
 * privacy officer told which system and why, then re-checked daily until it answers.
 */
const KOHA_SPEC = kohaSpecAvailable();

describe.skipIf(!KOHA_SPEC)('the fan-out over the records table and a Koha (R19)', () => {
  let sim: KohaSimulator;
  let rt: TestRuntime;
  let now = Date.now();
  let adaInKoha: number;
  /**
   * The systems' steps (task-reach-system) under way at once: now, and the most since the last
   * reset; each step held `holdMs` before it runs, so that steps started together overlap whichever
   * gets a task slot first.
   */
  const reaching = { now: 0, most: 0, holdMs: 0 };

  const systemsFile = () => ({
    systems: [
      {
        id: 'records',
        type: 'records-table',
        name: 'Privacy Desk records',
        identity: true,
        categories: ['personal', 'library-records', 'payments', 'donations', 'shared-content', 'credentials'],
      },
      {
        id: 'ils',
        type: 'koha',
        name: 'Koha',
        baseUrl: sim.baseUrl,
        auth: { type: 'basic', userEnv: 'PD_TEST_KOHA_USER', passwordEnv: 'PD_TEST_KOHA_PASSWORD' },
        categories: ['personal', 'library-records', 'payments'],
      },
    ],
  });

  /** Counts the systems' steps (task-reach-system) under way at once into `count`. */
  const countingReach =
    (count: { now: number; most: number; holdMs: number }) =>
    (name: string, fn: TaskFunction): TaskFunction =>
      name !== 'task-reach-system'
        ? fn
        : async (input, ctx) => {
            count.most = Math.max(count.most, ++count.now);
            try {
              await new Promise((r) => setTimeout(r, count.holdMs));
              return await fn(input, ctx);
            } finally {
              count.now--;
            }
          };

  beforeAll(async () => {
    sim = await startKohaSimulator({ basicUsers: [{ user: 'pd', password: 'koha-test-password' }] });
    // Ada is in Koha too (the same card and surname); Harold is not.
    adaInKoha = sim.data.addPatron({ cardnumber: ADA.cardNumber, surname: ADA.lastName, firstname: ADA.firstName });
    sim.data.addCheckout(adaInKoha);
    sim.data.addReturnedCheckouts(adaInKoha, 3);
    process.env.PD_TEST_KOHA_USER = 'pd';
    process.env.PD_TEST_KOHA_PASSWORD = 'koha-test-password';
    rt = await startRuntimeWithSystems(systemsFile(), {
      clock: () => new Date(now),
      wrapFunction: countingReach(reaching),
    });
  });
  afterAll(async () => {
    await rt.cleanup();
    const violations = [...sim.violations];
    await sim.close();
    // R19: every request the connector sent and every answer the simulator gave matched Koha's spec.
    expect(violations).toEqual([]);
  });
  beforeEach(async () => {
    sim.setFault(undefined);
    reaching.holdMs = 0;
    await fetch(`${rt.mailUrl}/clear-store`, { method: 'POST' });
  });

  async function verifiedAccess(who: { cardNumber: string; lastName: string }, email: string, on: TestRuntime = rt) {
    const { body } = await submit(on, { kind: 'access', cardNumber: who.cardNumber, lastName: who.lastName });
    const verify = await on.mail.waitFor(email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    return body;
  }

  it('R19: an access request reaches both systems, each answer stored, and completes only then', async () => {
    const body = await verifiedAccess(ADA, ADA.email);
    await waitForStatus(rt, body.statusUrl, 'completed');
    const results = await rt.deps.systemResults.list(body.requestId);
    expect(results.map((r) => [r.systemId, r.state])).toEqual([
      ['ils', 'done'],
      ['records', 'done'],
    ]);
    const ils = results.find((r) => r.systemId === 'ils');
    // What Koha holds, counted through the connector: the profile, and 1 current + 3 returned checkouts.
    expect(ils?.counts).toMatchObject({ personal: 1, 'library-records': 4 });
    expect(ils?.ref).toBe(String(adaInKoha));
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'system-answered').map((e) => e.data?.system)).toEqual(
      expect.arrayContaining(['ils', 'records']),
    );
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
    // R5: the fan-out's payloads carry ids and states only.
    expectNoPersonalData(rt, executionOf('access', body.requestId), [ADA]);
  });

  it('R19: the systems are reached at once: Koha slow to answer does not hold the records table back', async () => {
    // Koha's step is held a second on its first read of loans, past any time the records table's takes.
    sim.setFault({ kind: 'slow', delayMs: 1000 }, { operationId: 'listCheckouts', times: 1 });
    Object.assign(reaching, { most: 0, holdMs: 300 });
    const body = await verifiedAccess(ADA, ADA.email);
    await waitForStatus(rt, body.statusUrl, 'completed');
    // Run one after another (an engine with one task slot does), the two steps never overlap.
    expect(reaching.most).toBe(2);
    const answered = (await rt.deps.audit.list(body.requestId)).filter((e) => e.type === 'system-answered');
    expect(answered.map((e) => e.data?.system)).toEqual(['records', 'ils']);
  });

  it("the fan-out benchmark's control: an engine given one task slot reaches the same systems one after another", async () => {
    // scripts/bench-fan-out.ts times this (RuntimeOptions.taskSlots 1) as a request without a fan-out.
    const inTurn = { now: 0, most: 0, holdMs: 300 };
    const oneSlot = await startRuntimeWithSystems(systemsFile(), { taskSlots: 1, wrapFunction: countingReach(inTurn) });
    try {
      sim.setFault({ kind: 'slow', delayMs: 1000 }, { operationId: 'listCheckouts', times: 1 });
      const body = await verifiedAccess(ADA, ADA.email, oneSlot);
      await waitForStatus(oneSlot, body.statusUrl, 'completed');
      expect(inTurn.most).toBe(1);
    } finally {
      await oneSlot.cleanup();
    }
  });

  it('R19: a system that does not know the person answers not-held, and the request still completes', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: HAROLD.cardNumber, lastName: HAROLD.lastName });
    // Harold has no email: verified in person at the desk (R4).
    const task = await rt.mail.waitFor(CIRCULATION[0] as string, /In-person verification needed/);
    expect((await postForm(linkIn(task, 'act'), { decision: 'done', documentKind: 'photo-id' })).status).toBe(200);
    // R1, R17: the report is printed and handed over at the desk; the request completes then.
    const report = await rt.mail.waitFor(CIRCULATION[0] as string, /Print and hand over/);
    expect((await downloadAtDesk(linkIn(report, 'download'))).status).toBe(200);
    await handOverAtDesk(rt, body.requestId);
    await waitForStatus(rt, body.statusUrl, 'completed');
    await eventually(async () => {
      const results = await rt.deps.systemResults.list(body.requestId);
      return results.find((r) => r.systemId === 'ils')?.state === 'not-held' ? results : undefined;
    });
  });

  it('R19: Koha down: retried, then the privacy officer is told which system and why; the request waits, and finishes after the daily re-check', async () => {
    sim.setFault({ kind: 'server-error' });
    const body = await verifiedAccess(ADA, ADA.email);
    const alert = await rt.mail.waitFor(OFFICERS[0] as string, /did not answer: Koha/);
    expect(alert.body.text).toContain(body.requestId);
    expect(alert.body.text).toContain('TransientError');
    expect(alert.body.text).not.toContain(ADA.lastName); // R5
    await waitForStatus(rt, body.statusUrl, 'waiting');
    const waiting = await rt.deps.systemResults.get(body.requestId, 'ils');
    expect(waiting.state).toBe('unreachable');
    expect(waiting.counts).toBeUndefined(); // nothing reported from a system that did not answer
    expect(await rt.mail.to(ADA.email)).toHaveLength(1); // only the verification: no report yet

    // The fault clears; a day later the re-check (sweep-waiting-systems, on the runtime's schedule) finishes it.
    sim.setFault(undefined);
    now += 25 * 3_600_000;
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await rt.deps.systemResults.get(body.requestId, 'ils')).state).toBe('done');
    await rt.mail.waitFor(ADA.email, /are ready/);
  });
});
