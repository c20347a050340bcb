import { DESK_CHECK_STEP, isSamePerson, type DeskCheck } from '../domain/desk-checks.ts';
import { ConflictError, GoneError, IntegrityError } from '../domain/errors.ts';
import type { RequestRecord } from '../domain/request.ts';
import { tokenState } from '../domain/tokens.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';
import { verificationEmail } from '../render/emails.ts';
import { sendPatronLink } from './ask-person.ts';
import { ownAddressee } from './own-channel.ts';
import { requireAction } from './staff-permissions.ts';
import { readableRequest, staffActor } from './staff-read.ts';

/** R4, R6: the desk check refused; `status` and the words are what the staff member reads. */
export class DeskCheckRefusedError extends Error {
  override name = 'DeskCheckRefusedError';
  constructor(
    readonly status: 403 | 409,
    readonly title: string,
    readonly detail: string,
  ) {
    super(title);
  }
}

/** The one stand-in recipient of the second approval's token: any other desk staff member, signed in. */
const SECOND_STAFF = { kind: 'staff', id: 'second-staff-member', role: 'second-staff-member' } as const;

/**
 * The verification step of a desk request that waits for its check (R4, R6): the patron confirms
 * through the email on their own record (the public flow's link, R7), or a second staff member
 * approves on the desk. Nothing is released or changed until then: the workflow waits here. A
 * patron whose own email is gone since the desk is asked through a second staff member instead.
 */
export async function awaitDeskCheck(
  deps: Deps,
  request: RequestRecord & { deskCheck: DeskCheck },
  taskToken: string,
): Promise<void> {
  const { requestId } = request;
  const ttlSeconds = Math.round(deps.policy.verification.linkTtlHours * 3600);
  const patron = request.patronId ? await deps.people.getPatron(request.patronId) : undefined;
  if (!patron) throw new IntegrityError('the matched patron is gone');
  const own = await ownAddressee(deps, patron);
  const via = request.deskCheck.via === 'patron-email' && own.email ? 'patron-email' : 'second-staff';
  if (via === 'patron-email' && own.email) {
    await sendPatronLink(deps, {
      requestId,
      patronId: patron.id,
      to: own.email,
      token: {
        purpose: 'verify-identity',
        decisions: ['confirm'],
        step: DESK_CHECK_STEP,
        ttlSeconds,
        maxAttempts: deps.policy.verification.maxAttempts,
        taskToken,
      },
      email: (t) => verificationEmail({ ...t, kind: request.kind }),
    });
  } else {
    // No link leaves the system: the secret is dropped at once, and the desk answers through the
    // signed-in API (approveAtDesk). The token keeps the callback, its expiry (the deadline sweep
    // fails the step with LinkExpired) and its place in the request's pending steps. A retried
    // step adds a fresh one; the approval answers the newest and revokes the rest.
    await deps.tokens.issue({
      purpose: 'approve',
      decisions: ['approve'],
      step: DESK_CHECK_STEP,
      requestId,
      recipient: SECOND_STAFF,
      ttlSeconds,
      taskToken,
    });
    await deps.requests.update(requestId, (r) =>
      r.status === 'received' || r.status === 'verifying' ? { ...r, status: 'awaiting-staff' } : undefined,
    );
  }
  await deps.audit.append(requestId, {
    eventId: `desk-check-requested:${via}`,
    type: 'desk-check-requested',
    actor: { kind: 'system' },
    data: { via },
  });
}

/**
 * R4, R6, R12: a second staff member approves a desk request on the desk, signed in: another person
 * than the one who made it (both `sub`s recorded, on the request and the trail). The workflow then
 * goes on to the report, export or correction. A refusal is a 403 or 409 and is audited (R17).
 */
export async function approveAtDesk(deps: Deps, who: Principal, requestId: string) {
  const request = await readableRequest(deps, who, requestId);
  await requireAction(deps, who, 'second-approval', requestId);
  const check = 'deskCheck' in request ? request.deskCheck : undefined;
  if (!check || check.via !== 'second-staff' || check.secondSub)
    throw new DeskCheckRefusedError(409, 'Nothing to approve', 'This request does not wait for a second staff member.');
  if (isSamePerson(check, who)) {
    await deps.audit.append(requestId, {
      eventId: `refused:second-approval:${who.sub}`,
      type: 'staff-action-refused',
      actor: staffActor(who),
      data: { action: 'second-approval', reason: 'same-person', sub: who.sub },
    });
    throw new DeskCheckRefusedError(
      403,
      'Another staff member must approve',
      'You made this request at the desk: a different staff member, signed in as themselves, approves it.',
    );
  }
  const now = deps.clock();
  const waiting = (await deps.tokens.listOfRequest(requestId))
    .filter((t) => t.step === DESK_CHECK_STEP && t.purpose === 'approve' && tokenState(t, now) === 'usable')
    .at(-1);
  if (!waiting?.taskToken)
    throw new DeskCheckRefusedError(
      409,
      'Not ready',
      'The request is not waiting for approval yet; try again shortly.',
    );
  try {
    await deps.tokens.consume(waiting, 'approve');
  } catch (e) {
    if (e instanceof GoneError) throw new DeskCheckRefusedError(409, 'Already approved', 'Someone approved it first.');
    throw e;
  }
  const at = now.toISOString();
  try {
    await deps.requests.update(requestId, (r) => {
      if (!r.deskCheck || r.deskCheck.secondSub) throw new ConflictError('already approved');
      return {
        ...r,
        deskCheck: { ...r.deskCheck, secondSub: who.sub, secondStaffId: who.email, approvedAt: at },
      };
    });
  } catch (e) {
    if (e instanceof ConflictError)
      throw new DeskCheckRefusedError(409, 'Already approved', 'Someone approved it first.');
    throw e;
  }
  await deps.audit.append(requestId, {
    eventId: 'desk-check-approved',
    type: 'desk-check-approved',
    actor: staffActor(who),
    data: { via: 'second-staff', firstSub: check.firstSub, secondSub: who.sub },
  });
  await deps.tokens.revokeAll(requestId, DESK_CHECK_STEP);
  await deps.workflow.sendTaskSuccess(waiting.taskToken, { decision: 'done' });
  return { requestId, approvedBy: who.email, approvedAt: at };
}

/** Whether the patron has confirmed a desk request through their own email (its desk-check link used). */
export async function deskCheckConfirmed(deps: Pick<Deps, 'tokens'>, requestId: string): Promise<boolean> {
  return (await deps.tokens.listOfRequest(requestId)).some(
    (t) => t.step === DESK_CHECK_STEP && t.purpose === 'verify-identity' && t.usedAt !== undefined,
  );
}
