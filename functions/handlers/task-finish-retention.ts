import * as z from 'zod';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { validate } from '../lib/http.ts';
import { releaseRetentionSecret } from '../connectors/records-table/retention.ts';

const count = z.number().int().min(0);
const done = z.object({
  segment: z.number().int(),
  hasMore: z.literal(false),
  progress: z.object({
    scanned: count,
    eligible: count,
    anonymised: count,
    held: count,
    deleting: count,
    pages: count,
    invocations: count,
  }),
});
const failed = z.object({ segment: z.number().int(), failed: z.literal(true), error: z.string() });

/** The whole run's state: this task reads the Map's results and the tombstone step's totals. */
const input = z.object({
  runId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
  tombstones: z.object({ tombstoned: count, held: count, dropped: count }).optional(),
  segments: z.array(z.union([done, failed])),
});

/**
 * Task of the retention run, last. R16: when every segment finished, the run's anonymisation
 * secret is deleted, and with it any way back from an anonymised copy to the loan it came from. If
 * a segment failed, the secret is kept, so that the next run writes the same copies for whatever
 * this one half-wrote, and `complete: false` fails the execution (the failed-executions alarm).
 * Returns the run's totals: counts only (R5).
 */
export const createHandler = (deps: Deps) => async (event: unknown) => {
  const o = validate(input, event, 'finish-retention input');
  const finished = o.segments.filter((s): s is z.infer<typeof done> => !('failed' in s));
  const failedSegments = o.segments.length - finished.length;
  const sum = (k: keyof z.infer<typeof done>['progress']) => finished.reduce((n, s) => n + s.progress[k], 0);
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
  };
  deps.logger.info('retention run finished', { runId: o.runId, ...totals });
  return totals;
};

export const handler = lambdaEntry(createHandler);
