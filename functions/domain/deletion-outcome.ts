import { CATEGORIES, type Category } from './categories.ts';
import { HELD_REASON, type DeletionPlan } from './deletion-plan.ts';
import type { DeletionOutcome, RetainedCategory } from './request.ts';
import { publicResult, type PublicSystemResult, type SystemResult } from './system-result.ts';
import type { SystemConfig } from './systems.ts';

/**
 * R8, R19: what a deletion did, assembled from the per-system results, and nothing more. Pure.
 *
 * - A category is `erased` (or `anonymised`) only if every system holding it did so; a system that
 *   has not finished (blocked, unreachable, pending, could-not) keeps the category in `retained`
 *   with the reason it waits.
 * - R8: a system that still keeps a copy until a job of its own runs (Koha's `deletedborrowers`,
 *   `pendingCleanup`) has not removed anything yet: its categories are `retained` as
 *   `pending-cleanup`, never `erased`.
 * - R13a: a hold reads as a system's own refusal (`HELD_REASON`), as in the plan's outcome: a held
 *   deletion looks like one waiting on any other blocker, and nothing names an order.
 * - R20: outreach has stopped only if every outreach system answered done (the person gone there,
 *   or kept with outreach switched off).
 */

/** What the policy does to each category on deletion (POLICY.md's table); the rest hold nothing. */
const POLICY_ACTION: Partial<Record<Category, 'erased' | 'anonymised'>> = {
  personal: 'erased',
  credentials: 'erased',
  'library-records': 'anonymised',
  payments: 'anonymised',
  donations: 'anonymised',
  'shared-content': 'erased',
};

/** The patron-facing reasons a category is kept; a blocker's kind maps to one (R13a: a hold to the reason a refusal gives). */
export const BLOCKER_REASONS = {
  'on-loan': 'items-on-loan',
  'money-owed': 'money-outstanding',
  hold: HELD_REASON,
  guarantor: 'guarantor-of-minor',
  'refused-by-system': HELD_REASON,
} as const;

/** Why a system that has not finished keeps what it holds. */
const UNFINISHED_REASONS = {
  pending: 'in-progress',
  unreachable: 'system-unavailable',
  'could-not': 'could-not',
} as const;

export const PENDING_CLEANUP = 'pending-cleanup';

/** One system's line in the letter: ids, codes and the system's display name only. */
export interface SystemLine {
  systemId: string;
  name: string;
  result: PublicSystemResult;
  /** Why it waits (patron-facing reason codes), when it waits. */
  reasons: string[];
  /** R8: done, but the system keeps a copy until its own cleanup job runs. */
  pendingCleanup: boolean;
}

export interface DeletionReport {
  outcome: DeletionOutcome;
  systems: SystemLine[];
  /** R20: every outreach system stopped outreach (and there is at least one). */
  outreachStopped: boolean;
  /** Some system has not finished: the deletion waits. */
  waiting: boolean;
}

export interface ReportInput {
  /** The systems the deletion reached (their results), in the systems file's order. */
  systems: { config: SystemConfig; result: SystemResult }[];
  /**
   * The records table's plan, as last carried out (the erase step keeps it current): the records
   * table erases what may go even while a blocker keeps the person, so its detail is the plan's.
   */
  plan?: DeletionPlan;
  /** R20: outreach systems that kept the person but had outreach switched off. */
  outreachStoppedIn: readonly string[];
  /** What an earlier report said was erased or anonymised: done is never undone. */
  previous?: Pick<DeletionOutcome, 'erased' | 'anonymised'>;
}

type Effect = { done?: 'erased' | 'anonymised'; kept: RetainedCategory[] };

const retainedOf = (category: Category, reason: string, until?: string): RetainedCategory => ({
  category,
  reason,
  ...(until ? { until } : {}),
});

/** What a plan did to one category in the records table. */
function planEffect(plan: DeletionPlan, category: Category): Effect | undefined {
  const effect: Effect = { kept: [] };
  let any = false;
  for (const s of plan.steps) {
    if (s.category !== category || s.count <= 0) continue;
    any = true;
    if (s.action === 'erase' || s.action === 'delete') effect.done = effect.done ?? 'erased';
    else if (s.action === 'anonymise') effect.done = 'anonymised';
    else if (s.action === 'retain')
      effect.kept.push(
        retainedOf(category, s.reason === undefined || s.reason === 'legal-hold' ? HELD_REASON : s.reason, s.until),
      );
  }
  return any ? effect : undefined;
}

