import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { requestConsent } from '../app/request-consent.ts';

const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    taskToken: z.string().check(z.minLength(1), z.maxLength(4096)),
  }),
);

/** R10, R14: asks the data subject's consent through their own channel; the workflow waits for the callback. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-consent', input, async ({ requestId, taskToken }) => ({
    requested: await requestConsent(deps, { requestId, taskToken }),
  }));

export const handler = lambdaEntry(createHandler);
