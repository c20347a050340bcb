import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { requestKeys } from '../../functions/adapters/dynamodb/keys.ts';
import { REQUESTS_TABLE } from '../../local/runtime.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { executionOf } from '../support/executions.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  eventually,
  linkIn,
  startTestRuntime,
  statusOf,
  submit,
  waitForStatus,
  type StatusView,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * R7: one request of a kind per patron is open at a time, and a patron gets at most the policy's
 * number of requests a library day. A repeat, or one past the cap, sends no email and closes
 * quietly: from its status URL it looks exactly like a request whose card matched nobody, which
 * itself looks like one waiting for a verification that never comes.
 */

const VERIFY = /confirm your privacy request/;
const HOUR = 3_600_000;
const MARIA_EMAIL = 'maria.rivera@example.org';
/** Mid-afternoon in the library's time zone (America/New_York), so +24 h is the next library day. */
const START = Date.parse('2026-03-10T18:00:00Z');

/** What a requester can see, ids and times aside. */
const comparable = (v: StatusView) => Object.fromEntries(Object.entries(v).filter(([k]) => !/Id$|At$|Url$/.test(k)));

describe('R7 repeated submissions', () => {
  let rt: TestRuntime | undefined;
  let now = START;
  afterEach(async () => {
    await rt?.cleanup();
    rt = undefined;
  });

  const start = async (policy: Policy = defaultPolicy) => {
    now = START;
    rt = await startTestRuntime({ clock: () => new Date(now), policy });
    return rt;
  };

  /** Waits until the match step has run for a request (its answer is stored). */
  const matched = (r: TestRuntime, requestId: string) =>
    eventually(async () => (await r.deps.requests.get(requestId)).matched, 20_000, 'the match step');

  const verificationsTo = async (r: TestRuntime, address: string) =>
    (await r.mail.to(address)).filter((e) => VERIFY.test(e.subject));

  it('R7 eight identical submissions send one email; the other seven look unanswered and expire like an unanswered link; the open one completes; then a new one works', async () => {
    const r = await start();
    const unmatched = (await submit(r, { kind: 'access', cardNumber: ADA.cardNumber, lastName: 'Babbage' })).body;
    const eight = [];
    for (let i = 0; i < 8; i++) {
      const res = await submit(r, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
      expect(res.status).toBe(202);
      eight.push(res.body);
    }
    const answered = await Promise.all(eight.map((b) => matched(r, b.requestId)));
    await matched(r, unmatched.requestId);
    await r.mail.waitFor(ADA.email, VERIFY);
    expect(answered.filter(Boolean)).toHaveLength(1);
    const open = eight[answered.indexOf(true)]!;
    const repeats = eight.filter((b) => b !== open);

    // The public answer and the status at this point: the same for all, and the same as a stranger's.
    expect(new Set(eight.map((b) => b.status))).toEqual(new Set([unmatched.status]));
    const stranger = comparable(await statusOf(r, unmatched.statusUrl));
    for (const b of eight) expect(comparable(await statusOf(r, b.statusUrl))).toEqual(stranger);

    // Audited with ids only (R5): which request was already open.
    for (const b of repeats) {
      const events = await r.deps.audit.list(b.requestId);
      expect(events.map((e) => e.type)).toEqual(['request-received', 'repeat-closed-quietly']);
      expect(events[1]?.data).toEqual({ patronId: ADA.id, openRequestId: open.requestId });
      expect(JSON.stringify(events)).not.toContain(ADA.email);
      expect(JSON.stringify(events)).not.toContain(ADA.cardNumber);
    }

    // The open one is unaffected: verified, reported, completed.
    const verify = (await verificationsTo(r, ADA.email))[0]!;
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await r.mail.waitFor(ADA.email, /are ready/);
    await waitForStatus(r, open.statusUrl, 'completed');
    await r.engine.whenDone(executionOf('access', open.requestId));

    // Once it is closed, the patron may ask again.
    const again = (await submit(r, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName })).body;
    expect(await matched(r, again.requestId)).toBe(true);
    await r.mail.waitFor(ADA.email, VERIFY, 2);
    expect(await verificationsTo(r, ADA.email)).toHaveLength(2);

    // Nobody answers: the repeats expire exactly when an unanswered link does, and look the same.
    for (const b of repeats) expect((await statusOf(r, b.statusUrl)).status).toBe('verifying');
    now += 72 * HOUR + 60_000;
    const unanswered = comparable(await waitForStatus(r, again.statusUrl, 'expired'));
    for (const b of [...repeats, unmatched])
      expect(comparable(await waitForStatus(r, b.statusUrl, 'expired'))).toEqual(unanswered);
    for (const b of repeats) {
      await eventually(
        async () => ((await r.deps.requests.get(b.requestId)).status === 'expired' ? true : undefined),
        20_000,
        'closed by the sweep',
      );
      expect((await r.deps.audit.list(b.requestId)).map((e) => e.type)).toEqual([
        'request-received',
        'repeat-closed-quietly',
        'request-expired',
      ]);
    }
    expect(await verificationsTo(r, ADA.email)).toHaveLength(2);
  });

  it('R7 two identical submissions at the same instant send one email', async () => {
    const r = await start();
    const body = { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName };
    const [a, b] = await Promise.all([submit(r, body), submit(r, body)]);
    const answers = await Promise.all([matched(r, a.body.requestId), matched(r, b.body.requestId)]);
    expect(answers.filter(Boolean)).toHaveLength(1);
    await r.mail.waitFor(ADA.email, VERIFY);
    await new Promise((res) => setTimeout(res, 500));
    expect(await verificationsTo(r, ADA.email)).toHaveLength(1);
  });

  it('R7 a request of another kind for the same patron is not blocked', async () => {
    const r = await start();
    const access = (await submit(r, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName })).body;
    expect(await matched(r, access.requestId)).toBe(true);
    const exp = (await submit(r, { kind: 'export', cardNumber: ADA.cardNumber, lastName: ADA.lastName })).body;
    expect(await matched(r, exp.requestId)).toBe(true);
    await r.mail.waitFor(ADA.email, VERIFY, 2);
  });

  it('R7 a guardian asking twice for one child gets one email; asking for another child is not blocked', async () => {
    const r = await start();
    const maria = { cardNumber: '21234000011010', lastName: 'Rivera' };
    const ask = (childCard: string) =>
      submit(r, { kind: 'guardian-access', guardian: maria, child: { cardNumber: childCard, lastName: 'Rivera' } });
    const first = (await ask('21234000011011')).body;
    expect(await matched(r, first.requestId)).toBe(true);
    const repeat = (await ask('21234000011011')).body;
    expect(await matched(r, repeat.requestId)).toBe(false);
    expect(comparable(await statusOf(r, repeat.statusUrl))).toEqual(comparable(await statusOf(r, first.statusUrl)));
    const other = (await ask('21234000011012')).body;
    expect(await matched(r, other.requestId)).toBe(true);
    await r.mail.waitFor(MARIA_EMAIL, VERIFY, 2);
    await new Promise((res) => setTimeout(res, 500));
    expect(await verificationsTo(r, MARIA_EMAIL)).toHaveLength(2);
    expect((await r.deps.audit.list(repeat.requestId)).map((e) => e.type)).toEqual([
      'request-received',
      'repeat-closed-quietly',
    ]);
  });

  it('R7 three identical third-party requests about one patron send the patron one permission email; the others look the same from outside', async () => {
    const r = await start();
    const body = {
      kind: 'third-party',
      requester: { name: 'Jordan Repeat', email: 'jordan.repeat@lawfirm.example', organization: 'Blake & Partners' },
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['library-records'],
      purpose: 'Tenancy reference.',
    };
    const three = [];
    for (let i = 0; i < 3; i++) {
      three.push((await submit(r, body)).body);
      // R14: each third party first confirms the address they typed.
      const confirm = await r.mail.waitFor(body.requester.email, /Please confirm your email address/, i + 1);
      expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);
    }
    const answers = await Promise.all(three.map((b) => matched(r, b.requestId)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    const open = three[answers.indexOf(true)]!;
    await r.mail.waitFor(ADA.email, /Written permission asked/);
    await waitForStatus(r, open.statusUrl, 'awaiting-consent');
    await new Promise((res) => setTimeout(res, 500));
    expect((await r.mail.to(ADA.email)).filter((e) => /Written permission asked/.test(e.subject))).toHaveLength(1);
    for (const b of three)
      expect(comparable(await statusOf(r, b.statusUrl))).toEqual(comparable(await statusOf(r, open.statusUrl)));
  });

  it('R7 R16 a cancelled request frees its slot at once: no marker naming the patron outlives it, and the next one is answered', async () => {
    const r = await start();
    const ada = { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName };
    const first = (await submit(r, ada)).body;
    expect(await matched(r, first.requestId)).toBe(true);
    const marker = async () =>
      (
        await r.db.send(
          new GetCommand({
            TableName: REQUESTS_TABLE,
            Key: requestKeys.openRequest(ADA.id, 'access'),
            ConsistentRead: true,
          }),
        )
      ).Item;
    expect(await marker()).toEqual(expect.objectContaining({ requestId: first.requestId }));
    const res = await fetch(`${r.baseUrl}${first.statusUrl.replace('?', '/cancel?')}`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await marker()).toBeUndefined();
    const next = (await submit(r, ada)).body;
    expect(await matched(r, next.requestId)).toBe(true);
    await r.mail.waitFor(ADA.email, VERIFY, 2);
  });

  it('R7 daily cap: with a cap of 2, three different requests in a day send two emails; the next library day works again', async () => {
    const policy: Policy = { ...defaultPolicy, repeats: { dailyCapPerPatron: 2 } };
    const r = await start(policy);
    const ada = { cardNumber: ADA.cardNumber, lastName: ADA.lastName };
    const access = (await submit(r, { kind: 'access', ...ada })).body;
    expect(await matched(r, access.requestId)).toBe(true);
    const exp = (await submit(r, { kind: 'export', ...ada })).body;
    expect(await matched(r, exp.requestId)).toBe(true);
    const deletion = (await submit(r, { kind: 'deletion', ...ada })).body;
    expect(await matched(r, deletion.requestId)).toBe(false);
    await r.mail.waitFor(ADA.email, VERIFY, 2);
    await new Promise((res) => setTimeout(res, 500));
    expect(await verificationsTo(r, ADA.email)).toHaveLength(2);
    // Looks like any submission waiting for its verification.
    expect(comparable(await statusOf(r, deletion.statusUrl))).toEqual({
      ...comparable(await statusOf(r, exp.statusUrl)),
      kind: 'deletion',
    });
    const events = await r.deps.audit.list(deletion.requestId);
    expect(events.map((e) => e.type)).toEqual(['request-received', 'daily-cap-closed-quietly']);
    expect(events[1]?.data).toEqual({ patronId: ADA.id });

    // The next library day: the kind that was capped is answered (its slot was not kept).
    now += 24 * HOUR;
    const next = (await submit(r, { kind: 'deletion', ...ada })).body;
    expect(await matched(r, next.requestId)).toBe(true);
    await r.mail.waitFor(ADA.email, VERIFY, 3);
  });
});
