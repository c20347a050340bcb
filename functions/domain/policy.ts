import * as z from './zod.ts';
import { lazy } from './lazy.ts';
import { STAFF_ROLES } from './staff.ts';
import { CATEGORIES, PERIOD_CATEGORIES, type Category } from './categories.ts';

/**
 * The library's policy as one validated object. Later issues extend it (approvals, age thresholds);
 * code reads rules from here so that a library can change them without changing code.
 */
const categoryPolicySchema = lazy(() =>
  z.object({
    title: z.string().check(z.minLength(1)),
    /** R18: what the library holds in this category. */
    what: z.string().check(z.minLength(1)),
    /** R18: why it is held. */
    why: z.string().check(z.minLength(1)),
    /** R18: who it is shared with. */
    sharedWith: z.string().check(z.minLength(1)),
    /**
     * R18: how long it is kept, in words, for a category without a period of its own. The categories
     * the daily run enforces (library records, payments, donations) are printed from `retention`'s
     * numbers instead (domain/retention.ts `retentionTerms`), so these words are not used for them.
     */
    retention: z.optional(z.string().check(z.minLength(1))),
    /** How a view or export treats the category (POLICY.md table). */
    view: z.enum(['include', 'reviewed-not-retained', 'not-linked', 'username-only']),
    correction: z.enum(['yes', 'no', 'username-only']),
    deletion: z.enum([
      'erase',
      'anonymise',
      'retain-while-outstanding',
      'retain-for-period',
      'delete',
      'not-applicable',
    ]),
  }),
);

export type CategoryPolicy = z.infer<ReturnType<typeof categoryPolicySchema>>;

const durationHours = lazy(() => z.number().check(z.positive(), z.lte(24 * 366)));

/** R8: whole years; 0 means no retention period (the records are anonymised at once). */
const retentionYears = lazy(() => z.number().check(z.int(), z.gte(0), z.lte(100)));
const DEFAULT_RETENTION = {
  donationsYears: 7,
  paymentsYears: 7,
  tombstoneAfterDays: 90,
  loanHistoryDays: 365,
  holdHistoryDays: 365,
  programHistoryDays: 365,
  staffTaskEveryDays: 30,
  expiredPatronAfterDays: null,
} as const;
const historyDays = lazy(() => z.number().check(z.int(), z.gte(1), z.lte(36500)));
const retentionSchema = lazy(() =>
  z.object({
    /** R16: each gift is kept this long after its date, then anonymised (domain/retention.ts). */
    donationsYears: z._default(retentionYears(), DEFAULT_RETENTION.donationsYears),
    /** R16: each paid fine or fee is kept this long after it was charged, then anonymised; owed money is kept while owed. */
    paymentsYears: z._default(retentionYears(), DEFAULT_RETENTION.paymentsYears),
    /** R16: days after a request closes before it is reduced to a de-identified tombstone (domain/tombstone.ts). */
    tombstoneAfterDays: z._default(
      z.number().check(z.int(), z.gte(1), z.lte(3650)),
      DEFAULT_RETENTION.tombstoneAfterDays,
    ),
    /** R16: returned loans older than this many days are anonymised by the daily retention run (workflows/retention.asl.json). */
    loanHistoryDays: z._default(historyDays(), DEFAULT_RETENTION.loanHistoryDays),
    /** R16: fulfilled or cancelled holds placed longer ago than this are anonymised by the daily run (waiting and ready ones are kept). */
    holdHistoryDays: z._default(historyDays(), DEFAULT_RETENTION.holdHistoryDays),
    /** R16: program and event sign-ups are anonymised this many days after the event. */
    programHistoryDays: z._default(historyDays(), DEFAULT_RETENTION.programHistoryDays),
    /**
     * R16, R19: a system without an API (and one whose connector cannot anonymise) gets its retention
     * task once every this many days (default 30: monthly), never nightly (domain/retention.ts).
     */
    staffTaskEveryDays: z._default(
      z.number().check(z.int(), z.gte(1), z.lte(366)),
      DEFAULT_RETENTION.staffTaskEveryDays,
    ),
    /**
     * R16, R8: a patron whose card expired more than this many days ago is deleted by the nightly pass
     * in every system (app/purge-expired.ts). Off (null) by default: a deletion cannot be undone, and
     * the period is the library's own records schedule to choose; the report says which applies.
     */
    expiredPatronAfterDays: z._default(
      z.nullable(z.number().check(z.int(), z.gte(1), z.lte(36500))),
      DEFAULT_RETENTION.expiredPatronAfterDays,
    ),
  }),
);

/**
 * R9-R11: the ages that decide a guardian's request and what a guardian may see. Configuration,
 * not code (POLICY.md R11): a library changes a threshold here, never in a handler.
 */
