import * as z from '../domain/zod.ts';
import { lazy } from '../domain/lazy.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { REQUEST_STATUSES } from '../domain/request.ts';
import {
  buildStats,
  dueLowerBound,
  statsRange,
  statsRow,
  statsToCsv,
  STATS_ATTRIBUTES,
  type StatsReport,
  type StatsRow,
} from '../domain/staff-desk.ts';
import { maySeeCourtOrders } from '../domain/staff.ts';
import type { Principal } from '../lib/auth.ts';
import type { Deps } from '../lib/deps.ts';

const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);

/** R3: a month (`YYYY-MM`, CONTRACT.md), or a day, which stands for its whole month. */
const month = lazy(() => z.union([z.string().check(z.regex(/^\d{4}-(0[1-9]|1[0-2])$/)), z.iso.date()], 'use YYYY-MM'));

/** `?from=&to=&format=`: an empty field is absent. */
export const statsQuerySchema = z.lazy(() =>
  z.strictObject({
    from: z.pipe(z.transform(blankToUndefined), z.optional(month())),
    to: z.pipe(z.transform(blankToUndefined), z.optional(month())),
    format: z.pipe(z.transform(blankToUndefined), z.optional(z.enum(['json', 'csv']))),
  }),
);
export type StatsQuery = z.infer<typeof statsQuerySchema>;

export type Statistics = { format: 'json'; report: StatsReport } | { format: 'csv'; csv: string; fileName: string };

/**
 * R3: de-identified statistics over whole months, without a scan: each status partition of gsi2
 * from the range's start (see dueLowerBound), projecting kind, status and dates (and the id, to
 * count each request once). Court orders
 * are counted only for the roles that may see them.
 */
export async function requestStatistics(
  deps: Pick<Deps, 'requests' | 'records' | 'clock'>,
  who: Principal,
  q: StatsQuery,
  format: 'json' | 'csv',
): Promise<Statistics> {
  const library = await deps.records.library();
  const now = deps.clock();
  let range;
  try {
    range = statsRange(q, now, library.timezone);
  } catch (e) {
    if (e instanceof RangeError || e instanceof InvalidInputError)
      throw new InvalidInputError('the date range is invalid', [
        { path: 'from', message: 'from must be a month on or before to, at most three years apart' },
      ]);
    throw e;
  }
  // R3: one row per request. The partitions are read one after another while workflows move
  // requests between them, so a request can be met twice (read as verifying, then again as
  // completed); the later sighting is the newer status. The id is read for this alone and goes no
  // further than this map's keys.
  const rows = new Map<string, StatsRow>();
  for (const status of REQUEST_STATUSES) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.requests.pageByStatus(status, {
        attributes: [...STATS_ATTRIBUTES, 'requestId'],
        dueFrom: dueLowerBound(range),
        limit: 1000,
        ...(startKey ? { startKey } : {}),
      });
      for (const item of page.items) if (typeof item.requestId === 'string') rows.set(item.requestId, statsRow(item));
      startKey = page.nextKey;
    } while (startKey);
  }
  const report = buildStats(rows.values(), range, now, library.timezone, {
    courtOrders: maySeeCourtOrders(who.groups),
  });
  if (format === 'json') return { format, report };
  return {
    format,
    csv: statsToCsv(report),
    fileName: `privacy-desk-statistics-${range.from}-to-${range.to}.csv`,
  };
}
