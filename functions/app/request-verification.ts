import { IntegrityError } from '../domain/errors.ts';
import { donorIdOf, isTerminal, requesterPatronIdOf, type RequestOf, type RequestRecord } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { inPersonVerificationEmail, verificationEmail } from '../render/emails.ts';
import { thirdPartyAddressEmail } from '../render/consent-emails.ts';
import type { DeliveryChannel } from './deliver.ts';
import { askPersonOrDesk, sendPatronLink } from './ask-person.ts';
import { awaitDeskCheck, deskCheckConfirmed } from './desk-check.ts';

/**
 * Starts verification and answers whether it asked anyone; the workflow waits for the callback token.
 * R7: the link goes only to the email already on the patron's record, never to a typed address.
 * A patron with no email on file is verified at the desk by circulation staff (R4).
 */
export async function requestVerification(
  deps: Deps,
  o: { requestId: string; channel: DeliveryChannel; taskToken: string },
): Promise<boolean> {
  const { requestId, channel, taskToken } = o;
  const request = await deps.requests.get(requestId);
  if (isTerminal(request.status)) return false;
  // R4, R6: a desk request that releases records or changes contact details waits for its check.
  if (request.deskCheck && !request.deskCheck.secondSub && !(await deskCheckConfirmed(deps, requestId))) {
    await awaitDeskCheck(deps, { ...request, deskCheck: request.deskCheck }, taskToken);
    return true;
  }
  if (request.verification) {
    // R4: staff verified the requester at the desk when they made the request (api-staff): no link
    // to send and nothing to wait for, so the step answers itself. The trail says why it moved on.
    await deps.audit.append(requestId, {
      eventId: 'verification-not-needed',
      type: 'verification-not-needed',
      actor: { kind: 'system' },
      data: { method: request.verification.method },
    });
    try {
      await deps.workflow.sendTaskSuccess(taskToken, { decision: 'done' });
    } catch (e) {
      // A retried invocation finds its step already answered.
      if (!(e instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(e.name))) throw e;
    }
    return false;
  }
  if (request.kind === 'third-party') {
    await verifyThirdPartyAddress(deps, request, taskToken);
    return true;
  }
  const patron = await personToVerify(deps, request);

  const asked = await askPersonOrDesk(deps, {
    requestId,
    // The workflow chose the channel from the record; the desk also takes a patron whose email is gone since.
    person: { id: patron.id, email: channel === 'email' ? patron.email : undefined },
    token: {
      step: 'verify',
      ttlSeconds: Math.round(deps.policy.verification.linkTtlHours * 3600),
      maxAttempts: deps.policy.verification.maxAttempts,
      taskToken,
    },
    byEmail: {
      purpose: 'verify-identity',
      decisions: ['confirm'],
      email: (t) => verificationEmail({ ...t, kind: request.kind }),
    },
    atDesk: {
      purpose: 'verify-in-person',
      decisions: ['done'],
      why: 'verify in person',
      email: (t) => inPersonVerificationEmail({ ...t, requestId }),
    },
  });
  if (asked === 'in-person')
    await deps.requests.update(requestId, (r) =>
      r.status === 'verifying' ? { ...r, status: 'awaiting-staff' } : undefined,
    );
  // R15: from here the request waits on the requester, and its clock pauses.
  const now = deps.clock().toISOString();
  await deps.requests.update(requestId, (r) =>
    r.waitingSince || r.verification ? undefined : { ...r, waitingSince: now },
  );
  await deps.audit.append(requestId, {
    eventId: `verification-requested:${channel}`,
    type: 'verification-requested',
    actor: { kind: 'system' },
    data: { channel },
  });
  return true;
}

/**
 * R14: the third party's email is verified first, through a link to the address typed in the form,
 * before the card is matched and before anything goes to the patron. The token is bound to the
 * request's requester, never to the address (R5), and is single-use and expiring like any other.
 */
async function verifyThirdPartyAddress(
  deps: Deps,
  request: RequestOf<'third-party'>,
  taskToken: string,
): Promise<void> {
  const tp = request.thirdParty;
  if (!tp?.email) throw new IntegrityError('R14: no third-party address to verify');
  await sendPatronLink(deps, {
    requestId: request.requestId,
    patronId: 'third-party',
    recipient: { kind: 'requester', id: 'third-party' },
    to: tp.email,
    token: {
      purpose: 'verify-identity',
      decisions: ['confirm'],
      step: 'verify-requester',
      ttlSeconds: Math.round(deps.policy.verification.linkTtlHours * 3600),
      maxAttempts: deps.policy.verification.maxAttempts,
      taskToken,
    },
    email: (t) => thirdPartyAddressEmail(t),
  });
  // R15: the request waits on the requester, and its clock pauses. It is `verifying` from here, as
  // every kind is once its workflow's first step ran: `received` past a few minutes means a
  // workflow that never started, which the sweep of unstarted requests starts (unstarted-requests.ts).
  const now = deps.clock().toISOString();
  await deps.requests.update(request.requestId, (r) =>
    r.waitingSince && r.status !== 'received'
      ? undefined
      : {
          ...r,
          waitingSince: r.waitingSince ?? now,
          ...(r.status === 'received' ? { status: 'verifying' as const } : {}),
        },
  );
  await deps.audit.append(request.requestId, {
    eventId: 'verification-requested:requester',
    type: 'verification-requested',
    actor: { kind: 'system' },
    data: { channel: 'email', who: 'third-party' },
  });
}

/**
 * Who proves control of the contact on file (R7): the patron; a guardian through their own email,
 * never the child's (R11); a donor without a card through the email their donation record holds (R20).
 */
async function personToVerify(
  deps: Pick<Deps, 'people' | 'records'>,
  request: RequestRecord,
): Promise<{ id: string; email?: string | undefined }> {
  const donorId = donorIdOf(request);
  if (donorId !== undefined) {
    const donor = await deps.records.getDonor(donorId);
    if (!donor) throw new IntegrityError('the matched donor is gone');
    return { id: donor.id, email: donor.email };
  }
  const verifiedId = requesterPatronIdOf(request) ?? request.patronId;
  if (!verifiedId) throw new IntegrityError('verification needs a matched patron');
  const patron = await deps.people.getPatron(verifiedId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  return patron;
}
