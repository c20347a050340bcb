import { formatIsoDate, isLeapYear, isoDateIn, parseIsoDate, recordDayOf } from './age.ts';
import type { Category } from './categories.ts';
import type { Policy } from './policy.ts';

/**
 * R8, R16, R18 retention, the pure half: every category's period as the policy configures it, which
 * day a record of each kind must be older than, whether one record is past its period, and how the
 * library's whole records table is cut into key-range segments for the daily run
 * (workflows/retention.asl.json; connectors/records-table/retention.ts does the reading and writing).
 * The access report prints its retention statements from `retentionTerms`, the same numbers the run
 * reads (render/report.ts), so what a patron is told and what the run does cannot drift apart.
 */

/** `YYYY-MM-DD` plus `days` (negative: back), in calendar days. */
export function addDays(isoDay: string, days: number): string {
  const d = parseIsoDate(isoDay, 'day');
  return new Date(Date.UTC(d.year, d.month - 1, d.day + days)).toISOString().slice(0, 10);
}

/**
 * A loan returned on a library day before this one is past its history period: `asOf`'s library
 * day minus `loanHistoryDays`. A loan returned exactly `loanHistoryDays` days ago is kept one more day.
 */
export const loanCutoffDay = (asOf: Date, timezone: string, loanHistoryDays: number): string =>
  addDays(isoDateIn(asOf, timezone), -loanHistoryDays);

/**
 * A cheap bound for the table's own filter: any `returnedAt` (an ISO instant with any offset, or a
 * day) whose library day is before `cutoffDay` sorts, as text, before this; the exact day is then
 * checked on each item in the library's time zone. Offsets reach ±14 h, so two days' slack is enough.
 */
export const returnedBeforeBound = (cutoffDay: string): string => addDays(cutoffDay, 2);

/** Returned on a library day before the cutoff. Open loans (no return) and unreadable dates are kept. */
export const loanPastHistory = (returnedDay: string | undefined, cutoffDay: string): boolean =>
  returnedDay !== undefined && returnedDay < cutoffDay;

/** The last day (YYYY-MM-DD) whose records are past a retention of `years` on `asOf`. */
export function retentionCutoff(asOf: string, years: number): string {
  const today = parseIsoDate(asOf);
  const year = today.year - years;
  // asOf is Feb 29 and that year has none: its Feb 28 is the last day whose anniversary is not after asOf.
  if (today.month === 2 && today.day === 29 && !isLeapYear(year)) {
    return formatIsoDate({ year, month: 2, day: 28 });
  }
  return formatIsoDate({ year, month: today.month, day: today.day });
}

// ---------------------------------------------------------------------------------------------
// Every kind of record's period (R8, R16, R18)