const DEFAULT_MINORS = {
  consentFromAge: 13,
  adultAge: 18,
  guardianCategories: ['personal', 'library-records', 'payments', 'donations', 'shared-content'],
  guardianLinkTaskTtlHours: 24 * 14,
} as const;
const minorsSchema = lazy(() =>
  z
    .object({
      /** R10: from this age the child's own consent is needed (R9: below it, it is not). */
      consentFromAge: z.number().check(z.int(), z.gte(0), z.lte(30)),
      /** R11: from this age a guardian's request is refused. */
      adultAge: z.number().check(z.int(), z.gte(1), z.lte(30)),
      /** The categories a guardian may see of a child's records. */
      guardianCategories: z.array(z.enum(CATEGORIES)).check(z.minLength(1)),
      /** How long the desk task to record a guardian's link stays open (below the workflow's 23-day backstop). */
      guardianLinkTaskTtlHours: durationHours().check(z.lte(24 * 21)),
    })
    .check(
      z.refine((m) => m.consentFromAge <= m.adultAge, {
        message: 'consentFromAge cannot be above adultAge',
        path: ['consentFromAge'],
      }),
    ),
);

/** R10, R14: how long a consent link (or an in-person consent task) stays open; then the answer is "no". */
const DEFAULT_CONSENT = { linkTtlHours: 24 * 7 } as const;
const consentSchema = lazy(() => z.object({ linkTtlHours: durationHours().check(z.lte(24 * 14)) }));

/**
 * R18: the version of the library's policy this configuration puts into effect. Reports, consents and
 * letters name it, and a consent records it, so each says which promises it was made under. Default:
 * the date the seed policy was approved (seeds/library-privacy-policy.txt, "Approved June 9, 2020").
 */
export const DEFAULT_POLICY_VERSION = '2020-06-09';
const policyVersionSchema = lazy(() =>
  z
    .string()
    .check(
      z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'a version is 1-40 letters, digits, dots, dashes or underscores'),
    ),
);

/**
 * R18: the cookies of the library's website that ARE linked to the account (sign-in, preferences).
 * Logs and analytics are stored without identity; these are not, and the report names them as such.
 */
const DEFAULT_LINKED_COOKIES = [
  {
    name: 'Sign-in cookie',
    purpose: 'keeps you signed in to your online account and lets licensed e-resources confirm you are a cardholder',
    kept: 'until you sign out or the session ends',
  },
  {
    name: 'Preference cookie',
    purpose: 'remembers the settings you chose for the website (such as language and display)',
    kept: 'until you change or clear them in your browser',
  },
] as const;
const linkedCookieSchema = lazy(() =>
  z.object({
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    purpose: z.string().check(z.minLength(1), z.maxLength(300)),
    kept: z.string().check(z.minLength(1), z.maxLength(200)),
  }),
);

/**
 * R16: the bounds of a court-order document retention period, library-wide or for one order. Under a
 * month, a motion to quash or a question from the court could find the order already gone; past 25
 * years nobody can say why the library still holds a document naming a patron.
 */
export const MIN_DOCUMENT_RETENTION_DAYS = 30;
export const MAX_DOCUMENT_RETENTION_DAYS = 25 * 366;
/**
 * R16: court-order documents (the order's PDF, every version kept) go this many days after the order
 * closes, unless an active legal hold of that order still holds them. Default three years: a claim
 * about a disclosure (Conn. Gen. Stat. §52-577, three years for a tort) can then still be answered
 * with the order the library acted on, and counsel can set one order longer when a case runs on.
 */
const DEFAULT_COURT_ORDERS = { documentRetentionDays: 3 * 365 } as const;
const courtOrdersSchema = lazy(() =>
  z.object({
    documentRetentionDays: z._default(
      z.number().check(z.int(), z.gte(MIN_DOCUMENT_RETENTION_DAYS), z.lte(MAX_DOCUMENT_RETENTION_DAYS)),
      DEFAULT_COURT_ORDERS.documentRetentionDays,
    ),
  }),
);

/** R7: a flood of different kinds must not mail-bomb a patron: at most this many requests a library day. */
const DEFAULT_REPEATS = { dailyCapPerPatron: 5 } as const;
const repeatsSchema = lazy(() => z.object({ dailyCapPerPatron: z.number().check(z.int(), z.gte(1), z.lte(100)) }));

