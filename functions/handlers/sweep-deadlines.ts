import { sweepDeadlines } from '../app/sweep-deadlines.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/**
 * Scheduled (EventBridge in AWS, a timer locally): reminders, expired downloads, unmatched
 * requests and expired links (R7), as data checked on a schedule (app/sweep-deadlines.ts).
 */
export const createHandler = (deps: Deps) => scheduledHandler(deps, () => sweepDeadlines(deps));

export const handler = lambdaEntry(createHandler);
