import * as z from '../domain/zod.ts';
import { planDeletion } from '../app/deletion-plan.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R8: plans before doing (app/deletion-plan.ts): the plan and the systems it reaches, for approval. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-deletion-plan', input, ({ requestId }) => planDeletion(deps, requestId));

export const handler = lambdaEntry(createHandler);
