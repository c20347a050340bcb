import { withoutChanges } from '../domain/request.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isNewPhone } from '../domain/phone.ts';
import type { Deps } from '../lib/deps.ts';
import { correctionAppliedEmail } from '../render/emails.ts';

const FIELD_NAMES: Record<string, string> = {
  firstName: 'first name',
  lastName: 'last name',
  email: 'email',
  phone: 'phone',
  address: 'address',
  dateOfBirth: 'date of birth',
};

/**
 * R6: applies the approved and confirmed changes to the records source, tells the patron at the
 * old and the new address, audits which fields changed (never their values), and erases the
 * requested values from the request (R16). Idempotent through the audit event.
 */
export async function applyCorrection(deps: Deps, requestId: string): Promise<void> {
  const events = await deps.audit.list(requestId);
  if (events.some((e) => e.eventId === 'correction-applied')) return;
  const request = await deps.requests.getOf(requestId, 'correction');
  const changes = request.changes;
  if (!changes || !request.patronId) throw new IntegrityError('nothing to apply');
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) throw new IntegrityError('the matched patron is gone');
  // R6, defence in depth: a new phone number is applied only after the desk confirmed it by calling it.
  if (
    changes.phone !== undefined &&
    isNewPhone(changes.phone, patron.phone) &&
    !events.some((e) => e.type === 'phone-confirmed')
  ) {
    throw new IntegrityError('a new phone number was not confirmed');
  }
  const fields = Object.keys(changes);

  await deps.records.updateProfile(patron.id, changes);
  const recipients = [...new Set([patron.email, changes.email].filter((e): e is string => Boolean(e)))];
  if (recipients.length > 0) {
    const library = await deps.records.library();
    await deps.mailer.send({
      to: recipients,
      ...correctionAppliedEmail({ library: library.name, fields: fields.map((f) => FIELD_NAMES[f] ?? f) }),
    });
  }
  await deps.audit.append(requestId, {
    eventId: 'correction-applied',
    type: 'correction-applied',
    actor: { kind: 'system' },
    data: { fields },
  });
  await deps.requests.update(requestId, withoutChanges);
}
