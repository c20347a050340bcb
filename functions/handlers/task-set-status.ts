import * as z from '../domain/zod.ts';
import { closeRequest } from '../app/close-request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/** Only the closing moves a workflow makes on its own; others go through their own steps. */
const input = z.lazy(() => z.strictObject({ requestId: z.uuid(), status: z.enum(['completed', 'expired']) }));

export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'set-status', input, async ({ requestId, status }) => ({
    status: await closeRequest(deps, requestId, status),
  }));

export const handler = lambdaEntry(createHandler);
