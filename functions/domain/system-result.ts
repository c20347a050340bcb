import * as z from './zod.ts';
import { CATEGORIES } from './categories.ts';

/**
 * R19: what one system answered for one request. One stored result per request and system, so a
 * retried or resumed step never repeats a system's work and the letters and reports are assembled
 * from these. Ids, counts and codes only (R5): a staff member's "could not" reason is the one
 * free text, and it is shown to staff, never logged.
 */
export const SYSTEM_STATES = [
  /** Not answered yet. */
  'pending',
  /** The system did what the request asked. */
  'done',
  /** The system holds nothing about the person. */
  'not-held',
  /** Staff could not do it (a manual system), with their reason: the privacy officer is told (R19). */
  'could-not',
  /** R8: a blocker stops the deletion in this system; re-checked daily, finishes by itself. */
  'blocked',
  /** The system did not answer after the step's retries; re-tried daily, the privacy officer told. */
  'unreachable',
] as const;
export type SystemState = (typeof SYSTEM_STATES)[number];

/** The states a request waits in: it completes only when no system is in one (R19). */
export const WAITING_STATES: readonly SystemState[] = ['pending', 'blocked', 'unreachable'];

export const blockerSchema = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('on-loan'), count: z.optional(z.number().check(z.int(), z.nonnegative())) }),
    z.strictObject({ kind: z.literal('money-owed'), amount: z.optional(z.number().check(z.nonnegative())) }),
    z.strictObject({ kind: z.literal('hold'), count: z.optional(z.number().check(z.int(), z.nonnegative())) }),
    z.strictObject({ kind: z.literal('guarantor') }),
    z.strictObject({ kind: z.literal('refused-by-system'), code: z.string().check(z.maxLength(64)) }),
  ]),
);

export const systemResultSchema = z.lazy(() =>
  z.object({
    requestId: z.string(),
    systemId: z.string(),
    version: z.number().check(z.int(), z.nonnegative()),
    state: z.enum(SYSTEM_STATES),
    /** The person's id in this system, once found (never a card number or a name, R5). */
    ref: z.optional(z.string()),
    /** Read kinds: records this system holds, per category. */
    counts: z.optional(z.partialRecord(z.enum(CATEGORIES), z.number().check(z.int(), z.nonnegative()))),
    /** R8: what stops a deletion here. */
    blockers: z.optional(z.array(blockerSchema)),
    /** R8: the system keeps a copy until a job of its own runs (Koha's deletedborrowers). */
    pendingCleanup: z.optional(z.boolean()),
    /** R8: categories kept for a retention period, with the first day they may go. */
    retained: z.optional(z.array(z.object({ category: z.enum(CATEGORIES), until: z.optional(z.string()) }))),
    /** could-not: the staff member's words; unreachable: the error's name, never its message. */
    reason: z.optional(z.string().check(z.maxLength(2000))),
    /** Who answered a manual system's task (a staff id and role), or `system`. */
    answeredBy: z.optional(z.string()),
    answeredAt: z.optional(z.string()),
    /** While blocked or unreachable: when to try again, and the waiting step's callback token. */
    recheckAt: z.optional(z.string()),
    waitToken: z.optional(z.string()),
    /** How many times this system was tried again after waiting. */
    rechecks: z.optional(z.number().check(z.int(), z.nonnegative())),
    updatedAt: z.string(),
  }),
);
export type SystemResult = z.infer<typeof systemResultSchema>;

export const isWaiting = (r: Pick<SystemResult, 'state'>): boolean => WAITING_STATES.includes(r.state);

/** R8: the next daily re-check of a waiting system, in whole days from now. */
export const nextRecheck = (now: Date, days = 1): string => new Date(now.getTime() + days * 86_400_000).toISOString();

/**
 * R19: the patron-facing answer of one system (CONTRACT.md: `done`, `not-held` or `could-not`);
 * a system still waiting reads as `waiting`, never as done.
 */
export type PublicSystemResult = 'done' | 'not-held' | 'could-not' | 'waiting';
export function publicResult(r: Pick<SystemResult, 'state'>): PublicSystemResult {
  switch (r.state) {
    case 'done':
    case 'not-held':
    case 'could-not':
      return r.state;
    default:
      return 'waiting';
  }
}