/** The kinds of record with a retention period, as the records table names them. Shared content has none: it stays until the patron deletes it. */
export const RETENTION_KINDS = ['LOAN', 'HOLD', 'PROGRAM', 'FINE', 'DONATION'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

/** One kind's period: how long, and from which of the record's dates. */
export interface RetentionTerm {
  kind: RetentionKind;
  category: 'library-records' | 'payments' | 'donations';
  amount: number;
  unit: 'days' | 'years';
  /** The record's date the period counts from. */
  from: 'return' | 'placing' | 'event' | 'charge' | 'gift';
}

/**
 * R16, R18: every kind's period, read from the policy's `retention`. The daily run cuts by these
 * (`retentionCutoffs`) and the report prints them (`retentionStatements`): one source.
 */
export function retentionTerms(policy: Pick<Policy, 'retention'>): RetentionTerm[] {
  const r = policy.retention;
  return [
    { kind: 'LOAN', category: 'library-records', amount: r.loanHistoryDays, unit: 'days', from: 'return' },
    { kind: 'HOLD', category: 'library-records', amount: r.holdHistoryDays, unit: 'days', from: 'placing' },
    { kind: 'PROGRAM', category: 'library-records', amount: r.programHistoryDays, unit: 'days', from: 'event' },
    { kind: 'FINE', category: 'payments', amount: r.paymentsYears, unit: 'years', from: 'charge' },
    { kind: 'DONATION', category: 'donations', amount: r.donationsYears, unit: 'years', from: 'gift' },
  ];
}

/** Per kind, the library day a record's own date must be before for the record to be past its period. */
export type RetentionCutoffs = Record<RetentionKind, string>;

/**
 * The run's cutoffs on library day `today`. Days: a record dated exactly `amount` days ago is kept one
 * more day. Years: a record goes on its anniversary (as a deletion decides, deletion-plan.ts), so the
 * day after `retentionCutoff` is the first one kept.
 */
export function retentionCutoffs(today: string, policy: Pick<Policy, 'retention'>): RetentionCutoffs {
  const cut = (t: RetentionTerm) =>
    t.unit === 'days' ? addDays(today, -t.amount) : addDays(retentionCutoff(today, t.amount), 1);
  return Object.fromEntries(retentionTerms(policy).map((t) => [t.kind, cut(t)])) as RetentionCutoffs;
}

/** The attribute each kind's period counts from, in the records table and the dataset alike. */
export const RETENTION_DATE_FIELD: Record<RetentionKind, string> = {
  LOAN: 'returnedAt',
  HOLD: 'placedAt',
  PROGRAM: 'date',
  FINE: 'createdAt',
  DONATION: 'date',
};

/** What the run needs of one record: its period's start day (library time) and whether it is still open. No personal data. */
export interface RetentionFacts {
  kind: RetentionKind;
  day: string | undefined;
  /** Still in use: an item on loan, a hold waiting or ready, money outstanding. Kept whatever its age. */
  open: boolean;
}

export function retentionFactsOf(
  kind: RetentionKind,
  record: Record<string, unknown>,
  timezone: string,
): RetentionFacts {
  const day = recordDayOf(record[RETENTION_DATE_FIELD[kind]], timezone);
  switch (kind) {
    case 'LOAN':
      return { kind, day, open: day === undefined };
    case 'HOLD':
      return { kind, day, open: record.status !== 'fulfilled' && record.status !== 'cancelled' };
    case 'FINE':
      return { kind, day, open: !(typeof record.outstanding === 'number' && record.outstanding === 0) };
    case 'PROGRAM':
    case 'DONATION':
      return { kind, day, open: false };
  }
}

/**
 * R8, R16: a record is past its period when it is closed and its day is before its kind's cutoff.
 * An open record (on loan, a hold still waiting, money owed) and an unreadable date are kept.
 */
export const pastRetention = (r: RetentionFacts, cutoffs: RetentionCutoffs): boolean =>
  !r.open && r.day !== undefined && r.day < cutoffs[r.kind];

/** `returnedBeforeBound` for any kind's date: the table's filter bound, checked exactly with `pastRetention`. */
export const dateBeforeBound = returnedBeforeBound;

/** What the daily run does with a record past its period (a loan, a hold, a paid fine...). */
export type LoanRetentionAction = 'anonymise' | 'keep-held' | 'keep-deleting';

/**
 * R16, R13: a record past its period is anonymised, unless its patron is under legal hold
 * (nothing is anonymised while a hold stands) or the patron's own deletion is under way (that
 * deletion anonymises it, under its own secret, and verifies it).
 */
export function loanRetentionAction(patron: { held: boolean; deleting: boolean }): LoanRetentionAction {
  if (patron.held) return 'keep-held';
  if (patron.deleting) return 'keep-deleting';
  return 'anonymise';
}

/**
 * R8, R18: how long the tables' point-in-time recovery keeps what was removed. The stack configures
 * its tables with it (infra/constructs/storage.ts) and the deletion letters print it: one figure.
 */
export const POINT_IN_TIME_RECOVERY_DAYS = 35;

export const MAX_SEGMENTS = 64;

/** The Map's items: one per key-range segment of a parallel scan (ids only, R5). */
export function segmentsFor(totalSegments: number): { segment: number }[] {
  const n = Math.max(1, Math.min(MAX_SEGMENTS, Math.floor(totalSegments)));
  return Array.from({ length: n }, (_, segment) => ({ segment }));
}

/** The day's run name: one retention run per library day, so a repeated schedule starts nothing new. */
export const retentionRunId = (now: Date, timezone: string): string => isoDateIn(now, timezone);

// ---------------------------------------------------------------------------------------------
// R18: what the report says about how long each category is kept

const count = (n: number, unit: 'days' | 'years') => `${n} ${n === 1 ? unit.slice(0, -1) : unit}`;

const TERM_WORDS: Record<RetentionKind, (period: string) => string> = {
  LOAN: (p) => `Returned loans: ${p} after the item is returned. An item still on loan is kept while it is out.`,
  HOLD: (p) =>
    `Holds: ${p} after the hold was placed, once it is filled or cancelled; an open hold is kept while open.`,
  PROGRAM: (p) => `Program and event sign-ups: ${p} after the event.`,
  FINE: (p) =>
    `Paid fines and fees: ${p} after each was charged (the accounting period). Anything still owed is kept while it is owed.`,
  DONATION: (p) => `Each gift: ${p} after its date (the accounting period).`,
};

const AFTER_PERIOD =
  'When its period ends, each record is anonymised: unlinked from you, so that only de-identified statistics remain. Records the law requires the library to keep are kept until that obligation ends.';

/** One statement of how long a category is kept; `kind` names the record kind whose period it states. */
export interface RetentionStatement {
  kind?: RetentionKind;
  /** The purge of expired cards' statement: its period in days, or `off` (`expiredPatronAfterDays`). */
  purge?: number | 'off';
  text: string;
}

/**
 * R18: how long `category` is kept, in the words the report and the export print: the periods the
 * daily run enforces (`retentionTerms`, the same numbers), or the policy's own words for a
 * category the run has nothing to do with (personal data, credentials, shared content, ...).
 */
export function retentionStatements(
  category: Category,
  policy: Pick<Policy, 'retention' | 'categories'>,
): RetentionStatement[] {
  const terms = retentionTerms(policy).filter((t) => t.category === category);
  if (terms.length === 0) {
    const words = policy.categories[category].retention;
    // R16, R8: personal data also goes with the purge of long-expired cards, when the policy has one.
    const purge: RetentionStatement[] =
      category === 'personal'
        ? [{ purge: policy.retention.expiredPatronAfterDays ?? 'off', text: expiredPatronStatement(policy) }]
        : [];
    return [{ text: words ?? 'As the library’s guidelines require.' }, ...purge];
  }
  return [
    ...terms.map((t) => ({ kind: t.kind, text: TERM_WORDS[t.kind](count(t.amount, t.unit)) })),
    { text: AFTER_PERIOD },
  ];
}

/** The statements as one paragraph (CSV and JSON headers of an export). */
export const retentionText = (category: Category, policy: Pick<Policy, 'retention' | 'categories'>): string =>
  retentionStatements(category, policy)
    .map((s) => s.text)
    .join(' ');

// ---------------------------------------------------------------------------------------------
// R16, R19: every system that holds a category with a period, and how its period is enforced

/**
 * How the daily run enforces the periods in one system, by the system's type in the systems file:
 * - `run`: the run anonymises the records itself, through the system's connector (the records table);
 * - `system-job`: the system's own cleanup job does it; the run cannot reach it, and cannot know the
 *   job ran, so no system type is mapped to it (a promise Privacy Desk could not keep);
 * - `staff-task`: the system's staff are asked, once every `staffTaskEveryDays`, to anonymise or
 *   delete what is past its period: a system without an API, and Koha, whose REST API has no
 *   anonymise route (its administrators run Koha's own anonymisation, asked by this task).
 */
export type RetentionEnforcement = 'run' | 'system-job' | 'staff-task';

/**
 * What the retention rules read of the systems file (domain/systems.ts `SystemsFile` is one): declared
 * here so that this module imports nothing that leads back to it.
 */
type SystemType = 'records-table' | 'koha' | 'manual';
export interface RetentionSystems {
  systems: readonly { id: string; name: string; type: SystemType; categories: readonly Category[] }[];
}

export const ENFORCEMENT_BY_TYPE: Record<SystemType, RetentionEnforcement> = {
  'records-table': 'run',
  koha: 'staff-task',
  manual: 'staff-task',
};

/** One system's part in the retention run: ids, enums and categories only (R5). */
export interface SystemRetention {
  systemId: string;
  how: RetentionEnforcement;
  /** The categories with a period that the systems file says this system holds. */
  categories: RetentionTerm['category'][];
}

/**
 * R16, R19, R18: every configured system that holds a category with a retention period, and how its
 * period is enforced. The run acts on this list (workflows/retention.asl.json) and the report prints
 * it (render/report.ts): one reading of one configuration.
 */
export function systemRetention(systems: RetentionSystems, policy: Pick<Policy, 'retention'>): SystemRetention[] {
  const withPeriod = [...new Set(retentionTerms(policy).map((t) => t.category))];
  return systems.systems.flatMap((s) => {
    const categories = withPeriod.filter((c) => s.categories.includes(c));
    return categories.length === 0 ? [] : [{ systemId: s.id, how: ENFORCEMENT_BY_TYPE[s.type], categories }];
  });
}

/**
 * The staff-task cadence: the library day's period number, counted in whole `everyDays` from
 * 1970-01-01. One task per system and period: a retried or repeated run in the same period sends
 * nothing new, and the next one starts on the first run of the next period.
 */
export function staffTaskPeriod(today: string, everyDays: number): number {
  const d = parseIsoDate(today, 'day');
  return Math.floor(Date.UTC(d.year, d.month - 1, d.day) / 86_400_000 / Math.max(1, Math.floor(everyDays)));
}

/** What a system's staff are asked to remove: per kind of record it holds, the day it must be older than. */
export interface StaffRetentionItem {
  kind: RetentionKind;
  category: RetentionTerm['category'];
  before: string;
}

export function staffRetentionItems(
  categories: readonly Category[],
  today: string,
  policy: Pick<Policy, 'retention'>,
): StaffRetentionItem[] {
  const cutoffs = retentionCutoffs(today, policy);
  return retentionTerms(policy)
    .filter((t) => categories.includes(t.category))
    .map((t) => ({ kind: t.kind, category: t.category, before: cutoffs[t.kind] }));
}

// ---------------------------------------------------------------------------------------------
// R16, R8: the purge of patrons whose card expired long ago

/**
 * The day a card must have expired before for its patron to be purged on library day `today`, or
 * undefined when the policy purges nobody (`expiredPatronAfterDays: null`, the default).
 */
export function expiredPatronCutoff(today: string, policy: Pick<Policy, 'retention'>): string | undefined {
  const days = policy.retention.expiredPatronAfterDays;
  return days === null ? undefined : addDays(today, -days);
}

/** A card that expired on a day before the cutoff; a card without an expiry never expires. */
export const cardExpiredBefore = (expiresOn: unknown, cutoff: string): boolean =>
  typeof expiresOn === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(expiresOn) && expiresOn < cutoff;

// ---------------------------------------------------------------------------------------------
// R18, R19: what the report says about each system's period

const KIND_NOUN: Record<RetentionKind, string> = {
  LOAN: 'returned loans',
  HOLD: 'closed holds',
  PROGRAM: 'program sign-ups',
  FINE: 'paid fines and fees',
  DONATION: 'gifts',
};

/** One system's statement for a category: which system, how, and the words. */
export interface SystemRetentionStatement {
  systemId: string;
  how: RetentionEnforcement;
  text: string;
}

const HOW_WORDS: Record<
  RetentionEnforcement,
  (system: string, what: string, policy: Pick<Policy, 'retention'>) => string
> = {
  run: (system, what) =>
    `In ${system}: Privacy Desk's daily run anonymises ${what} the day after each period above ends.`,
  'system-job': (system, what) =>
    `In ${system}: Privacy Desk cannot anonymise records there (its interface offers no way to), so ${system}'s own cleanup job, which the library schedules in ${system}, anonymises ${what} after the periods above.`,
  'staff-task': (system, what, policy) =>
    `In ${system}, where Privacy Desk cannot anonymise records by itself: every ${count(policy.retention.staffTaskEveryDays, 'days')}, library staff are asked to anonymise or delete ${what} past the periods above, so a record may stay up to that long after its period ends.`,
};

/**
 * R18, R19: for `category`, one statement per configured system that holds it, from `systemRetention`
 * (what the run does, system by system). Empty for a category without a period.
 */
export function systemRetentionStatements(
  category: Category,
  systems: RetentionSystems,
  policy: Pick<Policy, 'retention'>,
): SystemRetentionStatement[] {
  const kinds = retentionTerms(policy).filter((t) => t.category === category);
  const nouns = kinds.map((t) => KIND_NOUN[t.kind]);
  const what = nouns.length > 1 ? `${nouns.slice(0, -1).join(', ')} and ${nouns.at(-1)}` : (nouns[0] ?? '');
  return systemRetention(systems, policy)
    .filter((s) => (s.categories as readonly Category[]).includes(category))
    .map((s) => ({
      systemId: s.systemId,
      how: s.how,
      text: HOW_WORDS[s.how](systems.systems.find((x) => x.id === s.systemId)?.name ?? s.systemId, what, policy),
    }));
}

/**
 * R18, R16, R8: what the report says of an expired card, from `expiredPatronAfterDays` (the same
 * number the nightly purge cuts by).
 */
export function expiredPatronStatement(policy: Pick<Policy, 'retention'>): string {
  const days = policy.retention.expiredPatronAfterDays;
  if (days === null)
    return 'An account whose card has expired is not deleted automatically: it stays until you ask for its deletion.';
  return `An account whose card expired more than ${count(days, 'days')} ago is deleted, in every system of the library, as a deletion you asked for would delete it, unless an item is still on loan, money is owed, a hold is waiting, you are the guarantor of a child’s card or the law requires the library to keep the records. You are not emailed about it.`;
}
