import * as z from '../domain/zod.ts';
import { isoDateIn } from '../domain/age.ts';
import { retentionCutoffs, segmentsFor } from '../domain/retention.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { claimRetentionSecret } from '../connectors/records-table/retention.ts';

const input = z.strictObject({
  runId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
  asOf: z.iso.datetime(),
  totalSegments: z.number().check(z.int(), z.gte(1), z.lte(64)),
});

/**
 * Task of the retention run. R16: fixes what the whole run works with, once: per kind of record,
 * the library day its date must be before (each period of the policy's `retention` back from the
 * run's day, in the library's time zone), the key-range segments of the records table for the Map, and the run's
 * anonymisation secret (connectors/records-table/retention.ts). Ids, counts and dates only (R5).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'plan-retention', input, async ({ runId, asOf, totalSegments }) => {
    const { timezone } = await deps.records.library();
    await claimRetentionSecret(deps.recordsDb, runId, deps.clock());
    const segments = segmentsFor(totalSegments);
    return {
      cutoffs: retentionCutoffs(isoDateIn(new Date(asOf), timezone), deps.policy),
      timezone,
      totalSegments: segments.length,
      segments,
    };
  });

export const handler = lambdaEntry(createHandler);
