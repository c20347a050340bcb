import type { StaffRole } from '../domain/staff.ts';
import type { Email } from '../domain/email.ts';
import { readableMoment } from '../render/readable-time.ts';
import type { IssueTokenInput } from '../adapters/dynamodb/tokens.ts';
import type { Deps } from '../lib/deps.ts';
import { DeliveryUncertainError } from '../domain/errors.ts';
import { isCallbackGone } from '../adapters/step-functions.ts';
import { linkPathFor } from './actions/link-action.ts';
import { recordAfterSending } from './send-once.ts';

/** What a task email is built from: the link, and when it expires as people read it. */
export interface TaskLink {
  library: string;
  link: string;
  expiresAt: string;
}

/**
 * Faults: a retried or resumed step points the link already emailed to this recipient at its new
 * task token, and answers true: nothing is to be sent again.
 */
export async function linkAlreadyEmailed(
  deps: Pick<Deps, 'tokens'>,
  requestId: string,
  token: Pick<IssueTokenInput, 'step' | 'purpose' | 'taskToken'>,
  recipientId: string,
): Promise<boolean> {
  if (!token.taskToken) return false;
  const repointed = await deps.tokens.repointEmailed({
    requestId,
    step: token.step,
    purpose: token.purpose,
    recipientId,
    taskToken: token.taskToken,
  });
  return repointed !== undefined;
}

/**
 * Faults: a waiting step retried after its link was emailed and answered meanwhile (the answer met
 * the failed try's task gone) takes that answer, as a manual system's step takes its stored result:
 * the answered link is pointed at this try's task and, once its answer is recorded, handed to it
 * here, once (the link is then marked handed over, so no other try or press hands it again). An
 * answer not yet recorded is handed over by its press, which reads the link again. Answers true
 * when the step is answered, or about to be: nothing is to be sent. A manual system's task keeps
 * its own answer on the system's result (systems/system-task.ts).
 */
export async function answerGivenMeanwhile(
  deps: Pick<Deps, 'tokens' | 'workflow'>,
  requestId: string,
  token: Pick<IssueTokenInput, 'step' | 'purpose' | 'taskToken'>,
): Promise<boolean> {
  if (!token.taskToken || token.purpose === 'system-task') return false;
  const answered = await deps.tokens.repointAnswered({
    requestId,
    step: token.step,
    purpose: token.purpose,
    taskToken: token.taskToken,
  });
  if (!answered) return false;
  if (answered.recordedAt && answered.decision) {
    try {
      await deps.workflow.sendTaskSuccess(token.taskToken, { decision: answered.decision });
    } catch (e) {
      // This try is no longer waited on (timed out): the next try takes the answer instead.
      if (!isCallbackGone(e)) throw e;
      return true;
    }
    await recordAfterSending(() => deps.tokens.markHandedOver(answered.tokenHash));
  }
  return true;
}

/**
 * Gives each staff member of `role` their own link to one workflow step and emails it: only the
 * hash is stored, so every copy is its own token, bound to that person; the first answer wins and
 * voids the rest (act.ts). The email names the request only (R5).
 */
export async function sendStaffTasks(
  deps: Pick<Deps, 'tokens' | 'mailer' | 'records' | 'baseUrl' | 'workflow'>,
  o: {
    requestId: string;
    role: StaffRole;
    staff: readonly { email: string }[];
    token: Omit<IssueTokenInput, 'requestId' | 'recipient'>;
    email: (t: TaskLink) => Omit<Email, 'to'>;
  },
): Promise<void> {
  if (await answerGivenMeanwhile(deps, o.requestId, o.token)) return;
  const library = await deps.records.library();
  for (const member of o.staff) {
    // Read for each member just before their link, not once for the round: a try of this step
    // running beside this one (a timed-out try still finishing) may have emailed them meanwhile.
    if (await linkAlreadyEmailed(deps, o.requestId, o.token, member.email)) continue;
    const { secret, token } = await deps.tokens.issue({
      ...o.token,
      requestId: o.requestId,
      recipient: { kind: 'staff', id: member.email, role: o.role },
    });
    const link = {
      library: library.name,
      link: `${deps.baseUrl}${linkPathFor(o.token.purpose, secret)}`,
      expiresAt: readableMoment(token.expiresAt, library.timezone),
    };
    await sendLinkEmail(deps, { to: [member.email], ...o.email(link) }, token.tokenHash);
  }
}

/**
 * Sends a link's email and records it on the token, so a retried step re-points the link instead
 * of sending another (`TokenStore.repointEmailed`). An email whose delivery is uncertain counts as
 * sent (`sendOnce` says why).
 */
export async function sendLinkEmail(
  deps: Pick<Deps, 'tokens' | 'mailer'>,
  email: Email,
  tokenHash: string,
): Promise<void> {
  try {
    await deps.mailer.send(email);
  } catch (e) {
    if (!(e instanceof DeliveryUncertainError)) throw e;
  }
  await recordAfterSending(() => deps.tokens.markEmailed(tokenHash));
}
