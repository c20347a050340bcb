/**
 * The body of Koha's `PUT /patrons/{id}` (paths/patrons.yaml: a whole `patron`, `surname`,
 * `library_id` and `category_id` required; there is no PATCH): the patron as read, with changes.
 */
import type { CorrectionChanges } from '../../domain/request.ts';
import type { PreferenceChange } from '../port.ts';
import type { KohaPatron } from './schemas.ts';

/** Koha's `privacy` field: 0 keeps checkout history for ever, 1 follows the library's default, 2 keeps none. */
const PRIVACY = { keep: 0, default: 1, forget: 2 } as const;

/**
 * Fields not sent back: read-only in the spec (`restricted`, `anonymized`), embeds (`library`,
 * counts, balance), and what Koha maintains itself.
 */
const NOT_WRITABLE = [
  'patron_id',
  'restricted',
  'anonymized',
  'updated_on',
  'last_seen',
  'extended_attributes',
  'checkouts_count',
  'overdues_count',
  'account_balance',
  'library',
  '_strings',
];

export type PatronUpdate = Record<string, unknown>;

/** R6: the corrected fields, in Koha's names. */
export function correctionUpdate(changes: CorrectionChanges): PatronUpdate {
  const update: PatronUpdate = {};
  if (changes.firstName !== undefined) update.firstname = changes.firstName;
  if (changes.lastName !== undefined) update.surname = changes.lastName;
  if (changes.email !== undefined) update.email = changes.email;
  if (changes.phone !== undefined) update.phone = changes.phone;
  if (changes.dateOfBirth !== undefined) update.date_of_birth = changes.dateOfBirth;
  // The spec's patron (the PUT body) has a writable `userid`, the patron's login.
  if (changes.username !== undefined) update.userid = changes.username;
  if (changes.address !== undefined) {
    // The whole street goes in `address`; the old number, type and second line must not survive beside it.
    const { street, city, state, postalCode } = changes.address;
    Object.assign(update, { street_number: null, street_type: null, address: street, address2: null });
    Object.assign(update, { city, state, postal_code: postalCode });
  }
  return update;
}

export const readingHistoryUpdate = (choice: NonNullable<PreferenceChange['readingHistory']>): PatronUpdate => ({
  privacy: PRIVACY[choice],
});

export function patronPutBody(current: KohaPatron, update: PatronUpdate): PatronUpdate {
  const body: PatronUpdate = { ...current, ...update };
  for (const key of NOT_WRITABLE) delete body[key];
  return body;
}
