import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { applyCorrection } from '../app/apply-correction.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R6, R19: finishes a correction every system has made: the patron is told where; the requested values go (R16). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'apply-correction', input, async ({ requestId }) => {
    await applyCorrection(deps, requestId);
    return { applied: true };
  });

export const handler = lambdaEntry(createHandler);
