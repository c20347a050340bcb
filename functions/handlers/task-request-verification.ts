import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { requestVerification } from '../app/request-verification.ts';

const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    channel: z.enum(['email', 'in-person']),
    taskToken: z.string().check(z.minLength(1), z.maxLength(4096)),
  }),
);

/** R7, R4: sends the verification link to the email on file, or a desk task; the workflow waits for the callback. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-verification', input, async ({ requestId, channel, taskToken }) => ({
    requested: await requestVerification(deps, { requestId, channel, taskToken }),
  }));

export const handler = lambdaEntry(createHandler);
