import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { deliverGuardianReport } from '../app/guardian-report.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R9, R10: a child's records, in the categories a guardian may see, to the guardian's own email on file. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-guardian-report', input, async ({ requestId }) => {
    await deliverGuardianReport(deps, requestId);
    return { delivered: true };
  });

export const handler = lambdaEntry(createHandler);
