import * as z from './zod.ts';
import { isoDateIn, parseIsoDate } from './age.ts';
import { isClockPaused } from './deadlines.ts';
import { CSV_BOM, csvLine } from './export-format.ts';
import { REQUEST_KINDS, REQUEST_STATUSES, TERMINAL_STATUSES, type RequestKind, type RequestStatus } from './request.ts';
import { multiLine } from './plain-text.ts';

/**
 * The staff desk's rules, pure (no AWS): the queue's days left, the one extension of a deadline
 * (R15), and the de-identified statistics (R3). The handler (handlers/api-staff.ts) reads the
 * requests table by index and hands the rows here.
 */

const DAY_MS = 86_400_000;

export const OPEN_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter((s) => !TERMINAL_STATUSES.has(s));

/** R15: the longest extension staff may give, once per request (two months, as data-protection practice allows). */
export const MAX_EXTENSION_DAYS = 60;

export const extensionSchema = z.lazy(() =>
  z.strictObject({
    days: z.coerce
      .number()
      .check(
        z.int('whole days'),
        z.gte(1, 'at least 1 day'),
        z.lte(MAX_EXTENSION_DAYS, `at most ${MAX_EXTENSION_DAYS} days`),
      ),
    // R5, R17: the requester reads it in a letter; no control or direction characters.
    reason: multiLine().check(z.minLength(1, 'required: the requester will read it'), z.maxLength(1000)),
  }),
);

/**
 * R15: while a request waits on the requester its clock is paused, so its due date moves with the
 * wait. The effective due date is the stored one plus the pause so far.
 */
export function effectiveDue(r: { dueAt: string; waitingSince?: string | undefined }, now: Date): Date {
  const due = Date.parse(r.dueAt);
  if (!r.waitingSince) return new Date(due);
  return new Date(due + Math.max(0, now.getTime() - Date.parse(r.waitingSince)));
}

/** Whole days left until the effective due date: 0 on the day it falls due, negative once overdue. */
export function daysLeft(r: { dueAt: string; waitingSince?: string | undefined }, now: Date): number {
  return Math.ceil((effectiveDue(r, now).getTime() - now.getTime()) / DAY_MS);
}

/** What the queue shows of a request: ids, enums and dates; never a name, email or card number (R1, R5). */
export interface QueueItem {
  requestId: string;
  kind: RequestKind;
  status: RequestStatus;
  createdAt: string;
  dueAt: string;
  daysLeft: number;
  overdue: boolean;
  /** R15: the clock is paused while the request waits on the requester. */
  paused: boolean;
  extended: boolean;
}

/** The attributes the queue reads from the index: nothing else leaves the table (R1). */
export const QUEUE_ATTRIBUTES = [
  'requestId',
  'kind',
  'status',
  'createdAt',
  'dueAt',
  'waitingSince',
  'matched',
  'extension.days',
] as const;

/**
 * R15, as the deadline sweep counts it (deadlines.ts): a request whose clock is paused (waiting on
 * the requester or the data subject) is never overdue; any other open request is once its
 * (pause-adjusted) due date has passed.
 */
export function isOverdueNow(
  r: { status: RequestStatus; dueAt: string; waitingSince?: string | undefined },
  now: Date,
): boolean {
  return !TERMINAL_STATUSES.has(r.status) && !isClockPaused(r) && effectiveDue(r, now).getTime() <= now.getTime();
}

export function queueItem(row: Record<string, unknown>, now: Date): QueueItem | undefined {
  // An unmatched request ends quietly (it looks like one waiting for verification): no staff work.
  if (row.matched === false) return undefined;
  const r = {
    status: row.status as RequestStatus,
    dueAt: String(row.dueAt),
    ...(typeof row.waitingSince === 'string' ? { waitingSince: row.waitingSince } : {}),
  };
  return {
    requestId: String(row.requestId),
    kind: row.kind as RequestKind,
    status: r.status,
    createdAt: String(row.createdAt),
    dueAt: effectiveDue(r, now).toISOString(),
    daysLeft: daysLeft(r, now),
    overdue: isOverdueNow(r, now),
    paused: isClockPaused(r),
    extended: typeof (row.extension as { days?: unknown } | undefined)?.days === 'number',
  };
}

/** Soonest due first; ties by id, so the order is stable. */
export const byDue = (a: QueueItem, b: QueueItem): number =>
  a.dueAt.localeCompare(b.dueAt) || a.requestId.localeCompare(b.requestId);

// ---------------------------------------------------------------------------------------------
// R3: statistics

/** R3: any count under this is shown as "<5", so that no person can be singled out. */
export const SMALL_COUNT = 5;
/**
 * R3 secondary suppression: a count shown neither as itself nor as "<5", because with the total it
 * would let a small count be recovered by subtraction.
 */
export const HIDDEN = 'hidden';
export type Count = number | '<5' | typeof HIDDEN;
export const suppress = (n: number): Count => (n < SMALL_COUNT ? '<5' : n);

