import { addYears, calendarDateIn, compareDates, formatIsoDate, parseIsoDate } from './age.ts';
import * as z from './zod.ts';
import { lazy } from './lazy.ts';
import { CATEGORIES, type Category } from './categories.ts';
import type { Policy } from './policy.ts';
import { retentionCutoff } from './retention.ts';

/**
 * R8: a deletion is planned before it is done. The plan says, for each category, erase, anonymise,
 * delete or retain, with the reason, and carries counts only: no personal data, so it can be shown
 * to staff for approval and written to the audit trail (R5, R17). Pure: no I/O, no clock.
 *
 * The plan names the legal hold as `legal-hold`: it is for staff. A patron only ever sees
 * `patronOutcome`, which gives the reason an ordinary blocker gives instead (R13a, `HELD_REASON`).
 */

export const RETAIN_REASONS = [
  'legal-hold',
  'items-on-loan',
  'money-outstanding',
  'guarantor-of-minor',
  'retention-period',
] as const;
export type RetainReason = (typeof RETAIN_REASONS)[number];

export type StepAction = 'erase' | 'anonymise' | 'delete' | 'retain' | 'not-applicable';

export interface PlanStep {
  category: Category;
  action: StepAction;
  /** How many records the step covers (personal: the profile, 1). The same profile may be retained for several reasons. */
  count: number;
  /** Only on `retain`. */
  reason?: RetainReason;
  /** `retain` for a retention period: the first day (YYYY-MM-DD, library time) the records may be anonymised. */
  until?: string;
  /**
   * `anonymise` of payments and donations: only records dated on or before this day (library time)
   * are past their retention period. The executor anonymises nothing newer, even if it appeared
   * after the plan was made.
   */
  cutoff?: string;
}

export interface DeletionPlan {
  version: 1;
  mode: 'full' | 'partial' | 'blocked';
  steps: PlanStep[];
  /** Every reason something is retained, in `RETAIN_REASONS` order. */
  blockers: RetainReason[];
  /** R8 (donations): outreach to the patron stops at once, whatever else the plan keeps. */
  stopOutreach: true;
  /** The library's calendar day the plan was made for (YYYY-MM-DD). */
  asOf: string;
  /** The library's time zone: the executor reads record dates in it, as the plan did. */
  timezone: string;
  /**
   * R19: the systems the deletion reaches, for the approver: each erases through its connector
   * or is a task to its staff. The steps above are the records table's; each system's result
   * says what it did (domain/deletion-outcome.ts).
   */
  systems?: PlannedSystem[];
}

export interface PlannedSystem {
  systemId: string;
  name: string;
  how: 'connector' | 'staff-task';
  /** R20: outreach stops there too. */
  outreach: boolean;
}

/**
 * What the records hold for one patron, as counts (a connector gathers them: records-table
 * `collectDeletionFacts` counts with erasure-decisions.ts `deletionFactsTally`). Dates are calendar
 * days in the library's time zone.
 */
export interface DeletionFacts {
  openLoans: number;
  returnedLoans: number;
  holds: number;
  programs: number;
  /** The money still owed, summed over fines. */
  outstandingBalance: number;
  /** How many fines still have money outstanding. */
  outstandingFines: number;
  /** Fines with nothing outstanding. */
  paidFines: number;
  /** The creation day of the newest paid fine, or null. */
  paidFinesNewestDate: string | null;
  /**
   * R8, R16: paid fines already past their own period on the plan's day, anonymised now while the
   * rest wait for theirs. Absent (a reader that does not count it): none is taken to be past unless
   * the newest is.
   */
  paidFinesPastPeriod?: number;
  /** `pastPeriod`: as `paidFinesPastPeriod`, for gifts. */
  donations: { count: number; newestDate: string | null; pastPeriod?: number };
  sharedContent: number;
  hasCredentials: boolean;
  /** The patron guarantees a card whose holder is under `policy.minors.adultAge` today (R11). */
  guaranteesMinor: boolean;
  legalHold: { active: boolean; nondisclosure: boolean };
}

export interface DeletionPlanInput {
  patronId: string;
  now: Date;
  timezone: string;
  policy: Policy;
  facts: DeletionFacts;
}

/** Categories that hold nothing about the patron (R4: not retained; automatic: not linked). */
const NOTHING_STORED: readonly Category[] = ['residency', 'automatic'];

export { retentionCutoff };

/** A period that started on `from` and lasts `years` is still running on `asOf`: returns its end, or null if it has ended. */
function retainedUntil(from: string | null, years: number, asOf: string): string | null {
  if (from === null) return null;
  const end = addYears(parseIsoDate(from), years);
  return compareDates(parseIsoDate(asOf), end) < 0 ? formatIsoDate(end) : null;
}

