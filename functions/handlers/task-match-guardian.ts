import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { matchGuardian } from '../app/match-guardian.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid() }));

/** guardian-access: the guardian and the child matched, their link and the child's age band (R9-R11); enums only (R5). */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'match-guardian', input, async ({ requestId }) => matchGuardian(deps, requestId));

export const handler = lambdaEntry(createHandler);
