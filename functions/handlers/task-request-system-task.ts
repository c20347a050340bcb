import * as z from 'zod';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.strictObject({
  requestId: z.uuid(),
  systemId: z.string().min(1).max(40),
  taskToken: z.string().min(1).max(4096),
});

/**
 * R19: a manual system's staff task. Being built (the staff emails and links); meanwhile the step's
 * callback token is stored on the system's result, where the answer will resume it, and the request
 * shows as waiting.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-system-task', input, async ({ requestId, systemId, taskToken }) => {
    await deps.systemResults.update(requestId, systemId, (r) =>
      r.state === 'pending' ? { ...r, waitToken: taskToken } : undefined,
    );
    return { asked: true };
  });

export const handler = lambdaEntry(createHandler);
