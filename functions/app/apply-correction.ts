import { systemName } from '../domain/systems.ts';
import type { AuditEvent } from '../domain/audit.ts';
import { withoutChanges, type CorrectionChanges, type RequestOf } from '../domain/request.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isNewPhone } from '../domain/phone.ts';
import type { Patron } from '../domain/dataset.ts';
import type { Deps } from '../lib/deps.ts';
import { correctionAppliedEmail, emailReplacedEmail } from '../render/emails.ts';
import { maskEmail } from '../domain/correction.ts';
import { sameAddress } from '../domain/own-channel.ts';
import { sendPatronLink } from './ask-person.ts';
import { ownAddressee } from './own-channel.ts';
import { sendOnce } from './send-once.ts';

const FIELD_NAMES: Record<string, string> = {
  firstName: 'first name',
  lastName: 'last name',
  email: 'email',
  phone: 'phone',
  address: 'address',
  dateOfBirth: 'date of birth',
  username: 'username',
};

/**
 * R6: a change that had to be confirmed is written nowhere until it was. The prepare step recorded
 * what needed confirming; a new phone number (the desk called it), a new email (its owner clicked)
 * or a change that needs staff approval (name, address, date of birth, username) without its confirmation
 * or approval is refused, whichever step asks, before any system is written. The number on file
 * is compared too, as defence in depth against a missing prepare event.
 */
export function assertCorrectionConfirmed(
  events: readonly Pick<AuditEvent, 'type' | 'data'>[],
  request: Pick<RequestOf<'correction'>, 'decisions'>,
  changes: CorrectionChanges,
  patron: Pick<Patron, 'phone'>,
): void {
  const prepared = events.find((e) => e.type === 'correction-prepared')?.data ?? {};
  const needsPhone =
    prepared.confirmPhone === true || (changes.phone !== undefined && isNewPhone(changes.phone, patron.phone));
  if (changes.phone !== undefined && needsPhone && !events.some((e) => e.type === 'phone-confirmed'))
    throw new IntegrityError('a new phone number was not confirmed');
  if (prepared.confirmEmail === true && !events.some((e) => e.type === 'new-email-confirmed'))
    throw new IntegrityError('a new email address was not confirmed');
  const approved = (request.decisions ?? []).some((d) => d.step === 'correction' && d.decision === 'approve');
  if (prepared.needsApproval === true && !approved) throw new IntegrityError('the correction was not approved');
}

/**
 * R6, R19: called by each system's step before it writes: the confirmation check above, and the
 * email on file kept aside once (before the system of record changes it), so the notice can reach
 * the old address as well as the new. Idempotent: a retried step finds it kept.
 */
export async function beforeCorrecting(deps: Deps, request: RequestOf<'correction'>): Promise<CorrectionChanges> {
  const changes = request.changes;
  if (!changes || !request.patronId) throw new IntegrityError('a correction without its changes or its patron');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  assertCorrectionConfirmed(await deps.audit.list(request.requestId), request, changes, patron);
  const onFile = patron.email;
  if (changes.email !== undefined && onFile && request.previousEmail === undefined)
    await deps.requests.update(request.requestId, (r) =>
      r.kind !== 'correction' || r.previousEmail !== undefined ? undefined : { ...r, previousEmail: onFile },
    );
  return changes;
}

/**
 * R6, R19: finishes a correction once every system has answered (the workflow's fan-out made the
 * change in each system that holds the data): tells the patron at the old and the new address
 * which details changed and in which systems, audits which fields changed (never their values),
 * and erases the requested values from the request (R16). It writes no system itself.
 * Idempotent through the audit event.
 */
export async function applyCorrection(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'correction-applied')) return;
  const request = await deps.requests.getOf(requestId, 'correction');
  const changes = request.changes;
  if (!changes || !request.patronId) throw new IntegrityError('nothing to apply');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  // R6, defence in depth: nothing is confirmed as applied that needed a confirmation it did not get.
  assertCorrectionConfirmed(events, request, changes, patron);
  const fields = Object.keys(changes);
  const corrected = await correctedSystems(deps, requestId);

  const library = await deps.records.library();
  const applied = correctionAppliedEmail({
    library: library.name,
    fields: fields.map((f) => FIELD_NAMES[f] ?? f),
    systems: corrected,
  });
  const previous = request.previousEmail;
  const replaced = changes.email !== undefined && previous !== undefined && !sameAddress(previous, changes.email);
  // R6: the address now on file is told; the old address, when an email was replaced, gets its
  // own, separate notice with a link to undo it: never one email to both (neither learns the other).
  // R7, R10: an unchanged address the person shares with a guarantor is not theirs to be told through.
  const current = changes.email ?? (await ownAddressee(deps, patron)).email;
  // Faults: keyed, so a retry after the notice went out (its audit write failed) does not send it again.
  if (current) await sendOnce(deps, { requestId, purpose: 'correction-applied' }, { to: [current], ...applied });
  if (replaced)
    await sendPatronLink(deps, {
      requestId,
      patronId: patron.id,
      to: previous,
      token: {
        purpose: 'undo-email-change',
        decisions: ['undo'],
        step: 'undo-email-change',
        ttlSeconds: Math.round(deps.policy.verification.linkTtlHours * 3600),
        maxAttempts: deps.policy.verification.maxAttempts,
      },
      email: (t) => emailReplacedEmail({ ...t, newEmail: maskEmail(changes.email as string) }),
    });
  await deps.audit.append(requestId, {
    eventId: 'correction-applied',
    type: 'correction-applied',
    actor: { kind: 'system' },
    data: { fields },
  });
  // R6: the old address is kept while its undo link can still be used; the rest goes (R16).
  await deps.requests.update(requestId, (r) => {
    const rest = withoutChanges(r);
    return replaced && r.kind === 'correction' && rest.kind === 'correction'
      ? { ...rest, previousEmail: previous }
      : rest;
  });
}

/** R19: the names of the systems that made the correction, from the per-system results. */
async function correctedSystems(deps: Pick<Deps, 'systemResults' | 'systems'>, requestId: string): Promise<string[]> {
  const results = await deps.systemResults.list(requestId);
  return results.filter((r) => r.state === 'done').map((r) => systemName(deps.systems, r.systemId));
}
