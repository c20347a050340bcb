import { purgeExpiredInput, purgeExpiredSegment } from '../app/purge-expired.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/** Time kept back for the patrons under way when the budget runs out. */
const SAFETY_MS = 30_000;

/**
 * Task of the retention run, inside its purge Map: one key-range segment of the system of record's
 * patrons whose card expired long ago, each deleted in every system or kept with the reason
 * audited (R16, R8, R13, R19; app/purge-expired.ts), until the segment ends or the time budget is spent.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'purge-expired', purgeExpiredInput, (input, context) =>
    purgeExpiredSegment(
      deps,
      input,
      Date.now() + Math.max(1000, Math.min(input.budgetSeconds * 1000, context.getRemainingTimeInMillis() - SAFETY_MS)),
    ),
  );

export const handler = lambdaEntry(createHandler);
