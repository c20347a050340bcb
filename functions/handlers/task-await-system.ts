import * as z from '../domain/zod.ts';
import { awaitSystem } from '../app/systems/await-system.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    systemId: z.string().check(z.minLength(1), z.maxLength(40)),
    taskToken: z.string().check(z.minLength(1), z.maxLength(4096)),
  }),
);

/** R8, R19: a blocked or unreachable system waits for the daily re-check; the workflow waits for the callback. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'await-system', input, async (o) => {
    await awaitSystem(deps, o);
    return { waiting: true };
  });

export const handler = lambdaEntry(createHandler);
