import type { Email } from '../domain/email.ts';
import { DeliveryUncertainError, TransientError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';

/** What one email of a request is for: `purpose` names the step and what it tells (`failure-alert`, `report-ready`). */
export interface SendKey {
  requestId: string;
  purpose: string;
}

/**
 * A few quick tries at the write that records an email as sent: once the email is out, a lost
 * record would let a retried step send it again.
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

/**
 * ARCHITECTURE.md (Faults): sends an email at most once per request, purpose and addressees, so a
 * step retried after its email went out (its next write failed, the runtime restarted) does not
 * send it again. SES takes no idempotency key, so the key is ours: looked up before sending,
 * written right after. A send whose outcome is unknown (the connection dropped after the message
 * was handed over) counts as sent: a second copy is the worse mistake, and the request's own
 * status still shows a person what waits on them.
 * Answers whether it sent now (false: an earlier try had).
 */
export async function sendOnce(
  deps: Pick<Deps, 'mailer' | 'sentEmails'>,
  key: SendKey,
  email: Email,
): Promise<boolean> {
  if (await deps.sentEmails.wasSent(key.requestId, key.purpose, email.to)) return false;
  try {
    await deps.mailer.send(email);
  } catch (e) {
    if (!(e instanceof DeliveryUncertainError)) throw e;
  }
  await recordAfterSending(() => deps.sentEmails.record(key.requestId, key.purpose, email.to));
  return true;
}
