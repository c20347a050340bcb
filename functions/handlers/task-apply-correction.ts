import * as z from 'zod';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { applyCorrection } from '../app/apply-correction.ts';

const input = z.strictObject({ requestId: z.uuid() });

/** R6: the approved and confirmed changes, applied in the records source; the patron is told. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'apply-correction', input, async ({ requestId }) => {
    await applyCorrection(deps, requestId);
    return { applied: true };
  });

export const handler = lambdaEntry(createHandler);
