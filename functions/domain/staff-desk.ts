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
 * R3 secondary suppression: a count shown neither as itself nor as "<5", because with other
 * published figures it would let a small count be recovered by subtraction: within a month, with the
 * month's total; over several months, with another report's figures (see buildStats).
 */
export const HIDDEN = 'hidden';
export type Count = number | '<5' | typeof HIDDEN;
export const suppress = (n: number): Count => (n < SMALL_COUNT ? '<5' : n);

/**
 * R3: one breakdown of a month's total (by kind or status), each count under 5 shown as "<5". The
 * total less the shown counts gives the small ones' sum. When that sum pins each of them, the
 * smallest of the others is hidden too, so the sum takes in a count that may be anything from 5 up:
 * - exactly one count is small: the sum is that count;
 * - every small count is 4 (the sum is 4 times their number): each is the most "<5" can be.
 * A sum of 0 pins them too, at zero, and is left shown: a count of nobody singles out no one, and
 * hiding a cell in every month whose other counts are all zero would withhold most months' figures.
 */
export function protectBreakdown(cells: ReadonlyMap<string, number>): Record<string, Count> {
  const out: Record<string, Count> = Object.fromEntries([...cells].map(([k, n]) => [k, suppress(n)]));
  const small = [...cells].filter(([, n]) => n < SMALL_COUNT);
  const smallSum = small.reduce((sum, [, n]) => sum + n, 0);
  if (small.length === 1 || (small.length > 1 && smallSum === small.length * (SMALL_COUNT - 1))) {
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
  /** Median whole-and-tenth days from receipt to completion; null unless `completed` is a number (R3). */
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

/** One month's true counts, before any protection. */
interface MonthTally {
  total: number;
  byKind: Map<string, number>;
  byStatus: Map<string, number>;
  overdue: number;
  completedLate: number;
  durations: number[];
}

/** R3: what a one-month report shows of its month, every count protected within that month alone. */
interface MonthTable {
  total: Count;
  byKind: Record<string, Count>;
  byStatus: Record<string, Count>;
  completed: Count;
  overdue: Count;
  completedLate: Count;
}

function protectMonth(t: MonthTally): MonthTable {
  const byStatus = protectBreakdown(t.byStatus);
  return {
    total: suppress(t.total),
    byKind: protectBreakdown(t.byKind),
    byStatus,
    // The same requests as the byStatus "completed" cell, so shown as that cell is: shown as a
    // number while hidden there, it would give away the one small status it was hidden to protect.
    completed: byStatus.completed ?? suppress(0),
    overdue: suppress(t.overdue),
    completedLate: suppress(t.completedLate),
  };
}

/**
 * R3: one figure over the report's months, from that figure's cell in each month's table. One month:
 * the cell as it is. Several: their sum when every cell is shown as a number, otherwise HIDDEN.
 */
function acrossMonths(cells: readonly Count[]): Count {
  if (cells.length === 1) return cells[0] as Count;
  let sum = 0;
  for (const c of cells) {
    if (typeof c !== 'number') return HIDDEN;
    sum += c;
  }
  return sum;
}

/**
 * R3: counts by kind, status and month of receipt, the median days to complete, and overdue
 * counts, with no identifier anywhere and no small count recoverable, whichever reports are asked.
 *
 * The calendar month is the unit. Each month's own table (its total, by kind, by status, completed,
 * overdue, completed late) is protected on its own, exactly as a one-month report: every count
 * under 5 is "<5", and where one small count in a breakdown could be recovered from the month's
 * total, the next smallest is hidden too. It depends only on that month's requests, so it is the
 * same in every report that covers the month. A report over several months shows, for each figure,
 * the sum of that figure's month cells only when every one of them is shown as a number, and
 * otherwise "hidden" (a zero month is a cell like any other: its 0 is "<5"); byMonth is each month's
 * own total. So every number any report shows is a month table's cell or a sum of cells the month
 * tables show: subtracting reports, in any number and any overlap, tells nothing the month tables
 * do not, and each of those is protected as a single report is.
 *
 * The median is not a sum, so it cannot be made safe by summing. Beside a hidden "completed" count it
 * would tell about that count: whether it is shown says the months together have 5 completed or
 * more, and whether it moves when a month is added says that month had any. It is shown only when
 * the report's completed count is a number (in a range, every month's), which keeps the rule of at
 * least 5 completed and leaves no hidden count for it to tell about.
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
  const months = monthsOf(range);
  const tallies = new Map<string, MonthTally>(
    months.map((m) => [
      m,
      {
        total: 0,
        byKind: new Map<string, number>(kinds.map((k) => [k, 0])),
        byStatus: new Map<string, number>(REQUEST_STATUSES.map((s) => [s, 0])),
        overdue: 0,
        completedLate: 0,
        durations: [],
      },
    ]),
  );
  for (const r of rows) {
    if (!kinds.includes(r.kind)) continue;
    const day = isoDateIn(new Date(r.createdAt), timezone);
    if (day < range.from || day > range.to) continue;
    const t = tallies.get(day.slice(0, 7));
    if (!t) continue;
    t.total++;
    const status = reportedStatus(r, now);
    t.byKind.set(r.kind, (t.byKind.get(r.kind) ?? 0) + 1);
    t.byStatus.set(status, (t.byStatus.get(status) ?? 0) + 1);
    if (status === 'completed') {
      const closed = Date.parse(r.closedAt ?? r.updatedAt ?? r.createdAt);
      t.durations.push((closed - Date.parse(r.createdAt)) / DAY_MS);
      if (closed > Date.parse(r.dueAt)) t.completedLate++;
    } else if (r.matched !== false && isOverdueNow({ ...r, status }, now)) {
      t.overdue++;
    }
  }
  const tables = [...tallies.values()].map(protectMonth);
  const across = (cell: (t: MonthTable) => Count | undefined): Count =>
    acrossMonths(tables.map((t) => cell(t) ?? suppress(0)));
  const completed = across((t) => t.completed);
  return {
    from: range.from,
    to: range.to,
    timezone,
    generatedAt: now.toISOString(),
    basis: 'requests received from "from" to "to" inclusive, by the library calendar',
    suppression:
      'each month is protected on its own: a count under 5 is shown as "<5", and where one small count could be worked out from the month\'s total, another is "hidden"; a figure over several months is the sum of the months\' figures when every month shows its figure as a number, and is "hidden" otherwise; byMonth shows each month\'s own total; the median is shown only when the completed count is shown as a number, so at least 5 completed in every month',
    total: across((t) => t.total),
    byKind: Object.fromEntries(kinds.map((k) => [k, across((t) => t.byKind[k])])),
    byStatus: Object.fromEntries(REQUEST_STATUSES.map((s) => [s, across((t) => t.byStatus[s])])),
    byMonth: Object.fromEntries(months.map((m, i) => [m, (tables[i] as MonthTable).total])),
    completed,
    medianDaysToComplete:
      typeof completed === 'number' ? median([...tallies.values()].flatMap((t) => t.durations)) : null,
    overdue: across((t) => t.overdue),
    completedLate: across((t) => t.completedLate),
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
