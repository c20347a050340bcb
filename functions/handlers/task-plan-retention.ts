import * as z from '../domain/zod.ts';
import { isoDateIn } from '../domain/age.ts';
import { expiredPatronCutoff, retentionCutoffs, segmentsFor, systemRetention } from '../domain/retention.ts';
import { hasConnector } from '../connectors/index.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { claimRetentionSecret } from '../connectors/records-table/retention.ts';

/** Time kept back for the back-fill's last page and the rest of the step. */
const SAFETY_MS = 10_000;

const input = z.lazy(() =>
  z.strictObject({
    runId: z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/)),
    asOf: z.iso.datetime(),
    totalSegments: z.number().check(z.int(), z.gte(1), z.lte(64)),
  }),
);

/**
 * Task of the retention run. R16: fixes what the whole run works with, once: per kind of record,
 * the library day its date must be before (each period of the policy's `retention` back from the
 * run's day, in the library's time zone), the key-range segments of the records table for the Map, and the run's
 * anonymisation secret (connectors/records-table/retention.ts). R19: every system that holds a category
 * with a period and how the run enforces it there (`systemRetention`), the system whose connector
 * sweeps, and R16 the purge's cutoff and segments (none while `expiredPatronAfterDays` is off).
 * R13: completes the legal-hold registry's back-fill if it is not yet, and prunes it (adapters/dynamodb/hold-registry.ts).
 * Ids, enums, counts and dates only (R5).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'plan-retention', input, async ({ runId, asOf, totalSegments }, context) => {
    const { timezone } = await deps.records.library();
    await claimRetentionSecret(deps.recordsDb, runId, deps.clock());
    // R13: the legal-hold registry made complete, once, by the first runs after it was introduced
    // (resumed night after night if the requests table takes longer than one step); until then the
    // sweep and the purge check every patron's holds as before.
    const deadline = Date.now() + Math.max(1000, context.getRemainingTimeInMillis() - SAFETY_MS);
    await deps.holds.backfillRegistry(deadline);
    // R13: and it lets go of the patrons nothing holds any more (what is left, the next night).
    const pruned = await deps.holds.pruneRegistry(deadline);
    if (pruned.removed > 0 || !pruned.complete) deps.logger.info('legal-hold registry pruned', { ...pruned });
    const today = isoDateIn(new Date(asOf), timezone);
    const systems = systemRetention(deps.systems, deps.policy);
    const connected = (id: string) => {
      const system = deps.systems.systems.find((s) => s.id === id);
      return system && hasConnector(system) ? deps.connector(system) : undefined;
    };
    const sweepSystem = systems.find((s) => s.how === 'run' && connected(s.systemId)?.anonymiseBefore)?.systemId;
    // R16: the purge starts from the first identity system that can list expired cards.
    const purgeSystem = deps.systems.systems.find((s) => s.identity && connected(s.id)?.expiredPatrons)?.id;
    const expiredBefore = expiredPatronCutoff(today, deps.policy);
    const segments = segmentsFor(totalSegments);
    return {
      cutoffs: retentionCutoffs(today, deps.policy),
      timezone,
      totalSegments: segments.length,
      segments: sweepSystem ? segments : [],
      sweepSystem: sweepSystem ?? null,
      systems,
      purgeSystem: purgeSystem ?? null,
      expiredBefore: expiredBefore ?? null,
      purgeSegments: purgeSystem && expiredBefore ? segments : [],
    };
  });

export const handler = lambdaEntry(createHandler);
