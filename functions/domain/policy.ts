import { z } from 'zod';
import { STAFF_ROLES } from './staff.ts';
import { CATEGORIES, type Category } from './categories.ts';

/**
 * The library's policy as one validated object. Later issues extend it (approvals, age thresholds);
 * code reads rules from here so that a library can change them without changing code.
 */
const categoryPolicySchema = z.object({
  title: z.string().min(1),
  /** R18: what the library holds in this category. */
  what: z.string().min(1),
  /** R18: why it is held. */
  why: z.string().min(1),
  /** R18: who it is shared with. */
  sharedWith: z.string().min(1),
  /** R18: how long it is kept. */
  retention: z.string().min(1),
  /** How a view or export treats the category (POLICY.md table). */
  view: z.enum(['include', 'reviewed-not-retained', 'not-linked', 'username-only']),
  correction: z.enum(['yes', 'no', 'username-only']),
  deletion: z.enum(['erase', 'anonymise', 'retain-while-outstanding', 'retain-for-period', 'delete', 'not-applicable']),
});

export type CategoryPolicy = z.infer<typeof categoryPolicySchema>;

const durationHours = z.number().positive().max(24 * 366);

/** R8: whole years; 0 means no retention period (the records are anonymised at once). */
const retentionYears = z.number().int().min(0).max(100);
const DEFAULT_RETENTION = { donationsYears: 7, paymentsYears: 7 } as const;
const retentionSchema = z.object({
  /** Donations are kept this long after the newest gift, then anonymised. */
  donationsYears: retentionYears.default(DEFAULT_RETENTION.donationsYears),
  /** Paid fines and fees are kept this long after they were created, then anonymised. */
  paymentsYears: retentionYears.default(DEFAULT_RETENTION.paymentsYears),
});

export const policySchema = z.object({
  categories: z.record(z.enum(CATEGORIES), categoryPolicySchema).refine(
    (c) => CATEGORIES.every((k) => k in c),
    { message: 'every category needs a policy' },
  ),
  verification: z.object({
    /** R7: how long a verification link works. */
    linkTtlHours: durationHours,
    /** R7: how many invalid submissions a link tolerates before it locks. */
    maxAttempts: z.number().int().min(1).max(10),
  }),
  downloads: z.object({
    /** R8a: how long a report or export link works before the file is deleted. */
    linkTtlHours: durationHours,
  }),
  approvals: z.object({
    /** How long a staff decision link works before the decision lapses. */
    linkTtlHours: durationHours,
    /** When a pending decision gets a reminder with a fresh link. */
    remindAfterHours: durationHours,
    /** Lapsed rounds before the request is closed as expired; each lapse alerts the privacy officer. */
    maxRounds: z.number().int().min(1).max(10),
    /** Which staff role decides each step. */
    roles: z.record(z.string(), z.enum(STAFF_ROLES)),
  }),
  deadlines: z.object({
    /** R15: days from receipt to the due date, per request kind. */
    defaultDays: z.number().int().positive().max(365),
    byKind: z.record(z.string(), z.number().int().positive().max(365)).default({}),
  }),
  /** R8: how long records are kept for the accounting period after a deletion request (deletion-plan.ts). */
  retention: retentionSchema.default(DEFAULT_RETENTION),
});

export type Policy = z.infer<typeof policySchema>;

export const defaultPolicy: Policy = policySchema.parse({
  categories: {
    personal: {
      title: 'Personal information',
      what: 'Your name, address, email, phone, library card number, date of birth, payment details and linked accounts.',
      why: 'To issue your card, reach you about your account and provide access to library and digital services.',
      sharedWith: 'Library staff as their duties need; service providers only to confirm you are a cardholder.',
      retention: 'While your card is active, then as library guidelines require.',
      view: 'include',
      correction: 'yes',
      deletion: 'erase',
    },
    residency: {
      title: 'Residency or employment proof',
      what: 'A document proving where you live or work.',
      why: 'To confirm you are eligible for a card.',
      sharedWith: 'No one.',
      retention: 'Reviewed, not retained: the library records only who checked it, when and how.',
      view: 'reviewed-not-retained',
      correction: 'no',
      deletion: 'not-applicable',
    },
    credentials: {
      title: 'Login credentials',
      what: 'Your username, password and security questions. Passwords and answers are stored only as one-way hashes and are never shown.',
      why: 'To let you sign in to your online account.',
      sharedWith: 'No one.',
      retention: 'While your online account exists.',
      view: 'username-only',
      correction: 'username-only',
      deletion: 'erase',
    },
    'library-records': {
      title: 'Library records',
      what: 'Your loans, holds, and program and event participation.',
      why: 'To lend materials, manage holds and run programs.',
      sharedWith: 'No one outside the library, except under a court order or with your written permission.',
      retention: 'As long as needed for the transaction; afterwards only de-identified statistics are kept.',
      view: 'include',
      correction: 'no',
      deletion: 'anonymise',
    },
    payments: {
      title: 'Fines, fees and payments',
      what: 'Fines, fees and payments on your account.',
      why: 'To manage what is owed to the library.',
      sharedWith: 'No one outside the library.',
      retention: 'While anything is outstanding and for the accounting period; then anonymised.',
      view: 'include',
      correction: 'no',
      deletion: 'retain-while-outstanding',
    },
    donations: {
      title: 'Donations',
      what: 'Gifts you have made to the library.',
      why: 'To account for gifts and thank donors.',
      sharedWith: 'No one; the library never sells or shares donor information.',
      retention: 'For the accounting period, then anonymised.',
      view: 'include',
      correction: 'no',
      deletion: 'retain-for-period',
    },
    'shared-content': {
      title: 'Shared content',
      what: 'Reviews, lists and recommendations you chose to make public.',
      why: 'To publish what you chose to share.',
      sharedWith: 'The public, because you chose to publish it.',
      retention: 'Until you delete it.',
      view: 'include',
      correction: 'no',
      deletion: 'delete',
    },
    automatic: {
      title: 'Automatically collected data',
      what: 'Network logs, device data, cookies, pages viewed and searches.',
      why: 'To run and secure the library website and improve services.',
      sharedWith: 'No one.',
      retention: 'Stored without identity: it is not linked to you.',
      view: 'not-linked',
      correction: 'no',
      deletion: 'not-applicable',
    },
  } satisfies Record<Category, CategoryPolicy>,
  verification: { linkTtlHours: 72, maxAttempts: 3 },
  downloads: { linkTtlHours: 24 * 7 },
  approvals: {
    linkTtlHours: 24 * 7,
    remindAfterHours: 48,
    maxRounds: 3,
    roles: { correction: 'privacy-officer', 'deletion-plan': 'privacy-officer', 'guardian-access': 'privacy-officer', 'third-party': 'privacy-officer' },
  },
  deadlines: { defaultDays: 30, byKind: {} },
  retention: { donationsYears: 7, paymentsYears: 7 },
});
