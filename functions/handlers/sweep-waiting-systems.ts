import { recheckWaitingSystems } from '../app/systems/await-system.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/** R8: scheduled daily (EventBridge in AWS, a timer locally): wakes each waiting system for its re-check. */
export const createHandler = (deps: Deps) => scheduledHandler(deps, () => recheckWaitingSystems(deps));

export const handler = lambdaEntry(createHandler);