const nonNegative = (n: number): number => (Number.isFinite(n) && n > 0 ? Math.floor(n) : 0);

/**
 * R8, R16: records kept for a period count it each from their own date. Those already past it are
 * anonymised now (the step's `cutoff`: the executor re-checks each record's date); the others are
 * retained, and the daily retention run anonymises each when its own period ends. `until` is when the
 * newest one's ends: the day the last of them goes.
 */
function periodSteps(
  category: 'payments' | 'donations',
  count: number,
  pastPeriod: number | undefined,
  newest: string | null,
  years: number,
  asOf: string,
): PlanStep[] {
  const until = count > 0 ? retainedUntil(newest, years, asOf) : null;
  const past = until === null ? count : Math.min(count, nonNegative(pastPeriod ?? 0));
  const steps: PlanStep[] = [];
  if (until !== null && count - past > 0)
    steps.push({ category, action: 'retain', count: count - past, reason: 'retention-period', until });
  if (until === null || past > 0)
    steps.push({ category, action: 'anonymise', count: past, cutoff: retentionCutoff(asOf, years) });
  return steps;
}

export function buildDeletionPlan(input: DeletionPlanInput): DeletionPlan {
  const { facts: f, policy, timezone } = input;
  const asOf = formatIsoDate(calendarDateIn(input.now, timezone));
  const libraryRecords =
    nonNegative(f.openLoans) + nonNegative(f.returnedLoans) + nonNegative(f.holds) + nonNegative(f.programs);
  const payments = nonNegative(f.outstandingFines) + nonNegative(f.paidFines);
  const steps: PlanStep[] = [];

  if (f.legalHold.active) {
    // R13: from the moment an order is received nothing is deleted or anonymised: every category
    // that holds anything is retained. Residency and automatic data hold nothing to retain (R4).
    const held: Record<Category, number> = {
      personal: 1,
      residency: 0,
      credentials: f.hasCredentials ? 1 : 0,
      'library-records': libraryRecords,
      payments,
      donations: nonNegative(f.donations.count),
      'shared-content': nonNegative(f.sharedContent),
      automatic: 0,
    };
    for (const category of CATEGORIES) {
      steps.push(
        NOTHING_STORED.includes(category)
          ? { category, action: 'not-applicable', count: 0 }
          : { category, action: 'retain', count: held[category], reason: 'legal-hold' },
      );
    }
    return { version: 1, mode: 'blocked', steps, blockers: ['legal-hold'], stopOutreach: true, asOf, timezone };
  }

  const onLoan = nonNegative(f.openLoans) > 0;
  // A balance without a counted fine (or the reverse) still means money is owed: either blocks.
  const owes = nonNegative(f.outstandingFines) > 0 || f.outstandingBalance > 0;

  // personal: kept while the library must reach the person (R8 blockers), else erased.
  const personalReasons: RetainReason[] = [];
  if (onLoan) personalReasons.push('items-on-loan');
  if (owes) personalReasons.push('money-outstanding');
  if (f.guaranteesMinor) personalReasons.push('guarantor-of-minor');
  if (personalReasons.length === 0) steps.push({ category: 'personal', action: 'erase', count: 1 });
  else for (const reason of personalReasons) steps.push({ category: 'personal', action: 'retain', count: 1, reason });

  steps.push({ category: 'residency', action: 'not-applicable', count: 0 });

  // credentials: the whole login goes (username, password hash, security questions).
  steps.push({ category: 'credentials', action: 'erase', count: f.hasCredentials ? 1 : 0 });

  // library-records: open loans stay so the items can be recovered; the rest is unlinked.
  if (onLoan)
    steps.push({
      category: 'library-records',
      action: 'retain',
      count: nonNegative(f.openLoans),
      reason: 'items-on-loan',
    });
  steps.push({
    category: 'library-records',
    action: 'anonymise',
    count: nonNegative(f.returnedLoans) + nonNegative(f.holds) + nonNegative(f.programs),
  });

  // payments: outstanding fines stay; each paid fine stays for its own accounting period, then is anonymised.
  if (nonNegative(f.outstandingFines) > 0) {
    steps.push({
      category: 'payments',
      action: 'retain',
      count: nonNegative(f.outstandingFines),
      reason: 'money-outstanding',
    });
  }
  steps.push(
    ...periodSteps(
      'payments',
      nonNegative(f.paidFines),
      f.paidFinesPastPeriod,
      f.paidFinesNewestDate,
      policy.retention.paymentsYears,
      asOf,
    ),
  );

  // donations: each gift is kept for its own accounting period, then anonymised; outreach stops now.
  steps.push(
    ...periodSteps(
      'donations',
      nonNegative(f.donations.count),
      f.donations.pastPeriod,
      f.donations.newestDate,
      policy.retention.donationsYears,
      asOf,
    ),
  );

  steps.push({ category: 'shared-content', action: 'delete', count: nonNegative(f.sharedContent) });
  steps.push({ category: 'automatic', action: 'not-applicable', count: 0 });

  const reasons = new Set(steps.flatMap((s) => (s.action === 'retain' && s.reason ? [s.reason] : [])));
  const blockers = RETAIN_REASONS.filter((r) => reasons.has(r));
  return {
    version: 1,
    mode: blockers.length === 0 ? 'full' : 'partial',
    steps,
    blockers,
    stopOutreach: true,
    asOf,
    timezone,
  };
}

