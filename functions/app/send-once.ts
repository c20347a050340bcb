import type { Email } from '../domain/email.ts';
import { DeliveryUncertainError, TransientError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';

/** What one email of a request is for: `purpose` names the step and what it tells (`failure-alert`, `report-ready`). */
export interface SendKey {
  requestId: string;
  purpose: string;
}

/**
 * A few quick tries at the write that settles an email's key (sent, or its claim given up): once
 * the email is out, a lost record would let a retried step send it again; a claim not given up
 * would keep every retry waiting.
 */
export async function recordAfterSending(write: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await write();
      return;
    } catch (e) {
      if (!(e instanceof TransientError) || attempt >= 4) throw e;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
}

/** How long a try waits for another try of the same step that is sending the same email right now. */
const BUSY_WAIT_MS = 10_000;
const BUSY_POLL_MS = 250;

/**
 * ARCHITECTURE.md (Faults): sends an email at most once per request, purpose and addressees, so a
 * step retried after its email went out (its next write failed, the runtime restarted), or two
 * tries of it running at once (a timed-out try still finishing beside its retry), do not send it
 * again. SES takes no idempotency key, so the key is ours: claimed before sending (one conditional
 * put: of two tries at once one sends, the other waits for its outcome), marked sent right after,
 * and given up when the send surely failed, so that a later try sends. A send whose outcome is
 * unknown (the connection dropped after the message was handed over) counts as sent: a second copy
 * is the worse mistake, and the request's own status still shows a person what waits on them.
 * Answers whether it sent now (false: another try had, or has).
 */
export async function sendOnce(
  deps: Pick<Deps, 'mailer' | 'sentEmails'>,
  key: SendKey,
  email: Email,
): Promise<boolean> {
  const { requestId, purpose } = key;
  let claimId: string | undefined;
  for (let waited = 0; claimId === undefined; waited += BUSY_POLL_MS) {
    const claim = await deps.sentEmails.claim(requestId, purpose, email.to);
    if (claim.state === 'sent') return false;
    if (claim.state === 'claimed') claimId = claim.claimId;
    else if (waited >= BUSY_WAIT_MS) throw new TransientError('another try of this step is sending the same email');
    else await new Promise((r) => setTimeout(r, BUSY_POLL_MS));
  }
  try {
    await deps.mailer.send(email);
  } catch (e) {
    if (!(e instanceof DeliveryUncertainError)) {
      const mine = claimId;
      await recordAfterSending(() => deps.sentEmails.release(requestId, purpose, email.to, mine));
      throw e;
    }
  }
  await recordAfterSending(() => deps.sentEmails.record(requestId, purpose, email.to));
  return true;
}
