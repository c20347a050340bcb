import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransientError } from '../../functions/domain/errors.ts';
import type { FunctionName } from '../../workflows/index.ts';
import type { TaskFunction } from '../../local/engine.ts';
import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { postForm } from '../support/http.ts';
import {
  ADA,
  linkIn,
  OFFICER,
  startTestRuntime,
  submit,
  waitForStatus,
  type SentEmail,
  type TestRuntime,
} from '../support/runtime.ts';

/**
 * ARCHITECTURE.md (Faults): a waiting step emails its link and then fails (its last write throttled
 * past the SDK's retries, as the client reports it); the link is answered after that try failed and
 * before the step's Retry runs it again. The answer met no waiting task, so the retry must take the
 * recorded answer and hand it to itself, once: no second email, no request left waiting for good.
 * The real workflows run through the local engine; the retry is held until the answer is in, which
 * is the order the chaos run met by chance.
 */
function failAfterSending(name: FunctionName) {
  let letRetryRun = () => undefined as void;
  let retryRan = () => undefined as void;
  const state = {
    calls: 0,
    /** The retry runs only once this is called. */
    release: () => letRetryRun(),
    gate: undefined as Promise<void> | undefined,
    /** Settles once the retry's handler has ended. */
    retried: undefined as Promise<void> | undefined,
  };
  state.gate = new Promise<void>((r) => (letRetryRun = r));
  state.retried = new Promise<void>((r) => (retryRan = r));
  const wrap = (fnName: FunctionName, fn: TaskFunction): TaskFunction =>
    fnName !== name
      ? fn
      : async (event, context) => {
          state.calls++;
          if (state.calls > 1) {
            await state.gate;
            try {
              return await fn(event, context);
            } finally {
              retryRan();
            }
          }
          await fn(event, context);
          throw new TransientError('DynamoDB: ProvisionedThroughputExceededException');
        };
  return { state, wrap };
}

describe('an approval answered between its step’s failed try and the retry', () => {
  const YUKI = { cardNumber: '21234000011007', lastName: 'Tanaka', email: 'yuki.tanaka@example.com' };
  const approval = failAfterSending('task-request-approval');
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ wrapFunction: approval.wrap });
  });
  afterAll(async () => rt.cleanup());

  it('R8 R12: the retry takes the recorded decision: one email to the officers, one decision, and the deletion goes on', async () => {
    const { body } = await submit(rt, { kind: 'deletion', cardNumber: YUKI.cardNumber, lastName: YUKI.lastName });
    const verify = await rt.mail.waitFor(YUKI.email, /confirm your privacy request/);
    expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);

    const ask = await rt.mail.waitFor(OFFICER, /Decision needed on a deletion plan/);
    // The step it answers had failed: not a server error, so the officer is not asked to press again.
    expect((await decideApproval(rt, approvalLinkIn(ask), { decision: 'approve' })).status).toBeLessThan(500);
    approval.state.release();

    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(approval.state.calls).toBe(2);
    const asked = (await rt.mail.all()).filter((e: SentEmail) => /Decision needed on a deletion plan/.test(e.subject));
    expect(asked.map((e) => e.destination.to).sort()).toEqual([[OFFICER], ['owen.gallagher@library.example']].sort());
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'approval-decided')).toHaveLength(1);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
  });
});

describe('a third party’s address confirmed while its step’s retry runs', () => {
  const verification = failAfterSending('task-request-verification');
  const WHO = { name: 'Morgan Reed', email: 'morgan.reed@lettings.example', organization: 'Reed Lettings' };
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ wrapFunction: verification.wrap });
    // The press uses the link; the retry then runs whole before the press records its answer.
    const consume = rt.deps.tokens.consume.bind(rt.deps.tokens);
    rt.deps.tokens.consume = async (...args) => {
      const used = await consume(...args);
      if (used.step === 'verify-requester') {
        verification.state.release();
        await verification.state.retried;
      }
      return used;
    };
  });
  afterAll(async () => rt.cleanup());

  it('R14: the third party is asked once, their one answer reaches the retried step, and the request goes on to the patron’s consent', async () => {
    const { body } = await submit(rt, {
      kind: 'third-party',
      requester: WHO,
      patron: { cardNumber: ADA.cardNumber, lastName: ADA.lastName },
      categories: ['library-records'],
      purpose: 'Tenancy reference: proof of library membership.',
    });
    const confirm = await rt.mail.waitFor(WHO.email, /Please confirm your email address/);
    expect((await postForm(linkIn(confirm, 'act'), { decision: 'confirm' })).status).toBe(200);

    await rt.mail.waitFor(ADA.email, /Written permission asked/);
    expect(verification.state.calls).toBe(2);
    const asked = (await rt.mail.to(WHO.email)).filter((e) => /Please confirm your email address/.test(e.subject));
    expect(asked).toHaveLength(1);
    const events = await rt.deps.audit.list(body.requestId);
    expect(events.filter((e) => e.type === 'identity-verified')).toHaveLength(1);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
  });
});
