import { recordLapsedHolds } from '../app/legal-hold-lapses.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/**
 * Scheduled (EventBridge in AWS, a timer locally). R13: records each legal hold that lapsed on its
 * date and tells the counsel who uploaded the order (app/legal-hold-lapses.ts).
 */
export const createHandler = (deps: Deps) => scheduledHandler(deps, () => recordLapsedHolds(deps));

export const handler = lambdaEntry(createHandler);
