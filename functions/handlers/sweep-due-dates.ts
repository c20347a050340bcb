import { sweepDueDates } from '../app/due-date-sweep.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';
import { createMetrics, type AppMetrics } from '../lib/observability.ts';

/**
 * Scheduled (EventBridge in AWS, a timer locally). R15: reminds staff before a request's due date
 * and tells the privacy officer once it has passed (app/due-date-sweep.ts); emits
 * `OverdueRequests` on every run, 0 included.
 */
export const createHandler = (deps: Deps, metrics: AppMetrics = createMetrics()) =>
  scheduledHandler(deps, () => sweepDueDates(deps, metrics));

export const handler = lambdaEntry(createHandler);
