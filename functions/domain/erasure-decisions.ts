import { ageOnDay, recordDayOf } from './age.ts';
import type { Category } from './categories.ts';
import type { RecordTypes } from './dataset.ts';
import { stepFor, type DeletionFacts, type DeletionPlan, type RetainReason } from './deletion-plan.ts';
import type { Policy } from './policy.ts';
import type { RetentionCutoffs } from './retention.ts';

/**
 * R8, R11: what a deletion does to each of a patron's records, and why. Pure: the connector that
 * holds the records reads them, describes each one as `RecordFacts` (kinds, flags, days: no
 * personal data) and writes what these functions decide. `deletion-plan.ts` decides per category;
 * this module decides per record, re-checking on the record itself what may have changed since the
 * plan was made, so an old plan never erases what it must not.
 */

/** The kinds of record a library system holds about a patron (dataset.ts `RecordTypes`). */
export type RecordKind = keyof RecordTypes;

/** R8: the policy category each kind of record belongs to. */
export const KIND_CATEGORY: Record<RecordKind, Category> = {
  LOAN: 'library-records',
  HOLD: 'library-records',
  PROGRAM: 'library-records',
  FINE: 'payments',
  DONATION: 'donations',
  SHARED: 'shared-content',
};

/** What a decision needs to know about one record: days in library time (undefined if unreadable), no personal data. */
export type RecordFacts =
  | { kind: 'LOAN'; returned: boolean }
  | { kind: 'HOLD' }
  | { kind: 'PROGRAM' }
  | { kind: 'FINE'; outstanding: number; createdDay: string | undefined }
  | { kind: 'DONATION'; day: string | undefined }
  | { kind: 'SHARED' };

/** The facts of a record's stored attributes (the records table and the dataset share field names). */
export function recordFactsOf(kind: RecordKind, record: Record<string, unknown>, timezone: string): RecordFacts {
  switch (kind) {
    case 'LOAN':
      return { kind, returned: typeof record.returnedAt === 'string' && record.returnedAt.length > 0 };
    case 'FINE':
      return {
        kind,
        outstanding:
          typeof record.outstanding === 'number' && Number.isFinite(record.outstanding) ? record.outstanding : 0,
        createdDay: recordDayOf(record.createdAt, timezone),
      };
    case 'DONATION':
      return { kind, day: recordDayOf(record.date, timezone) };
    case 'HOLD':
    case 'PROGRAM':
    case 'SHARED':
      return { kind };
  }
}

// ---------------------------------------------------------------------------------------------
// The facts a plan is built from

/** Counts a patron's records into `DeletionFacts`, one record at a time, so the reader's memory stays flat. */
export interface DeletionFactsTally {
  addRecord(record: RecordFacts): void;
  /** A card this patron guarantees; `isMinor` from `guaranteedChildIsMinor`. */
  addGuaranteedChild(isMinor: boolean): void;
  /** Whether a minor has been found yet (the reader may skip looking up more children). */
  readonly guaranteesMinor: boolean;
  result(rest: Pick<DeletionFacts, 'hasCredentials' | 'legalHold'>): DeletionFacts;
}

/**
 * `cutoffs` (domain/retention.ts `retentionCutoffs` on the plan's day): with them, paid fines and
 * gifts already past their own period are counted apart, so a plan anonymises those now and keeps
 * only the rest (R8, R16).
 */
export function deletionFactsTally(cutoffs?: Pick<RetentionCutoffs, 'FINE' | 'DONATION'>): DeletionFactsTally {
  const facts: DeletionFacts = {
    openLoans: 0,
    returnedLoans: 0,
    holds: 0,
    programs: 0,
    outstandingBalance: 0,
    outstandingFines: 0,
    paidFines: 0,
    paidFinesNewestDate: null,
    ...(cutoffs ? { paidFinesPastPeriod: 0 } : {}),
    donations: { count: 0, newestDate: null, ...(cutoffs ? { pastPeriod: 0 } : {}) },
    sharedContent: 0,
    hasCredentials: false,
    guaranteesMinor: false,
    legalHold: { active: false, nondisclosure: false },
  };
  // Summed in cents: a sum of float amounts drifts.
  let owedCents = 0;
  const newest = (a: string | null, b: string | undefined): string | null =>
    b !== undefined && (a === null || b > a) ? b : a;
  const past = (day: string | undefined, cutoff: string | undefined) =>
    day !== undefined && cutoff !== undefined && day < cutoff ? 1 : 0;
  return {
    addRecord(r) {
      switch (r.kind) {
        case 'LOAN':
          if (r.returned) facts.returnedLoans++;
          else facts.openLoans++;
          return;
        case 'HOLD':
          facts.holds++;
          return;
        case 'PROGRAM':
          facts.programs++;
          return;
        case 'FINE':
          if (r.outstanding > 0) {
            facts.outstandingFines++;
            owedCents += Math.round(r.outstanding * 100);
          } else {
            facts.paidFines++;
            facts.paidFinesNewestDate = newest(facts.paidFinesNewestDate, r.createdDay);
            if (facts.paidFinesPastPeriod !== undefined) facts.paidFinesPastPeriod += past(r.createdDay, cutoffs?.FINE);
          }
          return;
        case 'DONATION':
          facts.donations.count++;
          facts.donations.newestDate = newest(facts.donations.newestDate, r.day);
          if (facts.donations.pastPeriod !== undefined) facts.donations.pastPeriod += past(r.day, cutoffs?.DONATION);
          return;
        case 'SHARED':
          facts.sharedContent++;
          return;
      }
    },
    addGuaranteedChild(isMinor) {
      if (isMinor) facts.guaranteesMinor = true;
    },
    get guaranteesMinor() {
      return facts.guaranteesMinor;
    },
    result(rest) {
      return { ...facts, ...rest, outstandingBalance: owedCents / 100 };
    },
  };
}

