import * as z from '../domain/zod.ts';
import { retentionRunId } from '../domain/retention.ts';
import type { Deps } from '../lib/deps.ts';
import { runId } from './retention-state.ts';

/**
 * R16: the daily retention run (workflows/retention.asl.json): closed requests reduced to
 * tombstones (./tombstone-requests.ts), then every record past its kind's period (loans, holds,
 * programs, paid fines, donations: domain/retention.ts) anonymised across the whole records table,
 * segment by segment, then the run's secret released. Everything the workflow carries is ids,
 * counts and dates (R5; retention-state.ts). This module starts the run; each step is a module of
 * its own (sweep-loans.ts, purge-expired.ts, retention-staff-tasks.ts, finish-retention.ts).
 */

/** Optional knobs (tests, a re-drive by an operator); an EventBridge schedule sends its own event, whose fields are ignored. */
export const startRetentionInput = z.lazy(() =>
  z.object({
    runId: z.optional(runId),
    totalSegments: z.optional(z.number().check(z.int(), z.gte(1), z.lte(64))),
    pageSize: z.optional(z.number().check(z.int(), z.gte(1), z.lte(1000))),
    pagesPerInvocation: z.optional(z.number().check(z.int(), z.gte(0), z.lte(100_000))),
    budgetSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(840))),
  }),
);

/** Key-range segments of the records table, processed 4 at a time (the ASL's MaxConcurrency). */
const RETENTION_DEFAULTS = {
  totalSegments: 8,
  pageSize: 500,
  pagesPerInvocation: 0,
  budgetSeconds: 240,
} as const;

/**
 * Starts the day's run. One run per library day: the execution is named after the day, so a
 * repeated or retried schedule starts nothing new.
 */
export async function startRetentionRun(deps: Deps, o: z.infer<typeof startRetentionInput>) {
  const now = deps.clock();
  const id = o.runId ?? retentionRunId(now, (await deps.records.library()).timezone);
  const { executionId } = await deps.workflow.start('retention', `retention-${id}`, {
    runId: id,
    asOf: now.toISOString(),
    totalSegments: o.totalSegments ?? RETENTION_DEFAULTS.totalSegments,
    pageSize: o.pageSize ?? RETENTION_DEFAULTS.pageSize,
    pagesPerInvocation: o.pagesPerInvocation ?? RETENTION_DEFAULTS.pagesPerInvocation,
    budgetSeconds: o.budgetSeconds ?? RETENTION_DEFAULTS.budgetSeconds,
  });
  return { runId: id, executionId };
}
