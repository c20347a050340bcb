import * as z from '../domain/zod.ts';
import { DENIAL_CODES } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { denyRequest } from '../app/deny-request.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid(), code: z.enum(DENIAL_CODES) }));

/** Ends a request as denied and tells the requester why; changes asked for are erased (R16). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'deny', input, async ({ requestId, code }) => {
    await denyRequest(deps, requestId, code);
    return { status: 'denied' };
  });

export const handler = lambdaEntry(createHandler);
