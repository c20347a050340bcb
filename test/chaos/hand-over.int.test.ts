import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../functions/domain/errors.ts';
import type { TaskFunction } from '../../local/engine.ts';
import { postForm } from '../support/http.ts';
import { ADA, linkIn, startTestRuntime, submit, waitForStatus, type TestRuntime } from '../support/runtime.ts';

/**
 * ARCHITECTURE.md (Faults): a link's answer is handed to its waiting step after the link is used.
 * When that hand-over fails (here Step Functions' SendTaskSuccess throttled past the SDK's
 * retries, as the adapter reports it), the step must not be left waiting for good: the person
 * presses the button again and the same answer finishes it. The real access workflow runs through
 * the local engine.
 */
describe('an answer whose hand-over failed', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.cleanup());

  it('R7: pressing again hands the same answer over once; the used link refuses any other answer and, once handed over, everything', async () => {
    const { body } = await submit(rt, { kind: 'access', cardNumber: ADA.cardNumber, lastName: ADA.lastName });
    const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
    const link = linkIn(verify, 'act');

    const port = rt.deps.workflow;
    const send = port.sendTaskSuccess.bind(port);
    let throttled = 0;
    port.sendTaskSuccess = async (...args) => {
      if (throttled++ === 0) throw new TransientError('Step Functions: ThrottlingException');
      return send(...args);
    };

    expect((await postForm(link, { decision: 'confirm' })).status).toBeGreaterThanOrEqual(500);
    // Used: opening it says so, and an answer it was not used for is refused (R7: single use).
    expect((await fetch(link)).status).toBe(410);
    expect((await postForm(link, { decision: 'decline' })).status).toBe(410);
    expect((await postForm(link, { decision: '<script>' })).status).toBe(410);

    // The same answer again: handed over, and the request goes on to its end.
    expect((await postForm(link, { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect((await postForm(link, { decision: 'confirm' })).status).toBe(410);

    const events = await rt.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'identity-verified')).toHaveLength(1);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
    expect((await rt.mail.to(ADA.email)).filter((e) => /confirm your privacy request/.test(e.subject))).toHaveLength(1);
  });
});

describe('a link answered while its step is still finishing', () => {
  const YUKI = { cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };
  const OFFICER = 'privacy@library.example';
  let rt: TestRuntime;
  const answerThenFail = { on: true };
  beforeAll(async () => {
    // The approval step emails its link, the privacy officer approves at once, and then the step's
    // last write fails (a DynamoDB throttle past the SDK's retries, as the client reports it).
    const wrap = (name: string, fn: TaskFunction): TaskFunction =>
      name !== 'task-request-approval'
        ? fn
        : async (event, context) => {
            const out = await fn(event, context);
            if (!answerThenFail.on) return out;
            answerThenFail.on = false;
            const ask = await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/);
            expect((await decideApproval(rt, approvalLinkIn(ask), { decision: 'approve' })).status).toBe(200);
            throw new TransientError('DynamoDB: ProvisionedThroughputExceededException');
          };
    rt = await startTestRuntime({ wrapFunction: wrap });
  });
  afterAll(async () => rt.cleanup());

  it('R7 R8: the answer that came first ends the step, as in Step Functions: no second link, and the deletion goes on', async () => {
    const { body } = await submit(rt, { kind: 'deletion', cardNumber: YUKI.cardNumber, lastName: YUKI.lastName });
    const verify = await rt.mail.waitFor(YUKI.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(answerThenFail.on).toBe(false);
    const asked = (await rt.mail.to(OFFICER)).filter((e) => /Decision needed on a deletion plan/.test(e.subject));
    expect(asked).toHaveLength(1);
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'approval-decided')).toHaveLength(1);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
  });
});
