import * as z from './zod.ts';
import { lazy } from './lazy.ts';

/**
 * The dataset file (CONTRACT.md): the library's records as an ILS export gives them.
 * Every shape here is a boundary: the file is parsed whole before anything is loaded. Each is
 * built on first use, not at import: most functions never parse a dataset (cold start).
 */
const isoDate = lazy(() => z.iso.date());
const isoDateTime = lazy(() => z.iso.datetime({ offset: true }));
const id = lazy(() =>
  z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _ . : - only')),
);
const shortText = lazy(() => z.string().check(z.minLength(1), z.maxLength(500)));

import { STAFF_ROLES, type StaffRole } from './staff.ts';

export { STAFF_ROLES, type StaffRole };

export const staffSchema = lazy(() =>
  z.strictObject({
    email: z.email(),
    name: shortText(),
    roles: z.array(z.enum(STAFF_ROLES)).check(z.minLength(1)),
  }),
);

export const addressSchema = lazy(() =>
  z.strictObject({
    street: shortText(),
    city: shortText(),
    state: z.string().check(z.minLength(2), z.maxLength(32)),
    postalCode: z.string().check(z.minLength(3), z.maxLength(16)),
  }),
);

export const patronSchema = lazy(() =>
  z.strictObject({
    id: id(),
    cardNumber: z.string().check(z.regex(/^[0-9]{6,20}$/, 'a card number is 6 to 20 digits')),
    firstName: shortText(),
    lastName: shortText(),
    dateOfBirth: isoDate(),
    email: z.optional(z.email()),
    phone: z.optional(z.string().check(z.regex(/^\+?[0-9 ()-]{7,20}$/))),
    address: z.optional(addressSchema()),
    guarantorIds: z._default(z.array(id()), []),
    username: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    passwordHash: z.optional(z.string().check(z.maxLength(512))),
    securityQuestions: z._default(
      z.array(z.strictObject({ question: shortText(), answerHash: z.string().check(z.maxLength(512)) })),
      [],
    ),
    paymentMethods: z._default(
      z.array(
        z.strictObject({
          type: z.string().check(z.minLength(1), z.maxLength(32)),
          last4: z.string().check(z.regex(/^[0-9]{4}$/)),
        }),
      ),
      [],
    ),
    linkedAccounts: z._default(z.array(z.strictObject({ service: shortText(), externalId: shortText() })), []),
    enrolledOn: z.optional(isoDate()),
    expiresOn: z.optional(isoDate()),
  }),
);

const owned = lazy(() => ({ id: id(), patronId: id() }));

export const loanSchema = lazy(() =>
  z.strictObject({
    ...owned(),
    itemId: id(),
    title: shortText(),
    branch: z.optional(z.string().check(z.maxLength(100))),
    checkedOutAt: isoDateTime(),
    dueAt: isoDateTime(),
    returnedAt: z._default(z.nullable(isoDateTime()), null),
  }),
);

export const holdSchema = lazy(() =>
  z.strictObject({
    ...owned(),
    title: shortText(),
    placedAt: isoDateTime(),
    status: z.enum(['waiting', 'ready', 'fulfilled', 'cancelled']),
  }),
);

export const fineSchema = lazy(() =>
  z.strictObject({
    ...owned(),
    amount: z.number().check(z.nonnegative(), z.lte(1e6)),
    outstanding: z.number().check(z.nonnegative(), z.lte(1e6)),
    reason: shortText(),
    createdAt: isoDateTime(),
  }),
);

export const programSchema = lazy(() =>
  z.strictObject({
    ...owned(),
    title: shortText(),
    date: z.union([isoDate(), isoDateTime()]),
    attended: z.boolean(),
  }),
);

export const donationSchema = lazy(() =>
  z.strictObject({
    ...owned(),
    amount: z.number().check(z.positive(), z.lte(1e9)),
    date: isoDate(),
    campaign: z.optional(z.string().check(z.maxLength(200))),
  }),
);

/**
 * R20: a donor without a library card, as the fundraising records give them: the email their
 * donation record holds is how they ask to stop outreach (CONTRACT.md `outreach-opt-out`).
 * Optional in the file: a dataset without donors loads as before.
 */
export const donorSchema = lazy(() =>
  z.strictObject({
    id: id(),
    email: z.email().check(z.maxLength(254)),
    name: z.optional(shortText()),
    /** The newest gift, for the accounting period (R8, R16): a date, never an amount or campaign here. */
    lastGiftOn: z.optional(isoDate()),
  }),
);

export const sharedContentSchema = lazy(() =>
  z.strictObject({
    ...owned(),
    kind: z.enum(['review', 'list', 'recommendation']),
    title: shortText(),
    text: z.string().check(z.maxLength(20_000)),
    createdAt: isoDateTime(),
  }),
);

