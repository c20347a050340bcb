import type { AuditEvent } from './audit.ts';
import type { Patron } from './dataset.ts';
import { IntegrityError } from './errors.ts';
import { sameAddress } from './own-channel.ts';
import { isNewPhone } from './phone.ts';
import type { CorrectionChanges, RequestOf } from './request.ts';

/**
 * R6: what a correction needs before any system is written, and whether it has it. Pure: the
 * changes asked for, the contact details on file, and what the trail and the decisions recorded.
 */

/** The fields whose change needs staff approval (a document may be looked at, never kept, R4). */
const NEEDS_APPROVAL = ['firstName', 'lastName', 'address', 'dateOfBirth', 'username'] as const;

export interface CorrectionNeeds {
  /** A new email address, confirmed through itself. */
  confirmEmail: boolean;
  /** A new phone number, confirmed by the desk calling it. */
  confirmPhone: boolean;
  /** Staff approval. */
  needsApproval: boolean;
}

export function correctionNeeds(changes: CorrectionChanges, onFile: Pick<Patron, 'email' | 'phone'>): CorrectionNeeds {
  const confirmEmail = changes.email !== undefined && !sameAddress(changes.email, onFile.email ?? '');
  return {
    confirmEmail,
    // The same number in another format is not a new number, so there is nothing to call.
    confirmPhone: changes.phone !== undefined && isNewPhone(changes.phone, onFile.phone),
    // R6: replacing an existing email takes effect only after staff approval: one click on the
    // old address and a confirmation from the new one (which anyone can own) are not enough.
    needsApproval: NEEDS_APPROVAL.some((f) => changes[f] !== undefined) || (confirmEmail && Boolean(onFile.email)),
  };
}

/** One line of "what will change": the field's name, the value on file and the value asked for. */
export interface ChangeLine {
  field: string;
  from: string;
  to: string;
}

/** How each correctable field is named to people (confirmations and the staff approval page). */
export const FIELD_NAMES: Record<keyof CorrectionChanges, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  email: 'Email',
  phone: 'Phone',
  address: 'Address',
  dateOfBirth: 'Date of birth',
  username: 'Username',
};

const addressText = (a: Patron['address'] | undefined): string =>
  a ? `${a.street}, ${a.city}, ${a.state} ${a.postalCode}` : '';

/** R6: every confirmation shows exactly what will change, field by field, from the record to the request. */
export function changeLines(changes: CorrectionChanges, patron: Patron): ChangeLine[] {
  const lines: ChangeLine[] = [];
  for (const field of Object.keys(FIELD_NAMES) as (keyof CorrectionChanges)[]) {
    const to = changes[field];
    if (to === undefined) continue;
    const from = field === 'address' ? addressText(patron.address) : ((patron[field] as string | undefined) ?? '');
    lines.push({
      field: FIELD_NAMES[field],
      from,
      to: typeof to === 'string' ? to : addressText(to),
    });
  }
  return lines;
}

/** An address shown to someone who has not proved it is theirs: the first letter and the domain. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '…';
  return `${email[0]}…${email.slice(at)}`;
}

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
