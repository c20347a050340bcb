import type { PostalAddress, SystemRecord } from '../port.ts';
import type { KohaPatron } from './schemas.ts';
import type * as z from '../../domain/zod.ts';
import type { kohaAccountLineListSchema, kohaCheckoutListSchema, kohaHoldListSchema } from './schemas.ts';

type Checkout = z.infer<typeof kohaCheckoutListSchema>[number];
type Hold = z.infer<typeof kohaHoldListSchema>[number];
type AccountLine = z.infer<typeof kohaAccountLineListSchema>[number];

const orNull = (s: string | null | undefined): string | null => (s === undefined || s === '' ? null : s);

function addressOf(p: KohaPatron): PostalAddress | null {
  const street = [[p.street_number, p.address].filter(Boolean).join(' '), p.address2].filter(Boolean).join(', ');
  if (!street && !p.city && !p.postal_code) return null;
  return { street, city: p.city ?? '', state: p.state ?? '', postalCode: p.postal_code ?? '' };
}

/** The `personal` category: who the patron is and how to reach them. */
export const profileRecord = (p: KohaPatron): SystemRecord => ({
  type: 'profile',
  id: String(p.patron_id),
  cardNumber: orNull(p.cardnumber),
  firstName: orNull(p.firstname),
  lastName: orNull(p.surname),
  dateOfBirth: orNull(p.date_of_birth),
  email: orNull(p.email),
  phone: orNull(p.phone) ?? orNull(p.mobile),
  address: addressOf(p),
  enrolledOn: orNull(p.date_enrolled),
  expiresOn: orNull(p.expiry_date),
});

export const loanRecord = (c: Checkout): SystemRecord => ({
  type: 'loan',
  id: String(c.checkout_id),
  itemId: c.item_id == null ? null : String(c.item_id),
  branch: orNull(c.library_id),
  checkedOutAt: orNull(c.checkout_date),
  dueAt: orNull(c.due_date),
  returnedAt: orNull(c.checkin_date),
});

export const holdRecord = (h: Hold): SystemRecord => ({
  type: 'hold',
  id: String(h.hold_id),
  titleId: h.biblio_id == null ? null : String(h.biblio_id),
  placedAt: orNull(h.hold_date),
  status: orNull(h.status),
});

export const accountLineRecord =
  (direction: 'debit' | 'credit') =>
  (l: AccountLine, index: number): SystemRecord => ({
    type: 'account-line',
    id: l.account_line_id == null ? `${direction}-${index}` : String(l.account_line_id),
    direction,
    lineType: orNull(l.type),
    description: orNull(l.description),
    amount: l.amount,
    outstanding: l.amount_outstanding ?? 0,
    createdAt: orNull(l.date),
  });
