import { startUnstartedRequests } from '../app/unstarted-requests.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { scheduledHandler } from '../lib/handler.ts';

/** Scheduled every few minutes (EventBridge in AWS, a timer locally): starts the workflow of a request whose submission stopped short of it. */
export const createHandler = (deps: Deps) => scheduledHandler(deps, () => startUnstartedRequests(deps));

export const handler = lambdaEntry(createHandler);
