import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { confirmOptOut } from '../app/outreach/confirm-opt-out.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R20: tells the requester which systems stopped outreach, once every system has answered. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'confirm-outreach-opt-out', input, async ({ requestId }) => {
    await confirmOptOut(deps, requestId);
    return { confirmed: true };
  });

export const handler = lambdaEntry(createHandler);