/**
 * R8 blocker "guarantor of a minor's card", with R11's threshold from the policy (configuration,
 * not code): whether the holder of a card the patron guarantees is under `policy.minors.adultAge`
 * on the library day `day`. No profile is no child; a missing, unreadable or future date of birth
 * counts as a minor, because keeping the guarantor's data is the safe side.
 */
export function guaranteedChildIsMinor(
  child: { dateOfBirth?: unknown } | undefined,
  day: string,
  policy: Pick<Policy, 'minors'>,
): boolean {
  if (!child) return false;
  if (typeof child.dateOfBirth !== 'string') return true;
  try {
    return ageOnDay(child.dateOfBirth, day) < policy.minors.adultAge;
  } catch {
    return true;
  }
}

/** R8: the login is its own category: a username, a password hash or security questions. */
export const hasCredentials = (profile: Record<string, unknown>): boolean =>
  (typeof profile.username === 'string' && profile.username.length > 0) ||
  (typeof profile.passwordHash === 'string' && profile.passwordHash.length > 0) ||
  (Array.isArray(profile.securityQuestions) && profile.securityQuestions.length > 0);

// ---------------------------------------------------------------------------------------------
// Carrying out a plan, record by record

/** What an approved plan asks for each kind of record, read once from its steps. */
export interface ErasureRules {
  timezone: string;
  /** Made under a legal hold (R13): nothing may be touched. */
  blocked: boolean;
  anonymiseLibraryRecords: boolean;
  /** Paid fines created on or before this day are past their retention period. */
  paymentsCutoff: string | undefined;
  /** Donations dated on or before this day are past their retention period. */
  donationsCutoff: string | undefined;
  deleteShared: boolean;
  erasePersonal: boolean;
  eraseCredentials: boolean;
}

export function erasureRulesOf(plan: DeletionPlan): ErasureRules {
  return {
    timezone: plan.timezone,
    blocked: plan.mode === 'blocked',
    anonymiseLibraryRecords: stepFor(plan, 'library-records', 'anonymise') !== undefined,
    paymentsCutoff: stepFor(plan, 'payments', 'anonymise')?.cutoff,
    donationsCutoff: stepFor(plan, 'donations', 'anonymise')?.cutoff,
    deleteShared: stepFor(plan, 'shared-content', 'delete') !== undefined,
    erasePersonal: stepFor(plan, 'personal', 'erase') !== undefined,
    eraseCredentials: stepFor(plan, 'credentials', 'erase') !== undefined,
  };
}

/** Why a record stays: a plan's reason, or `not-in-plan` when the approved plan does not remove its category. */
export type KeepReason = RetainReason | 'not-in-plan';

export type RecordDecision =
  | { kind: RecordKind; category: Category; action: 'anonymise' | 'delete' }
  | { kind: RecordKind; category: Category; action: 'retain'; reason: KeepReason };

const pastCutoff = (day: string | undefined, cutoff: string | undefined): boolean =>
  day !== undefined && cutoff !== undefined && day <= cutoff;

/**
 * R8: what happens to one record. The plan decides, but some facts are re-checked on the record
 * itself, whatever the plan says, because a plan can be days old: an item on loan is never
 * unlinked (the library must recover it), a fine with money outstanding is kept, and a payment or
 * donation is anonymised only if it is past the retention cutoff the plan computed from the policy.
 */
