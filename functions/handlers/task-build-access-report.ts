import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { deliverAccessReport } from '../app/access-report.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R18, R8a: the patron's own report, by an expiring link to the email on file or through the desk. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-access-report', input, async ({ requestId }) => {
    await deliverAccessReport(deps, requestId);
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
