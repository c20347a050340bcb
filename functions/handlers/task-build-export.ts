import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { deliverExport } from '../app/export.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R8a: the patron's export, streamed into storage, by an expiring link to the email on file or through the desk. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-export', input, async ({ requestId }) => {
    await deliverExport(deps, requestId);
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
