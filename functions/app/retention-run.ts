import * as z from '../domain/zod.ts';
import { hasConnector } from '../connectors/index.ts';
import { releaseRetentionSecret } from '../connectors/records-table/retention.ts';
import { IntegrityError } from '../domain/errors.ts';
import { RETENTION_KINDS, retentionRunId, type RetentionKind } from '../domain/retention.ts';
import type { Deps } from '../lib/deps.ts';
import { purgeProgressFields } from './purge-expired.ts';
import { staffTasksResult } from './retention-staff-tasks.ts';

/**
 * R16: the daily retention run (workflows/retention.asl.json): closed requests reduced to
 * tombstones (./tombstone-requests.ts), then every record past its kind's period (loans, holds,
 * programs, paid fines, donations: domain/retention.ts) anonymised across the whole records table,
 * segment by segment, then the run's secret released. Everything
 * the workflow carries is ids, counts and dates (R5).
 */

const runId = z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/));
const count = z.number().check(z.int(), z.gte(0));

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

const progressFields = {
  scanned: count,
  eligible: count,
  anonymised: count,
  held: count,
  deleting: count,
  pages: count,
  invocations: count,
};

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
    progress: z.strictObject(progressFields),
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

const segmentDone = z.lazy(() =>
  z.object({
    segment: z.number().check(z.int()),
    hasMore: z.literal(false),
    progress: z.object(progressFields),
  }),
);
const segmentFailed = z.lazy(() =>
  z.object({ segment: z.number().check(z.int()), failed: z.literal(true), error: z.string() }),
);

const purgeDone = z.lazy(() =>
  z.object({
    segment: z.number().check(z.int()),
    hasMore: z.literal(false),
    progress: z.object(purgeProgressFields),
  }),
);

/** R16, R19: each system's part in the run, as the plan fixed it (`systemRetention`). */
const systemPart = z.lazy(() =>
  z.object({
    systemId: z.string(),
    how: z.enum(['run', 'system-job', 'staff-task']),
    categories: z.array(z.string()),
  }),
);

/** The whole run's state: the Maps' results, the tombstone and staff-task steps' totals. */
export const finishRetentionInput = z.lazy(() =>
  z.object({
    runId,
    tombstones: z.optional(z.object({ tombstoned: count, held: count, dropped: count })),
    segments: z.array(z.union([segmentDone, segmentFailed])),
    systems: z.optional(z.array(systemPart)),
    staffTasks: z.optional(staffTasksResult),
    purge: z.optional(z.array(z.union([purgeDone, segmentFailed]))),
  }),
);

/**
 * Last. When every segment finished, the run's anonymisation secret is deleted, and with it any
 * way back from an anonymised copy to the loan it came from. If a segment failed, the secret is
 * kept, so that the next run writes the same copies for whatever this one half-wrote, and
 * `complete: false` fails the execution (the failed-executions alarm). Returns counts only (R5).
 */
export async function finishRetentionRun(deps: Deps, o: z.infer<typeof finishRetentionInput>) {
  const finished = o.segments.filter((s): s is z.infer<typeof segmentDone> => !('failed' in s));
  const purged = (o.purge ?? []).filter((s): s is z.infer<typeof purgeDone> => !('failed' in s));
  const failedSegments = o.segments.length - finished.length + (o.purge ?? []).length - purged.length;
  const sum = (k: keyof z.infer<typeof segmentDone>['progress']) => finished.reduce((n, s) => n + s.progress[k], 0);
  const complete = failedSegments === 0;
  const secretDeleted = complete ? await releaseRetentionSecret(deps.recordsDb, o.runId) : false;
  const totals = {
    complete,
    failedSegments,
    secretDeleted,
    segments: o.segments.length,
    scanned: sum('scanned'),
    eligible: sum('eligible'),
    anonymised: sum('anonymised'),
    heldLoans: sum('held'),
    deletingLoans: sum('deleting'),
    invocations: sum('invocations'),
    tombstoned: o.tombstones?.tombstoned ?? 0,
    heldRequests: o.tombstones?.held ?? 0,
    patronsExpired: purged.reduce((n, s) => n + s.progress.expired, 0),
    patronsPurged: purged.reduce((n, s) => n + s.progress.purged, 0),
    patronsKept: purged.reduce((n, s) => n + s.progress.kept, 0),
    /**
     * R16, R19, R18: what the run did in each system holding a category with a period: records
     * anonymised through its connector, the staff asked (this period's task sent, or already sent),
     * or the system's own job named. The truth test holds the report's words to this.
     */
    systems: (o.systems ?? []).map((s) => {
      const asked = o.staffTasks?.find((t) => t.systemId === s.systemId);
      const done =
        s.how === 'run'
          ? { anonymised: sum('anonymised') }
          : s.how === 'staff-task'
            ? { staffTask: asked?.state ?? 'not-sent' }
            : { systemJob: true };
      return { systemId: s.systemId, how: s.how, ...done };
    }),
  };
  deps.logger.info('retention run finished', { runId: o.runId, ...totals });
  return totals;
}