export const policySchema = z.lazy(() =>
  z.object({
    /** R18: the policy version in force (printed in reports, consents and letters; stored with a consent). */
    version: z._default(policyVersionSchema(), DEFAULT_POLICY_VERSION),
    categories: z.record(z.enum(CATEGORIES), categoryPolicySchema()).check(
      z.refine((c) => CATEGORIES.every((k) => k in c), { message: 'every category needs a policy' }),
      z.superRefine((c, ctx) => {
        // R18: a category the run has no period for is described in the policy's own words.
        for (const k of CATEGORIES)
          if (c[k] && !PERIOD_CATEGORIES.includes(k) && c[k].retention === undefined)
            ctx.addIssue({ code: 'custom', path: [k, 'retention'], message: 'say how long it is kept' });
      }),
    ),
    verification: z.object({
      /** R7: how long a verification link works. */
      linkTtlHours: durationHours(),
      /** R7: how many invalid submissions a link tolerates before it locks. */
      maxAttempts: z.number().check(z.int(), z.gte(1), z.lte(10)),
    }),
    downloads: z.object({
      /** R8a: how long a report or export link works before the file is deleted. */
      linkTtlHours: durationHours(),
    }),
    approvals: z.object({
      /** How long a staff decision link works before the decision lapses. */
      linkTtlHours: durationHours(),
      /** When a pending decision gets a reminder with a fresh link. */
      remindAfterHours: durationHours(),
      /** Lapsed rounds before the request is closed as expired; each lapse alerts the privacy officer. */
      maxRounds: z.number().check(z.int(), z.gte(1), z.lte(10)),
      /** Which staff role decides each step. */
      roles: z.record(z.string(), z.enum(STAFF_ROLES)),
    }),
    deadlines: z.object({
      /** R15: days from receipt to the due date, per request kind. */
      defaultDays: z.number().check(z.int(), z.positive(), z.lte(365)),
      byKind: z._default(z.record(z.string(), z.number().check(z.int(), z.positive(), z.lte(365))), {}),
      /** R15: staff are reminded this many days before a request's due date (sweep-due-dates); 0: no reminder, only the escalation. */
      remindBeforeDays: z._default(z.number().check(z.int(), z.gte(0), z.lte(60)), 5),
    }),
    /** R8: how long records are kept for the accounting period after a deletion request (deletion-plan.ts). */
    retention: z._default(retentionSchema(), DEFAULT_RETENTION),
    /** R9-R11: age thresholds and what a guardian may see. */
    minors: z._default(minorsSchema(), {
      ...DEFAULT_MINORS,
      guardianCategories: [...DEFAULT_MINORS.guardianCategories],
    }),
    /** R10, R14: the consent step's link lifetime. */
    consent: z._default(consentSchema(), DEFAULT_CONSENT),
    /** R7: one open request per patron and kind; at most this many requests per patron and library day. */
    repeats: z._default(repeatsSchema(), DEFAULT_REPEATS),
    /** R16: how long court-order documents are kept after the order closes (an order may set its own). */
    courtOrders: z._default(courtOrdersSchema(), DEFAULT_COURT_ORDERS),
    /** R18: cookies linked to the account, named in the report's automatic-data section. */
    linkedCookies: z._default(
      z.array(linkedCookieSchema()).check(z.maxLength(20)),
      DEFAULT_LINKED_COOKIES.map((c) => ({ ...c })),
    ),
  }),
);

export type Policy = z.infer<typeof policySchema>;

/** R18: how a report, a consent page or a letter names the policy it was made under. */
export const policyVersionWords = (policy: Pick<Policy, 'version'>): string =>
  `the library's privacy policy, version ${policy.version}`;

/**
 * The policy a library runs without a policy file. Written as the schema's output (every default
 * filled in, keys in the schema's order) rather than parsed at import, so that a function's cold
 * start builds no policy schema unless it reads a policy file (README, Bundle size and cold start);
 * test/unit/policy.test.ts checks that the schema takes it unchanged.
 */
export const defaultPolicy: Policy = {
  version: DEFAULT_POLICY_VERSION,
  categories: {
    personal: {
      title: 'Personal information',
      what: 'Your name, address, email, phone, library card number, date of birth, payment details and linked accounts.',
      why: 'To issue your card, reach you about your account and provide access to library and digital services; and, unless you ask the library to stop, for outreach, advocacy, marketing and fundraising campaigns on behalf of the library: news of programs, services and events, and requests to support the library, by email and post.',
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
      view: 'include',
      correction: 'no',
      deletion: 'anonymise',
    },
    payments: {
      title: 'Fines, fees and payments',
      what: 'Fines, fees and payments on your account.',
      why: 'To manage what is owed to the library.',
      sharedWith: 'No one outside the library.',
      view: 'include',
      correction: 'no',
      deletion: 'retain-while-outstanding',
    },
    donations: {
      title: 'Donations',
      what: 'Gifts you have made to the library.',
      why: 'To account for gifts, thank donors and, unless you ask the library to stop, send fundraising appeals on behalf of the library.',
      sharedWith: 'No one; the library never sells or shares donor information.',
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
      what: 'Network logs, device data, pages viewed, searches and cookies.',
      why: 'To run and secure the library website and improve services; sign-in and preference cookies to keep you signed in and remember your settings.',
      sharedWith: 'No one.',
      retention:
        'Logs and analytics are stored without identity. Sign-in and preference cookies are kept as listed with them.',
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
    roles: {
      correction: 'privacy-officer',
      'deletion-plan': 'privacy-officer',
      'guardian-access': 'privacy-officer',
      'third-party': 'privacy-officer',
      // R12: two different people approve a court order: a privacy officer reviews, the director authorises.
      'court-order-review': 'privacy-officer',
      'court-order-authorise': 'director',
    },
  },
  deadlines: { defaultDays: 30, byKind: {}, remindBeforeDays: 5 },
  retention: { ...DEFAULT_RETENTION },
  minors: { ...DEFAULT_MINORS, guardianCategories: [...DEFAULT_MINORS.guardianCategories] },
  consent: { ...DEFAULT_CONSENT },
  repeats: { ...DEFAULT_REPEATS },
  courtOrders: { ...DEFAULT_COURT_ORDERS },
  linkedCookies: DEFAULT_LINKED_COOKIES.map((c) => ({ ...c })),
};
