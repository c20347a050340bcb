import { isCallbackGone } from '../adapters/step-functions.ts';
import { tokenState, type TokenPurpose } from '../domain/tokens.ts';
import type { Deps } from '../lib/deps.ts';
import { approvalRequestEmail } from '../render/emails.ts';
import { readableMoment } from '../render/readable-time.ts';
import { linkPathFor } from './actions/link-action.ts';
import { closeRequest } from './close-request.ts';
import { escalateLapsedSystemTask, systemTaskReminder } from './systems/system-task.ts';

/** The staff tasks that get a reminder with a fresh link: approvals, and manual systems' tasks (R19). */
const REMINDED: readonly TokenPurpose[] = ['approve', 'system-task'];

/**
 * Deadlines are data, not long timers (ARCHITECTURE.md): sends due reminders, deletes expired
 * download files, closes unmatched requests whose time is up, and fails every step waiting on a
 * link that has expired with `LinkExpired`, which its state machine catches (R7: links expire,
 * default 72 h, from the policy). Reads the open-callback index by expiry; never a scan.
 */
export async function sweepDeadlines(
  deps: Deps,
): Promise<{ expired: number; reminded: number; filesDeleted: number; unmatchedClosed: number }> {
  const reminded = await sendReminders(deps);
  const filesDeleted = await deleteExpiredFiles(deps);
  const unmatchedClosed = await closeUnmatched(deps);
  const expired = await expireCallbacks(deps);
  return { expired, reminded, filesDeleted, unmatchedClosed };
}

/** R7: a step still waiting on an expired link is failed, so its workflow takes its timeout path. */
async function expireCallbacks(deps: Deps): Promise<number> {
  let expired = 0;
  for (;;) {
    const batch = await deps.tokens.expiredCallbacks(100);
    if (batch.length === 0) return expired;
    for (const token of batch) {
      if (token.purpose === 'system-task') {
        // R19: a manual system's task is not failed: it goes to the privacy officer and the step keeps waiting.
        if (await escalateLapsedSystemTask(deps, token)) expired++;
      } else if (token.taskToken) {
        try {
          await deps.workflow.sendTaskFailure(
            token.taskToken,
            'LinkExpired',
            'the link expired before anyone acted on it',
          );
          expired++;
        } catch (e) {
          // Several staff copies share one step: the first closes it, the rest find it gone.
          if (!isCallbackGone(e)) throw e;
        }
      }
      await deps.tokens.closeCallback(token);
    }
  }
}

/**
 * R14 R16: a request whose card matched no patron ended its workflow quietly at once; it closes as
 * expired when its verification would have lapsed, as a real patron's unanswered request does, so
 * its status never tells a stranger anything and it reaches the tombstone queue like any other.
 */
async function closeUnmatched(deps: Deps): Promise<number> {
  let closed = 0;
  for (;;) {
    const due = await deps.requests.unmatchedDue(deps.clock().toISOString());
    if (due.length === 0) return closed;
    for (const { requestId, sk } of due) {
      const request = await deps.requests.find(requestId);
      if (request && request.matched === false && (await closeRequest(deps, requestId, 'expired')) === 'expired')
        closed++;
      await deps.requests.dropUnmatched(sk);
    }
  }
}

/** R8a: a report or export is deleted when its link expires (S3's lifecycle is only the backstop). */
async function deleteExpiredFiles(deps: Deps): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await deps.tokens.expiredDownloads(100);
    if (batch.length === 0) return deleted;
    for (const token of batch) {
      if (token.fileKey) await deps.files.delete(token.fileKey);
      await deps.tokens.markFileDeleted(token);
      deleted++;
    }
  }
}

/**
 * A staff decision or system task still pending at its reminder time gets a reminder carrying a fresh link
 * (only hashes are stored, so the first link cannot be re-sent); both links answer the same step
 * and expire together, and the first used voids the other.
 */
async function sendReminders(deps: Deps): Promise<number> {
  let sent = 0;
  for (;;) {
    const due = await deps.tokens.dueReminders(100);
    if (due.length === 0) return sent;
    for (const { remindAt, tokenHash } of due) {
      const token = await deps.tokens.findByHash(tokenHash);
      if (
        token &&
        REMINDED.includes(token.purpose) &&
        tokenState(token, deps.clock()) === 'usable' &&
        token.taskToken
      ) {
        const library = await deps.records.library();
        const expiresAt = readableMoment(token.expiresAt, library.timezone);
        const email = (link: string) =>
          token.purpose === 'system-task'
            ? systemTaskReminder(deps, token, { library: library.name, link, expiresAt })
            : Promise.resolve(
                approvalRequestEmail({
                  library: library.name,
                  link,
                  requestId: token.requestId,
                  step: token.step,
                  expiresAt,
                  reminder: true,
                }),
              );
        const { secret } = await deps.tokens.issue({
          purpose: token.purpose,
          requestId: token.requestId,
          recipient: token.recipient,
          step: token.step,
          decisions: token.decisions,
          ttlSeconds: 0,
          expiresAt: token.expiresAt,
          maxAttempts: token.maxAttempts,
          taskToken: token.taskToken,
        });
        const message = await email(`${deps.baseUrl}${linkPathFor(token.purpose, secret)}`);
        if (message) await deps.mailer.send({ to: [token.recipient.id], ...message });
        await deps.audit.append(token.requestId, {
          eventId: `reminded:${token.tokenHash.slice(0, 16)}`,
          type: 'reminder-sent',
          actor: { kind: 'system' },
          data: { step: token.step, to: token.recipient.id },
        });
        sent++;
      }
      await deps.tokens.dropReminder(remindAt, tokenHash);
    }
  }
}
