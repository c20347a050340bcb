import * as z from '../domain/zod.ts';

/**
 * R16: what the retention run's steps hand each other through the workflow
 * (workflows/retention.asl.json): ids, counts and dates only (R5). Apart from the steps, so that
 * each step's function bundles its own code and not the others' (infra/store-usage.ts counts what
 * every imported file names: the purge's erasures, the staff tasks' emails).
 */

/** A retention run's id (a library day, or a test's own): ids only in the workflow (R5). */
export const runId = z.string().check(z.regex(/^[A-Za-z0-9-]{1,64}$/));
export const count = z.number().check(z.int(), z.gte(0));

/** One anonymisation segment's running totals (sweep-loans.ts). */
export const sweepProgressFields = {
  scanned: count,
  eligible: count,
  anonymised: count,
  held: count,
  deleting: count,
  pages: count,
  invocations: count,
};

/** One purge segment's running totals (purge-expired.ts). */
export const purgeProgressFields = {
  scanned: count,
  expired: count,
  purged: count,
  kept: count,
  pages: count,
  invocations: count,
};

/** The staff-task step's answer, one entry per system asked (retention-staff-tasks.ts). */
export const staffTasksResult = z.lazy(() =>
  z.array(
    z.object({ systemId: z.string(), state: z.enum(['sent', 'already-sent']), period: z.number().check(z.int()) }),
  ),
);
