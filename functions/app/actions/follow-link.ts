import { GoneError, InvalidInputError } from '../../domain/errors.ts';
import { isTerminal } from '../../domain/request.ts';
import { isSignedInPurpose, type ActionToken } from '../../domain/tokens.ts';
import type { Principal } from '../../lib/auth.ts';
import type { Deps } from '../../lib/deps.ts';
import { renderDecisionForm } from '../../render/layout.ts';
import { signInFirstBody, thanksBody, tryAgainBody } from '../../render/link-pages.ts';
import type { DecisionInput } from './decision.ts';
import { linkActionFor } from './index.ts';
import { linkPathFor, type DecisionContext, type LinkAction, type LinkFile, type LinkPage } from './link-action.ts';
import { recordAfterSending } from '../send-once.ts';
import { resumeWaitingStep } from './resume-workflow.ts';

/**
 * The two things a person does with an emailed link, the same for every purpose: open it (a GET
 * only reads, so a mail scanner's visit changes nothing) and answer it (a POST, once). A link that
 * was used, expired, revoked or locked is gone (GoneError); one that never was is not found.
 * A staff approval (R12) is opened and answered only signed in (./signed-in-approval.ts): through
 * `/act/{token}` it shows nothing and decides nothing.
 */

/** A link opens on a page, or, for a document that page links to, on the file. */
export type LinkAnswer = { page: LinkPage } | { file: LinkFile };

/** R12: an approval reached through `/act/{token}` (a link from before sign-in was required): the way to sign in, nothing else. */
const signInFirst = (token: ActionToken, secret: string, status: number): LinkPage => ({
  status,
  title: 'Sign in to decide',
  body: signInFirstBody(linkPathFor(token.purpose, secret)),
});

export async function openLink(deps: Deps, secret: string, view: string | undefined): Promise<LinkAnswer> {
  const token = await deps.tokens.findUsable(secret);
  const action = linkActionFor(token);
  if (isSignedInPurpose(token.purpose)) return { page: signInFirst(token, secret, 200) };
  // R12: an approver opens the order's PDF from the decision page; a GET that only reads.
  if (view === 'order' && action.document) return { file: await action.document(deps, token) };
  return { page: await showLink(deps, token, action, secret, `/act/${secret}`) };
}

/**
 * The page a link shows (the refusal a conflicted approver gets instead, R12); `formAction` is where
 * its form posts. Shared by `/act/{token}` and the signed-in approval page.
 */
export async function showLink(
  deps: Deps,
  token: ActionToken,
  action: LinkAction,
  secret: string,
  formAction: string,
  signedIn?: Principal,
): Promise<LinkPage> {
  const request = await deps.requests.get(token.requestId);
  const ctx = { deps, token, request, secret, ...(signedIn ? { signedIn } : {}) };
  const refused = await action.refuse?.(ctx, false);
  if (refused) return refused;
  const { title, form } = await action.show(ctx);
  return { status: 200, title, body: renderDecisionForm({ action: formAction, ...form }) };
}

/**
 * Records an answer. `readDecision` parses the posted form; it is called only once the link is
 * known to work, so a bad answer counts against that link (R7) and an unknown link says so first.
 */
export async function decideOnLink(deps: Deps, secret: string, readDecision: () => DecisionInput): Promise<LinkPage> {
  let token: ActionToken;
  try {
    token = await deps.tokens.findUsable(secret);
  } catch (e) {
    if (!(e instanceof GoneError)) throw e;
    // R12: an approval's hand-over is finished only signed in, by its recipient (./signed-in-approval.ts).
    const used = await deps.tokens.find(secret);
    if (isSignedInPurpose(used.purpose)) throw e;
    return (await finishHandOver(deps, used, readDecision)) ?? Promise.reject(e);
  }
  const action = linkActionFor(token);
  if (isSignedInPurpose(token.purpose)) {
    // R12: no decision without sign-in; the attempt is on the record (ids only) and the link still works.
    await deps.audit.append(token.requestId, {
      eventId: `approval-refused:${token.tokenHash.slice(0, 16)}:not-signed-in`,
      type: 'approval-refused',
      actor: { kind: 'staff' },
      data: { step: token.step, reason: 'not-signed-in' },
    });
    return signInFirst(token, secret, 401);
  }
  return decide(deps, token, action, secret, readDecision, `/act/${secret}`);
}

