import * as z from '../domain/zod.ts';
import { releaseRetentionSecret } from '../connectors/records-table/retention.ts';
import type { Deps } from '../lib/deps.ts';
import { count, purgeProgressFields, runId, staffTasksResult, sweepProgressFields } from './retention-state.ts';

/** R16: the retention run's last step (its start: retention-run.ts). Counts only (R5). */

const segmentDone = z.lazy(() =>
  z.object({
    segment: z.number().check(z.int()),
    hasMore: z.literal(false),
    progress: z.object(sweepProgressFields),
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
