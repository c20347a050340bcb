import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SesMailer, type Mailer } from '../../functions/adapters/ses-mailer.ts';
import { defaultPolicy, type Policy } from '../../functions/domain/policy.ts';
import { executionOf } from '../support/executions.ts';
import { postForm } from '../support/http.ts';
import { ADA, linkIn, OFFICER, startTestRuntime, submit, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * R15: a staff decision that nobody takes lapses; the step is asked again up to the policy's
 * `maxRounds`, then the request closes as expired. Step Functions retries the lapse step after a
 * transient error (its Retry matches TransientError), so the step must count each round once
 * however often it runs: a round counted twice would close the request a round early and tell the
 * privacy officer it had closed when a fresh link had gone out.
 */

const LAPSED = /^A decision lapsed/;
const ASKED = /^Decision needed on a deletion plan/;

/** SES answering as it does when the sending rate is exceeded; the real SDK client parses, retries, then reports it. */
async function throttlingSes(): Promise<{ mailer: SesMailer; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    req.resume();
    req.on('end', () => {
      res.writeHead(429, { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' });
      res.end(JSON.stringify({ message: 'Maximum sending rate exceeded.' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const mailer = new SesMailer('privacy@library.example', {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  return {
    mailer,
    calls: () => calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('R15 a lapsed decision is counted once per round, however often its step runs', () => {
  let rt: TestRuntime | undefined;
  let ses: Awaited<ReturnType<typeof throttlingSes>> | undefined;
  afterEach(async () => {
    await rt?.cleanup();
    await ses?.close();
    rt = undefined;
    ses = undefined;
  });

  it('R15: the first lapse email is throttled past the SDK retries, the workflow retries the step, and it is still round 1 of 2: asked again, then expired after round 2', async () => {
    ses = await throttlingSes();
    const throttled = ses.mailer;
    let lapseSends = 0;
    // The first send of the first lapse's email meets SES throttling; every later send the local SES.
    const flaky = (m: Mailer): Mailer => ({
      async send(email) {
        if (LAPSED.test(email.subject) && lapseSends++ === 0) return throttled.send(email);
        return m.send(email);
      },
    });
    const policy: Policy = {
      ...defaultPolicy,
      approvals: { ...defaultPolicy.approvals, linkTtlHours: 1 / 3600, maxRounds: 2 },
    };
    rt = await startTestRuntime({ policy, wrapMailer: flaky });
    const r = rt;

    const { body } = await submit(r, { kind: 'deletion', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await r.mail.waitFor(ADA.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);

    await waitForStatus(r, body.statusUrl, 'expired');
    await r.engine.whenDone(executionOf('deletion', body.requestId));
    expect(ses.calls()).toBeGreaterThan(1); // the SDK tried again itself first
    // Asked twice, lapsed twice: round 1 then round 2, each once.
    expect((await r.mail.to(OFFICER)).filter((e) => ASKED.test(e.subject))).toHaveLength(2);
    const lapses = (await r.mail.to(OFFICER)).filter((e) => LAPSED.test(e.subject));
    expect(lapses.map((e) => /\(round (\d+)\)/.exec(e.body.text ?? '')?.[1])).toEqual(['1', '2']);
    expect(lapses[0]?.body.text).toContain('fresh decision link');
    expect(lapseSends).toBe(3); // the throttled try, the workflow's Retry of round 1, round 2
    expect(lapses[1]?.body.text).toContain('closed as expired');
    const events = await r.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'approval-lapsed').map((e) => e.data)).toEqual([
      { step: 'deletion-plan', round: 1, final: false },
      { step: 'deletion-plan', round: 2, final: true },
    ]);
    expect(events.filter((e) => e.type === 'approval-requested').map((e) => e.data?.round)).toEqual([1, 2]);
    expect((await r.deps.requests.get(body.requestId)).approvalRounds).toEqual({ 'deletion-plan': 2 });
  }, 60_000);
});
