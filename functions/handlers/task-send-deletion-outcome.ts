import * as z from '../domain/zod.ts';
import { sendDeletionOutcome } from '../app/deletion-report.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R8, R19: every system has answered: the outcome from their results, and the last letter (app/deletion-report.ts). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'send-deletion-outcome', input, ({ requestId }) => sendDeletionOutcome(deps, requestId));

export const handler = lambdaEntry(createHandler);
