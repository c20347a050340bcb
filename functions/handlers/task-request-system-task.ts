import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.strictObject({
  requestId: z.uuid(),
  systemId: z.string().min(1).max(40),
  taskToken: z.string().min(1).max(4096),
});

/** R19: a manual system's staff task. Being built: until then a manual system fails its request visibly. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-system-task', input, ({ systemId }) => {
    throw new IntegrityError(`system ${systemId}: manual system tasks are not built yet`);
  });

export const handler = lambdaEntry(createHandler);
