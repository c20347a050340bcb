import * as z from '../domain/zod.ts';
import { reachSystem } from '../app/systems/reach-system.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() =>
  z.strictObject({ requestId: z.uuid(), systemId: z.string().check(z.minLength(1), z.maxLength(40)) }),
);

/** R19: one request's work in one system, through its connector (app/systems/reach-system.ts). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'reach-system', input, ({ requestId, systemId }) => reachSystem(deps, requestId, systemId));

export const handler = lambdaEntry(createHandler);