/**
 * R3: one breakdown of the total (by kind, status or month), each count under 5 shown as "<5". When
 * exactly one count is small, the others and the total would give it away, so the smallest of the
 * others is hidden too: two unknowns, one equation.
 */
export function protectBreakdown(cells: ReadonlyMap<string, number>): Record<string, Count> {
  const out: Record<string, Count> = Object.fromEntries([...cells].map(([k, n]) => [k, suppress(n)]));
  const small = [...cells].filter(([, n]) => n < SMALL_COUNT);
  if (small.length === 1) {
    const next = [...cells]
      .filter(([, n]) => n >= SMALL_COUNT)
      .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))[0];
    if (next) out[next[0]] = HIDDEN;
  }
  return out;
}

/**
 * The attributes statistics read: kind, status and dates only. No request id, patron id or any
 * personal field ever reaches this code (R3): the query projects only these, and the request id,
 * which the reader (app/request-statistics.ts) keeps only to count each request once.
 */
export const STATS_ATTRIBUTES = [
  'kind',
  'status',
  'createdAt',
  'dueAt',
  'closedAt',
  'updatedAt',
  'waitingSince',
  'matched',
  'verifyBy',
  'verification.method',
] as const;

export interface StatsRow {
  kind: RequestKind;
  status: RequestStatus;
  createdAt: string;
  dueAt: string;
  closedAt?: string;
  updatedAt?: string;
  waitingSince?: string;
  matched?: boolean;
  verifyBy?: string;
  verified?: boolean;
}

export const statsRow = (item: Record<string, unknown>): StatsRow => ({
  kind: item.kind as RequestKind,
  status: item.status as RequestStatus,
  createdAt: String(item.createdAt),
  dueAt: String(item.dueAt),
  ...(typeof item.closedAt === 'string' ? { closedAt: item.closedAt } : {}),
  ...(typeof item.updatedAt === 'string' ? { updatedAt: item.updatedAt } : {}),
  ...(typeof item.waitingSince === 'string' ? { waitingSince: item.waitingSince } : {}),
  ...(typeof item.matched === 'boolean' ? { matched: item.matched } : {}),
  ...(typeof item.verifyBy === 'string' ? { verifyBy: item.verifyBy } : {}),
  verified: typeof (item.verification as { method?: unknown } | undefined)?.method === 'string',
});

export interface StatsRange {
  /** Library calendar days, inclusive: the first day of a month and the last day of a month. */
  from: string;
  to: string;
}

export const MAX_STATS_DAYS = 3 * 366;

const monthStart = (y: number, m: number): string => new Date(Date.UTC(y, m - 1, 1)).toISOString().slice(0, 10);
const monthEnd = (y: number, m: number): string => new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
const yearMonth = (value: string, field: string): [number, number] => {
  // A whole day names its month; the day itself is checked, then dropped (R3: whole months only).
  const d = parseIsoDate(/^\d{4}-\d{2}$/.test(value) ? `${value}-01` : value, field);
  return [d.year, d.month];
};

/**
 * R3: `from`/`to` as the query gives them (`YYYY-MM`, or a day, which stands for its month), widened
 * to whole calendar months and ending with the last month that has ended: a day, or a month still
 * running, would let two reports one day apart tell the day something arrived. Default: the twelve
 * months up to the last one that has ended (library time).
 */
export function statsRange(
  query: { from?: string | undefined; to?: string | undefined },
  now: Date,
  timezone: string,
): StatsRange {
  const [ty, tm] = yearMonth(isoDateIn(now, timezone), 'today');
  const lastEnded = tm === 1 ? ([ty - 1, 12] as const) : ([ty, tm - 1] as const);
  let [y2, m2] = query.to ? yearMonth(query.to, 'to') : lastEnded;
  if (y2 * 12 + m2 > lastEnded[0] * 12 + lastEnded[1]) [y2, m2] = lastEnded;
  const twelveBack = y2 * 12 + (m2 - 1) - 11;
  const [y1, m1] = query.from ? yearMonth(query.from, 'from') : [Math.floor(twelveBack / 12), (twelveBack % 12) + 1];
  const from = monthStart(y1, m1);
  const to = monthEnd(y2, m2);
  if (from > to) throw new RangeError('from is after to');
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS > MAX_STATS_DAYS) throw new RangeError('range too long');
  return { from, to };
}

/**
 * The lower bound of the index read: gsi2 sorts each status by due date, and a request is due
 * after it was received (deadlines are positive; pauses and extensions only add), so every request
 * received from `from` on has a due date from `from` on. A day earlier covers any time zone.
 */
export const dueLowerBound = (range: StatsRange): string =>
  new Date(Date.parse(range.from) - DAY_MS).toISOString().slice(0, 10);

