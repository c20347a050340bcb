import * as z from 'zod';
import { retentionRunId } from '../domain/retention.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { validate } from '../lib/http.ts';

/** Optional knobs (tests, a re-drive by an operator); an EventBridge schedule sends its own event, whose fields are ignored. */
const input = z.object({
  runId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/)
    .optional(),
  totalSegments: z.number().int().min(1).max(64).optional(),
  pageSize: z.number().int().min(1).max(1000).optional(),
  pagesPerInvocation: z.number().int().min(0).max(100_000).optional(),
  budgetSeconds: z.number().int().min(1).max(840).optional(),
});

/** Key-range segments of the records table, processed 4 at a time (the ASL's MaxConcurrency). */
export const RETENTION_DEFAULTS = {
  totalSegments: 8,
  pageSize: 500,
  pagesPerInvocation: 0,
  budgetSeconds: 240,
} as const;

/**
 * Scheduled daily (EventBridge in AWS, a timer locally). R16: starts the day's retention run
 * (workflows/retention.asl.json): closed requests reduced to tombstones, then returned loans past
 * their history period anonymised across the whole records table. One run per library day: the
 * execution is named after the day, so a repeated or retried schedule starts nothing new.
 * The input is ids, counts and a date (R5).
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const o = validate(input, event ?? {}, 'start-retention input');
  const now = deps.clock();
  const runId = o.runId ?? retentionRunId(now, (await deps.records.library()).timezone);
  const { executionId } = await deps.workflow.start('retention', `retention-${runId}`, {
    runId,
    asOf: now.toISOString(),
    totalSegments: o.totalSegments ?? RETENTION_DEFAULTS.totalSegments,
    pageSize: o.pageSize ?? RETENTION_DEFAULTS.pageSize,
    pagesPerInvocation: o.pagesPerInvocation ?? RETENTION_DEFAULTS.pagesPerInvocation,
    budgetSeconds: o.budgetSeconds ?? RETENTION_DEFAULTS.budgetSeconds,
  });
  return { runId, executionId };
};

export const handler = lambdaEntry(createHandler);