export function decideRecord(record: RecordFacts, rules: ErasureRules): RecordDecision {
  const { kind } = record;
  const category = KIND_CATEGORY[kind];
  const retain = (reason: KeepReason): RecordDecision => ({ kind, category, action: 'retain', reason });
  const remove = (action: 'anonymise' | 'delete'): RecordDecision => ({ kind, category, action });
  if (rules.blocked) return retain('legal-hold'); // R13
  switch (record.kind) {
    case 'LOAN':
      if (!record.returned) return retain('items-on-loan');
      return rules.anonymiseLibraryRecords ? remove('anonymise') : retain('not-in-plan');
    case 'HOLD':
    case 'PROGRAM':
      return rules.anonymiseLibraryRecords ? remove('anonymise') : retain('not-in-plan');
    case 'FINE':
      if (record.outstanding > 0) return retain('money-outstanding');
      return pastCutoff(record.createdDay, rules.paymentsCutoff) ? remove('anonymise') : retain('retention-period');
    case 'DONATION':
      return pastCutoff(record.day, rules.donationsCutoff) ? remove('anonymise') : retain('retention-period');
    case 'SHARED':
      return rules.deleteShared ? remove('delete') : retain('not-in-plan');
  }
}

/** R8: reasons found on a record that keep the person reachable, so a plan that erases the profile is stale. */
const PROFILE_BLOCKERS: readonly RetainReason[] = ['items-on-loan', 'money-outstanding'];

export const blocksProfileErasure = (d: RecordDecision): boolean =>
  d.action === 'retain' && (PROFILE_BLOCKERS as readonly KeepReason[]).includes(d.reason);

/**
 * R8: personal data goes last, and only if what the run found still allows it: no record that
 * blocks (an item on loan, money owed) and no minor's card guaranteed (R11, on the plan's day).
 * Returns the reasons the profile must be kept despite the plan; none means erase it.
 */
export function profileKeptBecause(found: { blockerOnRecords: boolean; guaranteesMinor: boolean }): RetainReason[] {
  const reasons: RetainReason[] = [];
  if (found.blockerOnRecords) reasons.push(...PROFILE_BLOCKERS);
  if (found.guaranteesMinor) reasons.push('guarantor-of-minor');
  return reasons;
}

// ---------------------------------------------------------------------------------------------
// Anonymised copies

/**
 * R8: the fields an anonymised copy of a record keeps, an allow-list: what statistics need (the
 * item, title, branch, day, amount), never the patron id, the record id or free text the patron or
 * a clerk wrote. Times are reduced to the library-time day: a minute-exact checkout time is enough
 * to single a person out. Shared content is deleted, never anonymised: it keeps nothing.
 */
export function anonymisedFields(
  kind: RecordKind,
  record: Record<string, unknown>,
  timezone: string,
): Record<string, unknown> {
  const day = (v: unknown) => recordDayOf(v, timezone);
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const amount = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const fields: Record<string, unknown> = (() => {
    switch (kind) {
      case 'LOAN':
        return {
          itemId: text(record.itemId),
          title: text(record.title),
          branch: text(record.branch),
          checkedOutOn: day(record.checkedOutAt),
          dueOn: day(record.dueAt),
          returnedOn: day(record.returnedAt),
        };
      case 'HOLD':
        return { title: text(record.title), placedOn: day(record.placedAt), status: text(record.status) };
      case 'PROGRAM':
        return {
          title: text(record.title),
          date: day(record.date),
          attended: typeof record.attended === 'boolean' ? record.attended : undefined,
        };
      case 'FINE':
        return { amount: amount(record.amount), createdOn: day(record.createdAt) };
      case 'DONATION':
        return { amount: amount(record.amount), date: day(record.date), campaign: text(record.campaign) };
      case 'SHARED':
        return {};
    }
  })();
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

// ---------------------------------------------------------------------------------------------
// Verifying the result

/** One item left in the patron's partition after a deletion ran, as verification sees it. */
export type PartitionItem =
  | { type: 'erasure-secret' }
  | { type: 'profile'; hasCredentials: boolean }
  | { type: 'guarantee-link' }
  | { type: 'record'; record: RecordFacts }
  | { type: 'other' };

/**
 * R8: the categories an item still there shows to be unfinished: the profile or a guarantee link
 * when personal data was to be erased, a login when credentials were, a record the plan would
 * still remove, and the deletion's secret, which still links the anonymised copies to the person.
 */
export function unfinishedCategories(item: PartitionItem, rules: ErasureRules): Category[] {
  switch (item.type) {
    case 'erasure-secret':
      return ['personal'];
    case 'profile':
      return [
        ...(rules.erasePersonal ? (['personal'] as const) : []),
        ...(rules.eraseCredentials && item.hasCredentials ? (['credentials'] as const) : []),
      ];
    case 'guarantee-link':
      return rules.erasePersonal ? ['personal'] : [];
    case 'record': {
      const d = decideRecord(item.record, rules);
      return d.action === 'retain' ? [] : [d.category];
    }
    case 'other':
      return [];
  }
}