export interface StatsReport {
  from: string;
  to: string;
  timezone: string;
  generatedAt: string;
  /** What is counted: requests received in the range, by the library's calendar. */
  basis: string;
  suppression: string;
  total: Count;
  byKind: Record<string, Count>;
  byStatus: Record<string, Count>;
  byMonth: Record<string, Count>;
  completed: Count;
  /** Median whole-and-tenth days from receipt to completion; null when fewer than 5 completed (R3). */
  medianDaysToComplete: number | null;
  /** Open now and past the (pause-adjusted) due date. */
  overdue: Count;
  /** Completed, but after the due date. */
  completedLate: Count;
}

const monthsOf = (range: StatsRange): string[] => {
  const out: string[] = [];
  let [y, m] = range.from.split('-').map(Number) as [number, number];
  const end = range.to.slice(0, 7);
  for (;;) {
    const key = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}`;
    out.push(key);
    if (key >= end) return out;
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
};

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const m = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(m * 10) / 10;
}

/** As the requester would see it: an unverified request whose link time has passed has expired. */
const reportedStatus = (r: StatsRow, now: Date): RequestStatus =>
  r.status === 'verifying' && !r.verified && r.verifyBy && now.getTime() >= Date.parse(r.verifyBy)
    ? 'expired'
    : r.status;

/**
 * R3: counts by kind, status and month of receipt, the median days to complete, and overdue
 * counts, with every count under 5 shown as "<5" and no identifier anywhere.
 */
export function buildStats(
  rows: Iterable<StatsRow>,
  range: StatsRange,
  now: Date,
  timezone: string,
  opts: { courtOrders: boolean } = { courtOrders: true },
): StatsReport {
  // R3, R13a: court orders are counted only for the roles that may see them; for the others they
  // are left out of every figure, so no total gives them away.
  const kinds = REQUEST_KINDS.filter((k) => opts.courtOrders || k !== 'court-order');
  const byKind = new Map<string, number>(kinds.map((k) => [k, 0]));
  const byStatus = new Map<string, number>(REQUEST_STATUSES.map((s) => [s, 0]));
  const months = monthsOf(range);
  const byMonth = new Map<string, number>(months.map((m) => [m, 0]));
  const durations: number[] = [];
  let total = 0;
  let overdue = 0;
  let completedLate = 0;
  for (const r of rows) {
    if (!byKind.has(r.kind)) continue;
    const day = isoDateIn(new Date(r.createdAt), timezone);
    if (day < range.from || day > range.to) continue;
    total++;
    const status = reportedStatus(r, now);
    byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    const month = day.slice(0, 7);
    byMonth.set(month, (byMonth.get(month) ?? 0) + 1);
    if (status === 'completed') {
      const closed = Date.parse(r.closedAt ?? r.updatedAt ?? r.createdAt);
      durations.push((closed - Date.parse(r.createdAt)) / DAY_MS);
      if (closed > Date.parse(r.dueAt)) completedLate++;
    } else if (r.matched !== false && isOverdueNow({ ...r, status }, now)) {
      overdue++;
    }
  }
  return {
    from: range.from,
    to: range.to,
    timezone,
    generatedAt: now.toISOString(),
    basis: 'requests received from "from" to "to" inclusive, by the library calendar',
    suppression:
      'every count under 5 is shown as "<5"; where one small count could be recovered from the total, another count is "hidden"; the median needs at least 5 completed requests',
    total: suppress(total),
    byKind: protectBreakdown(byKind),
    byStatus: protectBreakdown(byStatus),
    byMonth: protectBreakdown(byMonth),
    completed: suppress(durations.length),
    medianDaysToComplete: durations.length >= SMALL_COUNT ? median(durations) : null,
    overdue: suppress(overdue),
    completedLate: suppress(completedLate),
  };
}

// ---------------------------------------------------------------------------------------------
// CSV

/** The statistics as one CSV table (RFC 4180, as the exports: export-format.ts): section, key, value. */
export function statsToCsv(s: StatsReport): string {
  const rows: (string | number)[][] = [
    ['range', 'from', s.from],
    ['range', 'to', s.to],
    ['range', 'timezone', s.timezone],
    ['total', 'requests', s.total],
    ...Object.entries(s.byKind).map(([k, v]) => ['kind', k, v]),
    ...Object.entries(s.byStatus).map(([k, v]) => ['status', k, v]),
    ...Object.entries(s.byMonth).map(([k, v]) => ['month', k, v]),
    ['completion', 'completed', s.completed],
    ['completion', 'median-days-to-complete', s.medianDaysToComplete ?? 'suppressed'],
    ['deadline', 'overdue-open', s.overdue],
    ['deadline', 'completed-late', s.completedLate],
  ];
  return CSV_BOM + csvLine(['section', 'key', 'value']) + rows.map((r) => csvLine(r)).join('');
}

/** R4: the requests staff may make at the desk for a person present: a patron's own, or a guardian's; never a third party's. */
export const DESK_KINDS: readonly RequestKind[] = ['access', 'export', 'correction', 'deletion', 'guardian-access'];
