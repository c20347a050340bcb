import * as z from 'zod';
import { requestSystemTask } from '../app/systems/system-task.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.strictObject({
  requestId: z.uuid(),
  systemId: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  taskToken: z.string().min(1).max(4096),
});

/** R19: a manual system's staff task (`AskSystemStaff`): emailed once, answered by a link. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-system-task', input, (o) => requestSystemTask(deps, o));

export const handler = lambdaEntry(createHandler);
