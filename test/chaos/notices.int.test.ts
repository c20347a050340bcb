import { approvalLinkIn, decideApproval } from '../support/approvals.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Mailer } from '../../functions/adapters/ses-mailer.ts';
import { DeliveryUncertainError } from '../../functions/domain/errors.ts';
import { postForm } from '../support/http.ts';
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

/** SES takes the first email whose subject matches, and the connection drops before its answer. */
function dropAnswerOfFirst(subject: RegExp): { wrapMailer: (m: Mailer) => Mailer; dropped: () => number } {
  let dropped = 0;
  return {
    wrapMailer: (m) => ({
      async send(email) {
        const sent = await m.send(email);
        if (subject.test(email.subject) && dropped++ === 0) throw new DeliveryUncertainError('SES: ECONNRESET');
        return sent;
      },
    }),
    dropped: () => dropped,
  };
}

/** Ada's verified correction of her address, waiting for the privacy officer's decision (R6). */
async function correctionAwaitingDecision(rt: TestRuntime, street: string) {
  const { body } = await submit(rt, {
    kind: 'correction',
    cardNumber: ADA.cardNumber,
    lastName: ADA.lastName,
    changes: { address: { street, city: 'Greenwich', state: 'CT', postalCode: '06830' } },
  });
  const verify = await rt.mail.waitFor(ADA.email, /confirm your privacy request/);
  expect((await postForm(linkIn(verify, 'act'), { decision: 'confirm' })).status).toBe(200);
  const ask = await eventually(
    async () =>
      (await rt.mail.to(OFFICER)).find(
        (e) => /Decision needed on a correction/.test(e.subject) && e.body.text?.includes(body.requestId),
      ),
    15_000,
    'approval email',
  );
  return { ...body, approvalLink: approvalLinkIn(ask) };
}

/**
 * ARCHITECTURE.md (Faults): a notice a step sends is keyed, so the step retried after the notice
 * went out sends it once. Here SES takes the correction's notice and the connection drops before
 * its answer (what the SES adapter reports as DeliveryUncertainError, a TransientError); the
 * correction workflow's Retry runs the step again, through the real ASL on the local engine.
 */
describe('a correction whose notice went out but whose answer was lost', () => {
  let rt: TestRuntime;
  const ses = dropAnswerOfFirst(/were updated/);
  beforeAll(async () => {
    rt = await startTestRuntime({ wrapMailer: ses.wrapMailer });
  });
  afterAll(async () => rt.cleanup());

  it('R6: the patron is told once, and the request completes', async () => {
    const body = await correctionAwaitingDecision(rt, '12 Retry Road');
    expect((await decideApproval(rt, body.approvalLink, { decision: 'approve' })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'completed');
    expect(ses.dropped()).toBeGreaterThan(0);
    expect((await rt.mail.to(ADA.email)).filter((e) => /were updated/.test(e.subject))).toHaveLength(1);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
  });
});

/**
 * The same for the requester's notice that a request was not completed (the deny step): SES takes
 * it, the connection drops before its answer, and the step's Retry runs it again.
 */
describe('a rejection whose notice went out but whose answer was lost', () => {
  let rt: TestRuntime;
  const ses = dropAnswerOfFirst(/was not completed/);
  beforeAll(async () => {
    rt = await startTestRuntime({ wrapMailer: ses.wrapMailer });
  });
  afterAll(async () => rt.cleanup());

  it('R6 R12: the patron is told once, with the officer’s reason, and the request is denied', async () => {
    const body = await correctionAwaitingDecision(rt, '14 Retry Road');
    const reason = 'The address is outside the library district.';
    expect((await decideApproval(rt, body.approvalLink, { decision: 'reject', reason })).status).toBe(200);
    await waitForStatus(rt, body.statusUrl, 'denied');
    // The trail records the notice once it went out: after the retried step's try.
    await eventually(
      async () => (await rt.deps.audit.list(body.requestId)).find((e) => e.type === 'request-denied'),
      15_000,
      'the denial on the trail',
    );
    expect(ses.dropped()).toBeGreaterThan(0);
    const told = (await rt.mail.to(ADA.email)).filter((e) => /was not completed/.test(e.subject));
    expect(told).toHaveLength(1);
    expect(told[0]?.body.text).toContain(reason);
    expect((await rt.deps.audit.check(body.requestId)).ok).toBe(true); // R17
  });
});
