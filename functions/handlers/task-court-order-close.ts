import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { closeCourtOrder } from '../app/close-court-order.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid(), outcome: z.enum(['rejected', 'expired']) }));

/** R12: a rejected or undecided court order closes, and the counsel who uploaded it is told (never the patron, R13a). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'court-order-close', input, async ({ requestId, outcome }) => ({
    status: await closeCourtOrder(deps, requestId, outcome),
  }));

export const handler = lambdaEntry(createHandler);
