import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { validate } from '../lib/http.ts';
import { sweepLoanSegment } from '../connectors/records-table/retention.ts';

const count = z.number().int().min(0);
const progressSchema = z.strictObject({
  scanned: count,
  eligible: count,
  anonymised: count,
  held: count,
  deleting: count,
  pages: count,
  invocations: count,
});

const input = z.strictObject({
  runId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  cutoffDay: z.iso.date(),
  timezone: z.string().min(1).max(64),
  segment: z.number().int().min(0).max(63),
  totalSegments: z.number().int().min(1).max(64),
  pageSize: z.number().int().min(1).max(1000),
  pagesPerInvocation: z.number().int().min(0),
  budgetSeconds: z.number().int().min(1).max(840),
  /** A records-table key (a patron id and a record id: ids only, R5), or null to start the segment. */
  cursor: z.strictObject({ pk: z.string().max(400), sk: z.string().max(400) }).nullable(),
  progress: progressSchema,
  hasMore: z.boolean().optional(),
});

export type SweepLoansInput = z.infer<typeof input>;

/** Time kept back for the page under way and its writes when the budget runs out. */
const SAFETY_MS = 15_000;

/**
 * Task of the retention run, inside its Map: ONE key-range segment of the records table, page by
 * page, until the segment ends or its time budget is spent; then it returns the continuation key
 * and `hasMore`, and the state machine calls it again from there. So every invocation stays well
 * inside a Lambda's limits however large the library's history (R16). Returned loans past the
 * run's cutoff day are anonymised as a deletion anonymises them; patrons under legal hold are
 * skipped (R13). Returns its own input with the new cursor and running totals.
 */
export const createHandler = (deps: Deps) =>
  middy<unknown, SweepLoansInput & { hasMore: boolean }>().handler(async (event: unknown, context: Context) => {
    const o = validate(input, event, 'sweep-loans input');
    const deadline =
      Date.now() + Math.max(1000, Math.min(o.budgetSeconds * 1000, context.getRemainingTimeInMillis() - SAFETY_MS));
    const r = await sweepLoanSegment({
      ...deps.recordsDb,
      holds: deps.holds,
      runId: o.runId,
      segment: o.segment,
      totalSegments: o.totalSegments,
      cursor: o.cursor ?? undefined,
      cutoffDay: o.cutoffDay,
      timezone: o.timezone,
      pageSize: o.pageSize,
      maxPages: o.pagesPerInvocation,
      deadline,
      now: deps.clock,
    });
    const p = o.progress;
    const progress = {
      scanned: p.scanned + r.scanned,
      eligible: p.eligible + r.eligible,
      anonymised: p.anonymised + r.anonymised,
      held: p.held + r.held,
      deleting: p.deleting + r.deleting,
      pages: p.pages + r.pages,
      invocations: p.invocations + 1,
    };
    deps.logger.info('retention segment', {
      runId: o.runId,
      segment: o.segment,
      ...progress,
      hasMore: r.cursor !== undefined,
    });
    return { ...o, cursor: r.cursor ?? null, hasMore: r.cursor !== undefined, progress };
  });

export const handler = lambdaEntry(createHandler);
