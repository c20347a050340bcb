import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { releaseCourtDisclosure } from '../app/court-disclosure.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/**
 * R12, R2: the disclosure package to the counsel who uploaded the order, after both approvals.
 * Answers only whether the patron may be told (R13a): the order never enters the workflow (R5).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-court-disclosure', input, async ({ requestId }) => releaseCourtDisclosure(deps, requestId));

export const handler = lambdaEntry(createHandler);
