import { signInRefusal, SIGN_IN_REFUSAL_WORDS, type SignInRefusal } from '../../domain/approvals.ts';
import { GoneError, NotFoundError } from '../../domain/errors.ts';
import { isSignedInPurpose, type ActionToken } from '../../domain/tokens.ts';
import type { Principal } from '../../lib/auth.ts';
import type { Deps } from '../../lib/deps.ts';
import type { DecisionInput } from './decision.ts';
import { decide, finishHandOver, showLink } from './follow-link.ts';
import { linkActionFor } from './index.ts';
import { APPROVAL_PAGE, type LinkAction, type LinkFile, type LinkPage } from './link-action.ts';

/**
 * R12: a staff approval is opened and decided signed in. The emailed link leads to the approval page
 * (its secret in the fragment), which hands the secret to these signed-in routes in a POST body: the
 * API Gateway JWT authorizer (or the local runtime's check) has verified the token, and here the
 * signed-in person must be the link's recipient and hold its role (the group claim, so someone who
 * left the role is refused at use). Anyone else is refused and the attempt audited (ids only); the
 * link stays usable by its recipient.
 */
export class ApprovalRefusedError extends Error {
  override name = 'ApprovalRefusedError';
  readonly detail: string;
  constructor(readonly reason: SignInRefusal) {
    super(reason);
    this.detail = SIGN_IN_REFUSAL_WORDS[reason];
  }
}

/** The usable approval behind a secret, for this signed-in person only; a refusal is audited once per person and reason. */
async function approvalFor(
  deps: Deps,
  who: Principal,
  secret: string,
): Promise<{ token: ActionToken; action: LinkAction }> {
  const token = await deps.tokens.findUsable(secret);
  if (!isSignedInPurpose(token.purpose)) throw new NotFoundError('not an approval link');
  const action = linkActionFor(token);
  const refusal = signInRefusal(token.recipient, who);
  if (refusal) {
    await deps.audit.append(token.requestId, {
      eventId: `approval-refused:${token.tokenHash.slice(0, 16)}:${who.sub.slice(0, 40)}:${refusal}`,
      type: 'approval-refused',
      // The person who tried, by their stable id and role claims; the link's recipient is in the token.
      actor: { kind: 'staff', sub: who.sub, ...(who.groups[0] ? { role: who.groups.join(' ') } : {}) },
      data: { step: token.step, reason: refusal },
    });
    throw new ApprovalRefusedError(refusal);
  }
  return { token, action };
}

/** What the approval page shows once its recipient is signed in (changes nothing but the R1 staff-read record). */
export async function openApproval(deps: Deps, who: Principal, secret: string): Promise<LinkPage> {
  const { token, action } = await approvalFor(deps, who, secret);
  return showLink(deps, token, action, secret, APPROVAL_PAGE, who);
}

/** The decision, from the link's recipient signed in; `bySub` is recorded with it (R12, R17). */
export async function decideApproval(
  deps: Deps,
  who: Principal,
  secret: string,
  readDecision: () => DecisionInput,
): Promise<LinkPage> {
  let approval: { token: ActionToken; action: LinkAction };
  try {
    approval = await approvalFor(deps, who, secret);
  } catch (e) {
    if (!(e instanceof GoneError)) throw e;
    // Faults: the recipient's same answer again finishes a hand-over a failure cut short.
    const used = await deps.tokens.find(secret);
    if (!isSignedInPurpose(used.purpose) || signInRefusal(used.recipient, who)) throw e;
    return (await finishHandOver(deps, used, readDecision, who)) ?? Promise.reject(e);
  }
  return decide(deps, approval.token, approval.action, secret, readDecision, APPROVAL_PAGE, who);
}

/** The document an approval is about (a court order's PDF), for its recipient signed in; audited as a staff read. */
export async function approvalDocument(deps: Deps, who: Principal, secret: string): Promise<LinkFile> {
  const { token, action } = await approvalFor(deps, who, secret);
  if (!action.document) throw new NotFoundError('no document');
  return action.document(deps, token, who);
}