const isoDay = lazy(() => z.iso.date());

/** A plan read back from storage or a task input (a boundary): the same shape `buildDeletionPlan` makes. */
export const deletionPlanSchema: z.ZodMiniType<DeletionPlan> = z.lazy(() =>
  z.strictObject({
    version: z.literal(1),
    mode: z.enum(['full', 'partial', 'blocked']),
    steps: z.array(
      z.strictObject({
        category: z.enum(CATEGORIES),
        action: z.enum(['erase', 'anonymise', 'delete', 'retain', 'not-applicable']),
        count: z.number().check(z.int(), z.nonnegative()),
        reason: z.optional(z.enum(RETAIN_REASONS)),
        until: z.optional(isoDay()),
        cutoff: z.optional(isoDay()),
      }),
    ),
    blockers: z.array(z.enum(RETAIN_REASONS)),
    stopOutreach: z.literal(true),
    asOf: isoDay(),
    timezone: z.string().check(z.minLength(1), z.maxLength(64)),
    systems: z.optional(
      z.array(
        z.strictObject({
          systemId: z.string().check(z.minLength(1), z.maxLength(40)),
          name: z.string().check(z.minLength(1), z.maxLength(100)),
          how: z.enum(['connector', 'staff-task']),
          outreach: z.boolean(),
        }),
      ),
    ),
  }),
);

/** The first step of `plan` for `category` with `action`, if any. */
export const stepFor = (plan: DeletionPlan, category: Category, action: StepAction): PlanStep | undefined =>
  plan.steps.find((s) => s.category === category && s.action === action);

/** The outcome a completed deletion reports to the patron (CONTRACT.md). */
export interface PatronOutcome {
  erased: Category[];
  anonymised: Category[];
  retained: { category: Category; reason: string }[];
}

/**
 * R13a: the only reason a patron ever sees for a legal hold. It is the reason a system's own refusal
 * gives (`refused-by-system`, domain/deletion-outcome.ts), so a held deletion reads exactly like one
 * waiting on an ordinary blocker: a reason of its own would tell the patron an order exists.
 */
export const HELD_REASON = 'not-yet-possible';

/**
 * What the patron is told: what was removed, what was kept and why (R8). A legal hold is ALWAYS
 * reported as `HELD_REASON` (R13a), whether or not the order forbids notice: saying
 * "legal hold" only when notice is allowed would make the other wording reveal the order.
 * `hideLegalHold` is accepted for the caller's clarity; it cannot make the wording more revealing.
 * Categories with nothing in them are not listed; a `delete` counts as erased.
 */
export function patronOutcome(plan: DeletionPlan, _opts: { hideLegalHold: boolean }): PatronOutcome {
  const erased = new Set<Category>();
  const anonymised = new Set<Category>();
  const retained = new Map<string, { category: Category; reason: string }>();
  for (const s of plan.steps) {
    if (s.count <= 0) continue;
    if (s.action === 'erase' || s.action === 'delete') erased.add(s.category);
    else if (s.action === 'anonymise') anonymised.add(s.category);
    else if (s.action === 'retain') {
      const reason = s.reason === undefined || s.reason === 'legal-hold' ? HELD_REASON : s.reason;
      retained.set(`${s.category}|${reason}`, { category: s.category, reason });
    }
  }
  const inOrder = (set: Set<Category>) => CATEGORIES.filter((c) => set.has(c));
  const order = (c: Category) => CATEGORIES.indexOf(c);
  return {
    erased: inOrder(erased),
    anonymised: inOrder(anonymised),
    retained: [...retained.values()].sort((a, b) => order(a.category) - order(b.category)),
  };
}