/** The shared part of answering a link, once whoever answers is known to be allowed to. */
export async function decide(
  deps: Deps,
  token: ActionToken,
  action: LinkAction,
  secret: string,
  readDecision: () => DecisionInput,
  backTo: string,
  signedIn?: Principal,
): Promise<LinkPage> {
  let input: DecisionInput;
  try {
    input = readDecision();
    if (!token.decisions.includes(input.decision)) throw new InvalidInputError('that choice is not offered here');
    action.check?.(input);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    // R7: a few bad tries, then the link locks.
    await deps.tokens.recordFailedAttempt(token);
    return { status: 400, title: 'Please try again', body: tryAgainBody(e.message, backTo) };
  }

  const request = await deps.requests.get(token.requestId);
  if (isTerminal(request.status) && !action.outlivesRequest) throw new GoneError('request closed');
  const refused = await action.refuse?.({ deps, token, request, secret, ...(signedIn ? { signedIn } : {}) }, true);
  if (refused) return refused;
  const used = await deps.tokens.consume(token, input.decision);
  return handOver({ deps, token: used, request, input, ...(signedIn ? { signedIn } : {}) });
}

/**
 * What an answer does once its link is used: recorded, the other copies voided, the waiting step
 * resumed, and the link marked handed over. Every part is safe to repeat (fixed audit event ids,
 * revoking what is already revoked), so a press of the button again finishes what a failure cut
 * short (`finishHandOver`).
 */
async function handOver(decided: DecisionContext): Promise<LinkPage> {
  const { deps, token, input } = decided;
  const action = linkActionFor(token);
  await action.record(decided);
  if (action.settle) await action.settle(decided);
  else {
    // Recorded: a retry of the step this answer meets gone may now take it (staff-tasks.ts, answerGivenMeanwhile).
    if (token.taskToken) await recordAfterSending(() => deps.tokens.markRecorded(token.tokenHash));
    // The other copies of this step's link are now void. Only this step's: a press made again
    // late (finishHandOver) must not void the links of the steps that came after it.
    await deps.tokens.revokeAll(token.requestId, token.step);
    // Left to the retried step that took it: that step marks it handed over.
    if (!(await resumeWaitingStep(deps, token, input.decision))) return thanksFor(action, input);
  }
  await recordAfterSending(() => deps.tokens.markHandedOver(token.tokenHash));
  return thanksFor(action, input);
}

function thanksFor(action: LinkAction, input: DecisionInput): LinkPage {
  const thanks = action.thanks[input.decision] ?? action.thanks.default ?? 'Thank you.';
  return { status: 200, title: 'Thank you', body: thanksBody(thanks) };
}

/**
 * Faults: a link used by an answer whose hand-over failed part way (a store call that kept
 * failing, the runtime stopped) would leave its step waiting for good, and the person told the
 * link was used. The same answer sent again through the same link (pressing the button again)
 * finishes the hand-over; anything else is still gone.
 */
export async function finishHandOver(
  deps: Deps,
  token: ActionToken,
  readDecision: () => DecisionInput,
  signedIn?: Principal,
): Promise<LinkPage | undefined> {
  if (!token.usedAt || token.handedOverAt || token.revokedAt) return undefined;
  let input: DecisionInput;
  try {
    input = readDecision();
  } catch (e) {
    if (e instanceof InvalidInputError) return undefined;
    throw e;
  }
  if (input.decision !== token.decision) return undefined;
  const request = await deps.requests.get(token.requestId);
  if (isTerminal(request.status) && !linkActionFor(token).outlivesRequest) return undefined;
  return handOver({ deps, token, request, input, ...(signedIn ? { signedIn } : {}) });
}
