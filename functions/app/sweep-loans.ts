import * as z from '../domain/zod.ts';
import { hasConnector } from '../connectors/index.ts';
import { IntegrityError } from '../domain/errors.ts';
import { RETENTION_KINDS, type RetentionKind } from '../domain/retention.ts';
import type { Deps } from '../lib/deps.ts';
import { runId, sweepProgressFields } from './retention-state.ts';

/**
 * R16: the retention run's anonymisation step, one key-range segment at a time (the run:
 * workflows/retention.asl.json; its start, retention-run.ts; its end, finish-retention.ts).
 */

export const sweepLoansInput = z.lazy(() =>
  z.strictObject({
    runId,
    /** R19: the system whose connector sweeps (`systemRetention`: enforced by the run). */
    systemId: z.string().check(z.minLength(1), z.maxLength(40)),
    /** Per kind of record, the library day its date must be before (domain/retention.ts `retentionCutoffs`). */
    cutoffs: z.strictObject(
      Object.fromEntries(RETENTION_KINDS.map((k) => [k, z.iso.date()])) as Record<RetentionKind, z.ZodMiniISODate>,
    ),
    timezone: z.string().check(z.minLength(1), z.maxLength(64)),
    segment: z.number().check(z.int(), z.gte(0), z.lte(63)),
    totalSegments: z.number().check(z.int(), z.gte(1), z.lte(64)),
    pageSize: z.number().check(z.int(), z.gte(1), z.lte(1000)),
    pagesPerInvocation: z.number().check(z.int(), z.gte(0)),
    budgetSeconds: z.number().check(z.int(), z.gte(1), z.lte(840)),
    /** A records-table key (a patron id and a record id: ids only, R5), or null to start the segment. */
    cursor: z.nullable(
      z.strictObject({ pk: z.string().check(z.maxLength(400)), sk: z.string().check(z.maxLength(400)) }),
    ),
    progress: z.strictObject(sweepProgressFields),
    hasMore: z.optional(z.boolean()),
  }),
);

type SweepLoansInput = z.infer<typeof sweepLoansInput>;

/**
 * ONE key-range segment of the records table, page by page, until the segment ends or `deadline`
 * passes; then it returns its own input with the continuation key, `hasMore` and running totals,
 * and the state machine calls it again from there. Records past their kind's cutoff day are
 * anonymised as a deletion anonymises them; patrons under legal hold are skipped (R13).
 */
export async function sweepLoans(
  deps: Deps,
  o: SweepLoansInput,
  deadline: number,
): Promise<SweepLoansInput & { hasMore: boolean }> {
  const system = deps.systems.systems.find((s) => s.id === o.systemId);
  const connector = system && hasConnector(system) ? deps.connector(system) : undefined;
  if (!connector?.anonymiseBefore) throw new IntegrityError(`system ${o.systemId} cannot anonymise by period`);
  // R16, R19: through the system's connector (the port's `anonymiseBefore`).
  const r = await connector.anonymiseBefore({
    runId: o.runId,
    segment: o.segment,
    totalSegments: o.totalSegments,
    cursor: o.cursor ?? undefined,
    cutoffs: o.cutoffs,
    timezone: o.timezone,
    pageSize: o.pageSize,
    maxPages: o.pagesPerInvocation,
    deadline,
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
}