export const datasetSchema = z.lazy(() =>
  z
    .strictObject({
      library: z.strictObject({ name: shortText(), timezone: z.string().check(z.minLength(1), z.maxLength(64)) }),
      staff: z.array(staffSchema()).check(z.minLength(1)),
      patrons: z.array(patronSchema()),
      loans: z._default(z.array(loanSchema()), []),
      holds: z._default(z.array(holdSchema()), []),
      fines: z._default(z.array(fineSchema()), []),
      programs: z._default(z.array(programSchema()), []),
      donations: z._default(z.array(donationSchema()), []),
      sharedContent: z._default(z.array(sharedContentSchema()), []),
      donors: z._default(z.array(donorSchema()), []),
    })
    .check(
      z.superRefine((d, ctx) => {
        const seen = (values: string[], path: (i: number) => (string | number)[], what: string) => {
          const first = new Map<string, number>();
          values.forEach((v, i) => {
            if (first.has(v)) ctx.addIssue({ code: 'custom', path: path(i), message: `duplicate ${what}` });
            else first.set(v, i);
          });
        };
        seen(
          d.patrons.map((p) => p.id),
          (i) => ['patrons', i, 'id'],
          'patron id',
        );
        seen(
          d.patrons.map((p) => p.cardNumber),
          (i) => ['patrons', i, 'cardNumber'],
          'card number',
        );
        seen(
          d.staff.map((s) => s.email.toLowerCase()),
          (i) => ['staff', i, 'email'],
          'staff email',
        );
        seen(
          d.donors.map((x) => x.id),
          (i) => ['donors', i, 'id'],
          'donor id',
        );
        // R20: a donor is matched by email alone, so two donors with one address could not be told apart.
        seen(
          d.donors.map((x) => x.email.toLowerCase()),
          (i) => ['donors', i, 'email'],
          'donor email',
        );
        const patronIds = new Set(d.patrons.map((p) => p.id));
        d.patrons.forEach((p, i) =>
          p.guarantorIds.forEach((g, j) => {
            if (!patronIds.has(g))
              ctx.addIssue({ code: 'custom', path: ['patrons', i, 'guarantorIds', j], message: 'unknown patron' });
            if (g === p.id)
              ctx.addIssue({
                code: 'custom',
                path: ['patrons', i, 'guarantorIds', j],
                message: 'a patron cannot guarantee their own card',
              });
          }),
        );
        for (const key of ['loans', 'holds', 'fines', 'programs', 'donations', 'sharedContent'] as const) {
          d[key].forEach((r, i) => {
            if (!patronIds.has(r.patronId))
              ctx.addIssue({ code: 'custom', path: [key, i, 'patronId'], message: 'unknown patron' });
          });
          seen(
            d[key].map((r) => r.id),
            (i) => [key, i, 'id'],
            `${key} id`,
          );
        }
        // Deletion keeps payments while money is outstanding (R8); a balance above the fine is an export error.
        d.fines.forEach((f, i) => {
          if (f.outstanding > f.amount)
            ctx.addIssue({
              code: 'custom',
              path: ['fines', i, 'outstanding'],
              message: 'outstanding exceeds the amount',
            });
        });
      }),
    ),
);

export type Dataset = z.infer<typeof datasetSchema>;
export type StaffMember = z.infer<ReturnType<typeof staffSchema>>;
export type Patron = z.infer<ReturnType<typeof patronSchema>>;
export type Loan = z.infer<ReturnType<typeof loanSchema>>;
export type Hold = z.infer<ReturnType<typeof holdSchema>>;
export type Fine = z.infer<ReturnType<typeof fineSchema>>;
export type Program = z.infer<ReturnType<typeof programSchema>>;
export type Donation = z.infer<ReturnType<typeof donationSchema>>;
export type SharedContent = z.infer<ReturnType<typeof sharedContentSchema>>;
export type Donor = z.infer<ReturnType<typeof donorSchema>>;

/** Each kind of record the library-records source holds (functions/adapters/dynamodb/keys.ts RECORD_KINDS), by its type. */
export interface RecordTypes {
  LOAN: Loan;
  HOLD: Hold;
  FINE: Fine;
  PROGRAM: Program;
  DONATION: Donation;
  SHARED: SharedContent;
}

/** A patron's records of every kind, read whole (reports and packages of bounded size). */
export interface PatronRecords {
  loans: Loan[];
  holds: Hold[];
  fines: Fine[];
  programs: Program[];
  donations: Donation[];
  sharedContent: SharedContent[];
}
