import { IntegrityError } from '../domain/errors.ts';
import { isTerminal } from '../domain/request.ts';
import type { Deps } from '../lib/deps.ts';
import { consentCategories, personName } from '../render/consent-pages.ts';
import { guardianConsentEmail, inPersonConsentEmail, thirdPartyConsentEmail } from '../render/consent-emails.ts';
import { askPersonOrDesk } from './ask-person.ts';
import { ownAddressee, type OwnAddressee } from './own-channel.ts';
import { guardianAgeBand } from '../domain/minors.ts';
import type { Patron } from '../domain/dataset.ts';

/**
 * The reusable consent step (R10, R14): starts it and answers whether it asked; the workflow
 * waits for the callback. The data subject (the child of a guardian request, the patron of a
 * third-party request) is asked through their own email on file, never through the guardian or
 * the third party; with no email on file, desk staff get an in-person consent task and record the
 * answer, named. The link expires after the policy's `consent.linkTtlHours`; the deadline sweep
 * then fails the step with LinkExpired, which the workflow treats as "no".
 *
 * A third-party request whose card and name matched no patron waits here exactly like a patron
 * who never answers: a link is made and its secret thrown away, so the same deadline passes and
 * the same denial follows. Nothing tells the requester who is a patron (CONTRACT.md).
 */
export async function requestConsent(deps: Deps, o: { requestId: string; taskToken: string }): Promise<boolean> {
  const { requestId, taskToken } = o;
  const request = await deps.requests.get(requestId);
  if (isTerminal(request.status)) return false;
  const token = {
    step: 'consent',
    ttlSeconds: Math.round(deps.policy.consent.linkTtlHours * 3600),
    maxAttempts: deps.policy.verification.maxAttempts,
    taskToken,
  };
  let channel: 'email' | 'in-person' | 'none';
  let shared = false;
  // First, and the same for every channel, matched or not: outside, a consent step looks like any other.
  // R15: from here the request waits on the person asked, and its clock pauses.
  const now = deps.clock().toISOString();
  await deps.requests.update(requestId, (r) =>
    isTerminal(r.status) || r.status === 'awaiting-consent'
      ? undefined
      : { ...r, status: 'awaiting-consent', waitingSince: r.waitingSince ?? now },
  );

  if (!request.patronId) {
    if (request.kind !== 'third-party') throw new IntegrityError('consent needs a matched patron');
    // No leak: a link nobody holds (only its hash is stored), offering no decision, expiring like a real one.
    await deps.tokens.issue({
      ...token,
      purpose: 'consent',
      requestId,
      recipient: { kind: 'patron', id: 'unmatched' },
      decisions: [],
    });
    channel = 'none';
  } else {
    const patron = await deps.people.getPatron(request.patronId);
    if (!patron) throw new IntegrityError('the matched patron is gone');
    const categories = consentCategories(request, deps.policy).map((c) => deps.policy.categories[c].title);
    const tp = request.kind === 'third-party' ? request.thirdParty : undefined;
    const guardian =
      request.kind === 'guardian-access' && request.requesterPatronId
        ? await deps.people.getPatron(request.requesterPatronId)
        : undefined;
    if (request.kind === 'guardian-access' && !guardian) throw new IntegrityError('the guardian is gone');
    // R7, R10: the subject's own email on file, never the guardian's or the third party's: an inbox
    // the guardian who asked or any guarantor of the card shares is not the subject's, and the desk asks instead.
    let person = await ownAddressee(deps, patron, [guardian?.email]);
    const forChild = request.kind === 'third-party' && (await underConsentAge(deps, patron, request.createdAt));
    if (forChild) {
      // R14: a child under 13 cannot give this permission alone: a guardian on the card gives it,
      // through the guardian's own email on file, or in person at the desk when none has one.
      person = await guardianToAsk(deps, patron);
      await deps.requests.update(requestId, (r) =>
        r.kind !== 'third-party' || !r.thirdParty || r.thirdParty.permissionBy === 'guardian'
          ? undefined
          : { ...r, thirdParty: { ...r.thirdParty, permissionBy: 'guardian' } },
      );
    }
    shared = person.shared;
    channel = await askPersonOrDesk(deps, {
      requestId,
      person,
      token,
      byEmail: {
        purpose: 'consent',
        decisions: ['consent', 'decline'],
        email: (t) =>
          request.kind === 'third-party'
            ? thirdPartyConsentEmail({
                ...t,
                requester: {
                  name: tp?.name ?? '',
                  email: tp?.email ?? '',
                  ...(tp?.organization ? { organization: tp.organization } : {}),
                },
                categories,
                forChild,
              })
            : guardianConsentEmail({ ...t, categories, guardian: personName(guardian) }),
      },
      atDesk: {
        purpose: 'consent',
        decisions: ['consent', 'decline'],
        why: 'ask in person',
        email: (t) =>
          inPersonConsentEmail({
            ...t,
            requestId,
            guardian: request.kind === 'guardian-access',
            sharedInbox: shared,
            forChild,
          }),
      },
    });
  }
  await deps.audit.append(requestId, {
    eventId: 'consent-requested',
    type: 'consent-requested',
    actor: { kind: 'system' },
    // R10: why the desk asks, when the subject has an email that is not theirs alone (an enum, R5).
    data: { channel, ...(shared ? { reason: 'shared-inbox' } : {}) },
  });
  return true;
}

/** R14: the card holder is under the consent age (13 by default) on the day the request was made. */
async function underConsentAge(deps: Deps, patron: Patron, requestedAt: string): Promise<boolean> {
  const library = await deps.records.library();
  return guardianAgeBand(patron.dateOfBirth, new Date(requestedAt), library.timezone, deps.policy.minors) === 'child';
}

/**
 * R14: the guardian who gives a young child's written permission: the first guarantor of the card
 * with an email on file, asked there; with none, the desk asks a guardian in person (the link's
 * page names the child's card, and staff check the adult is a guardian on it).
 */
async function guardianToAsk(deps: Deps, child: Patron): Promise<OwnAddressee> {
  for (const id of child.guarantorIds) {
    const guarantor = await deps.people.getPatron(id);
    if (guarantor?.email) return { id: guarantor.id, email: guarantor.email, shared: false };
  }
  return { id: child.id, email: undefined, shared: false };
}
