import * as z from '../domain/zod.ts';
import { planSystems } from '../app/systems/plan-systems.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** R19: the systems this request reaches, each with a pending result; the Map state fans out over them. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'plan-systems', input, ({ requestId }) => planSystems(deps, requestId));

export const handler = lambdaEntry(createHandler);