/** What one system did to one category; undefined when it holds nothing of it. */
function effectOf(
  config: SystemConfig,
  result: SystemResult,
  category: Category,
  plan: DeletionPlan | undefined,
): Effect | undefined {
  const action = POLICY_ACTION[category];
  if (!action || !config.categories.includes(category)) return undefined;
  if (result.state === 'not-held') return undefined;
  if (result.counts && (result.counts[category] ?? 0) === 0) return undefined;
  if (config.type === 'records-table' && plan && (result.state === 'done' || result.state === 'blocked')) {
    // A hold keeps everything; the plan says so too (mode `blocked`), but the result is the truth.
    // R13a: only categories that hold something are listed, as for any other blocker: listing empty
    // ones would set a held deletion apart.
    if (result.blockers?.some((b) => b.kind === 'hold'))
      return plan.steps.some((s) => s.category === category && s.count > 0)
        ? { kept: [retainedOf(category, HELD_REASON)] }
        : undefined;
    return planEffect(plan, category);
  }
  switch (result.state) {
    case 'done': {
      const kept = result.retained?.find((r) => r.category === category);
      if (kept) return { kept: [retainedOf(category, 'retention-period', kept.until)] };
      if (result.pendingCleanup) return { kept: [retainedOf(category, PENDING_CLEANUP)] };
      return { done: action, kept: [] };
    }
    case 'blocked': {
      const reasons = [...new Set((result.blockers ?? []).map((b) => BLOCKER_REASONS[b.kind]))];
      const list: string[] = reasons.length > 0 ? reasons : ['not-yet-possible'];
      return { kept: list.map((r) => retainedOf(category, r)) };
    }
    default:
      return { kept: [retainedOf(category, UNFINISHED_REASONS[result.state])] };
  }
}

const reasonsOf = (r: SystemResult): string[] => {
  if (r.state === 'blocked')
    return [...new Set((r.blockers ?? []).map((b) => BLOCKER_REASONS[b.kind]))].sort() as string[];
  if (r.state === 'pending' || r.state === 'unreachable' || r.state === 'could-not')
    return [UNFINISHED_REASONS[r.state]];
  return [];
};

/** The outcome (CONTRACT.md) and the letter's system-by-system lines, from the stored results. */
export function deletionReport(input: ReportInput): DeletionReport {
  const erased = new Set<Category>(input.previous?.erased ?? []);
  const anonymised = new Set<Category>(input.previous?.anonymised ?? []);
  const retained = new Map<string, RetainedCategory>();
  for (const category of CATEGORIES) {
    const effects = input.systems.flatMap(({ config, result }) => {
      const e = effectOf(config, result, category, input.plan);
      return e ? [e] : [];
    });
    for (const e of effects) for (const k of e.kept) retained.set(`${k.category}|${k.reason}|${k.until ?? ''}`, k);
    // R8: done only where every system holding it has done it.
    if (effects.length === 0 || !effects.every((e) => e.done)) continue;
    if (effects.every((e) => e.done === 'erased')) erased.add(category);
    else anonymised.add(category);
  }
  // A category both erased (earlier) and anonymised (now) reads once, as the stronger.
  for (const c of erased) anonymised.delete(c);
  const inOrder = (set: Set<Category>) => CATEGORIES.filter((c) => set.has(c));
  const order = (c: Category) => CATEGORIES.indexOf(c);
  const systems: SystemLine[] = input.systems.map(({ config, result }) => ({
    systemId: config.id,
    name: config.name,
    result: publicResult(result),
    reasons: reasonsOf(result),
    pendingCleanup: result.state === 'done' && result.pendingCleanup === true,
  }));
  const outreach = input.systems.filter(({ config }) => config.outreach);
  const outreachStopped =
    outreach.length > 0 &&
    outreach.every(
      ({ config, result }) =>
        result.state === 'done' ||
        result.state === 'not-held' ||
        (result.state === 'blocked' && input.outreachStoppedIn.includes(config.id)),
    );
  return {
    outcome: {
      erased: inOrder(erased),
      anonymised: inOrder(anonymised),
      retained: [...retained.values()].sort((a, b) => order(a.category) - order(b.category)),
      systems: systems.map((s) => ({ system: s.name, result: s.result })),
    },
    systems,
    outreachStopped,
    waiting: systems.some((s) => s.result === 'waiting'),
  };
}
