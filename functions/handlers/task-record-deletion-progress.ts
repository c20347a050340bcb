import * as z from '../domain/zod.ts';
import { recordDeletionProgress } from '../app/deletion-report.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() =>
  z.strictObject({ requestId: z.uuid(), systemId: z.string().check(z.minLength(1), z.maxLength(40)) }),
);

/**
 * R8: after a system's step in a deletion: the outcome brought up to date for the status page, and
 * the one waiting letter once every system has answered and one must wait. Answers the system's
 * state, for the workflow to wait on a blocked or unreachable system.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'record-deletion-progress', input, ({ requestId, systemId }) =>
    recordDeletionProgress(deps, requestId, systemId),
  );

export const handler = lambdaEntry(createHandler);
