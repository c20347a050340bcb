import * as z from '../domain/zod.ts';
import { recordSystemTrouble } from '../app/systems/await-system.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';

/** The error name from the Catch (`TransientError`, `ConnectorError`…), never its message (R5). */
const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    systemId: z.string().check(z.minLength(1), z.maxLength(40)),
    error: z.catch(z.string().check(z.maxLength(200)), 'Unknown'),
  }),
);

/** R19: a system that did not answer after the retries: marked unreachable, the privacy officer told. */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'record-system-trouble', input, async (o) => {
    await recordSystemTrouble(deps, o);
    return { state: 'unreachable' };
  });

export const handler = lambdaEntry(createHandler);
