import { systemName } from '../domain/systems.ts';
import { withoutChanges } from '../domain/request.ts';
import { IntegrityError } from '../domain/errors.ts';
import type { Deps } from '../lib/deps.ts';
import { correctionAppliedEmail, emailReplacedEmail } from '../render/emails.ts';
import { assertCorrectionConfirmed, maskEmail } from '../domain/correction.ts';
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
