import type { Donation, Fine, Hold, Loan, Patron, Program, SharedContent } from '../../domain/dataset.ts';
import type { SystemRecord } from '../port.ts';

/**
 * The records table's items in the port's system-neutral shape (R19), one mapper per kind, the
 * way koha/records.ts maps Koha's answers. Field names are the dataset's (CONTRACT.md).
 */

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

/** `personal`: the profile, then the payment methods (type and last four only) and linked accounts. */
export function personalRecords(p: Patron): SystemRecord[] {
  return [
    {
      type: 'profile',
      id: p.id,
      cardNumber: p.cardNumber,
      firstName: p.firstName,
      lastName: p.lastName,
      dateOfBirth: p.dateOfBirth,
      email: orNull(p.email),
      phone: orNull(p.phone),
      address: p.address ? { ...p.address } : null,
      enrolledOn: orNull(p.enrolledOn),
      expiresOn: orNull(p.expiresOn),
    },
    ...(p.paymentMethods ?? []).map((m, i): SystemRecord => ({
      type: 'payment-method',
      id: `${p.id}-pm-${i}`,
      methodType: m.type,
      last4: m.last4,
    })),
    ...(p.linkedAccounts ?? []).map((l, i): SystemRecord => ({
      type: 'linked-account',
      id: `${p.id}-la-${i}`,
      service: l.service,
      externalId: l.externalId,
    })),
  ];
}

/** `credentials`: the username, and only whether secrets are set: never a hash or an answer (POLICY.md). */
export function credentialRecords(p: Patron): SystemRecord[] {
  const questions = (p.securityQuestions ?? []).length;
  const out: SystemRecord[] = [];
  if (p.username) out.push({ type: 'username', id: p.id, username: p.username });
  if (p.passwordHash || questions > 0)
    out.push({ type: 'login-secrets', id: p.id, passwordSet: Boolean(p.passwordHash), securityQuestions: questions });
  return out;
}

export const loanRecord = (l: Loan): SystemRecord => ({
  type: 'loan',
  id: l.id,
  itemId: l.itemId,
  branch: orNull(l.branch),
  checkedOutAt: l.checkedOutAt,
  dueAt: l.dueAt,
  returnedAt: orNull(l.returnedAt),
  title: l.title,
});

export const holdRecord = (h: Hold): SystemRecord => ({
  type: 'hold',
  id: h.id,
  titleId: null,
  placedAt: h.placedAt,
  status: h.status,
  title: h.title,
});

export const programRecord = (p: Program): SystemRecord => ({
  type: 'program',
  id: p.id,
  title: p.title,
  date: p.date,
  attended: p.attended,
});

/** A fine is the table's only account line: a debit whose description is the reason given for it. */
export const fineRecord = (f: Fine): SystemRecord => ({
  type: 'account-line',
  id: f.id,
  direction: 'debit',
  lineType: 'fine',
  description: f.reason,
  amount: f.amount,
  outstanding: f.outstanding,
  createdAt: f.createdAt,
});

export const donationRecord = (d: Donation): SystemRecord => ({
  type: 'donation',
  id: d.id,
  amount: d.amount,
  date: d.date,
  campaign: orNull(d.campaign),
});

export const sharedContentRecord = (s: SharedContent): SystemRecord => ({
  type: 'shared-content',
  id: s.id,
  contentKind: s.kind,
  title: s.title,
  text: s.text,
  createdAt: s.createdAt,
});
