import * as z from '../domain/zod.ts';
import { requestSystemTask } from '../app/systems/system-task.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    systemId: z.string().check(z.regex(/^[a-z][a-z0-9-]{0,39}$/)),
    taskToken: z.string().check(z.minLength(1), z.maxLength(4096)),
  }),
);

/** R19: a manual system's staff task (`AskSystemStaff`): emailed once, answered by a link. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-system-task', input, (o) => requestSystemTask(deps, o));

export const handler = lambdaEntry(createHandler);
