import { tombstoneClosedRequests, tombstoneRequestsInput } from '../app/tombstone-requests.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const SAFETY_MS = 10_000;

/**
 * Task of the retention run. R16: requests closed long enough ago become tombstones, R13: not while
 * their patron is under legal hold (app/tombstone-requests.ts). Stops at its time budget and
 * returns where it got to; the state machine calls it again.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'tombstone-requests', tombstoneRequestsInput, (input, context) =>
    tombstoneClosedRequests(
      deps,
      input,
      Date.now() + Math.max(1000, Math.min(input.budgetSeconds * 1000, context.getRemainingTimeInMillis() - SAFETY_MS)),
    ),
  );

export const handler = lambdaEntry(createHandler);
