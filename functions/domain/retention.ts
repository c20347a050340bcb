import { isoDateIn, parseIsoDate } from './age.ts';

/**
 * R16 loan-history retention, the pure half: which day a returned loan must be older than, and
 * how the library's whole records table is cut into key-range segments for the daily run
 * (workflows/retention.asl.json; connectors/records-table/retention.ts does the reading and writing).
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

/** What the daily run does with a returned loan past its history period. */
export type LoanRetentionAction = 'anonymise' | 'keep-held' | 'keep-deleting';

/**
 * R16, R13: a loan past its history period is anonymised, unless its patron is under legal hold
 * (nothing is anonymised while a hold stands) or the patron's own deletion is under way (that
 * deletion anonymises it, under its own secret, and verifies it).
 */
export function loanRetentionAction(patron: { held: boolean; deleting: boolean }): LoanRetentionAction {
  if (patron.held) return 'keep-held';
  if (patron.deleting) return 'keep-deleting';
  return 'anonymise';
}

export const MAX_SEGMENTS = 64;

/** The Map's items: one per key-range segment of a parallel scan (ids only, R5). */
export function segmentsFor(totalSegments: number): { segment: number }[] {
  const n = Math.max(1, Math.min(MAX_SEGMENTS, Math.floor(totalSegments)));
  return Array.from({ length: n }, (_, segment) => ({ segment }));
}

/** The day's run name: one retention run per library day, so a repeated schedule starts nothing new. */
export const retentionRunId = (now: Date, timezone: string): string => isoDateIn(now, timezone);
