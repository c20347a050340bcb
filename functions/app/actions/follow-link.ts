import { GoneError, InvalidInputError } from '../../domain/errors.ts';
import { isTerminal } from '../../domain/request.ts';
import type { Deps } from '../../lib/deps.ts';
import { renderDecisionForm } from '../../render/layout.ts';
import { thanksBody, tryAgainBody } from '../../render/link-pages.ts';
import type { DecisionInput } from './decision.ts';
import { linkActionFor } from './index.ts';
import type { DecisionContext, LinkFile, LinkPage } from './link-action.ts';
import type { ActionToken } from '../../domain/tokens.ts';
import { recordAfterSending } from '../send-once.ts';
import { resumeWaitingStep } from './resume-workflow.ts';

/**
 * The two things a person does with an emailed link, the same for every purpose: open it (a GET
 * only reads, so a mail scanner's visit changes nothing) and answer it (a POST, once). A link that
 * was used, expired, revoked or locked is gone (GoneError); one that never was is not found.
 */

/** A link opens on a page, or, for a document that page links to, on the file. */
export type LinkAnswer = { page: LinkPage } | { file: LinkFile };

export async function openLink(deps: Deps, secret: string, view: string | undefined): Promise<LinkAnswer> {
  const token = await deps.tokens.findUsable(secret);
  const action = linkActionFor(token);
  // R12: an approver opens the order's PDF from the decision page; a GET that only reads.
  if (view === 'order' && action.document) return { file: await action.document(deps, token) };
  const request = await deps.requests.get(token.requestId);
  const ctx = { deps, token, request, secret };
  const refused = await action.refuse?.(ctx, false);
  if (refused) return { page: refused };
  const { title, form } = await action.show(ctx);
  return { page: { status: 200, title, body: renderDecisionForm({ action: `/act/${secret}`, ...form }) } };
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
    return (await finishHandOver(deps, secret, readDecision)) ?? Promise.reject(e);
  }
  const action = linkActionFor(token);
  let input: DecisionInput;
  try {
    input = readDecision();
    if (!token.decisions.includes(input.decision)) throw new InvalidInputError('that choice is not offered here');
    action.check?.(input);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    // R7: a few bad tries, then the link locks.
    await deps.tokens.recordFailedAttempt(token);
    return { status: 400, title: 'Please try again', body: tryAgainBody(e.message, secret) };
  }

  const request = await deps.requests.get(token.requestId);
  if (isTerminal(request.status) && !action.outlivesRequest) throw new GoneError('request closed');
  const refused = await action.refuse?.({ deps, token, request, secret }, true);
  if (refused) return refused;
  const used = await deps.tokens.consume(token, input.decision);
  return handOver({ deps, token: used, request, input });
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
    // The other staff members' copies of this task are now void.
    await deps.tokens.revokeAll(token.requestId);
    await resumeWaitingStep(deps, token, input.decision);
  }
  await recordAfterSending(() => deps.tokens.markHandedOver(token.tokenHash));
  const thanks = action.thanks[input.decision] ?? action.thanks.default ?? 'Thank you.';
  return { status: 200, title: 'Thank you', body: thanksBody(thanks) };
}

/**
 * Faults: a link used by an answer whose hand-over failed part way (a store call that kept
 * failing, the runtime stopped) would leave its step waiting for good, and the person told the
 * link was used. The same answer sent again through the same link (pressing the button again)
 * finishes the hand-over; anything else is still gone.
 */
async function finishHandOver(
  deps: Deps,
  secret: string,
  readDecision: () => DecisionInput,
): Promise<LinkPage | undefined> {
  const token = await deps.tokens.find(secret);
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
  return handOver({ deps, token, request, input });
}
