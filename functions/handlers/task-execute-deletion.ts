import * as z from 'zod';
import { deletionPlanSchema } from '../domain/deletion-plan.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { executeDeletionPlan } from '../connectors/records-table/erasure.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * R8: carries out the approved plan. Idempotent and resumable (see executeDeletionPlan): a retry
 * finishes the work. A legal hold placed meanwhile stops it with LegalHoldError before any held
 * record is touched (R13); the workflow then verifies and reports what was and was not done.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'execute-deletion', input, async ({ requestId }) => {
    const request = await deps.requests.getOf(requestId, 'deletion');
    if (!request.patronId || !request.plan) throw new IntegrityError('nothing approved to execute');
    const plan = deletionPlanSchema.parse(request.plan);
    const result = await executeDeletionPlan({
      ...deps.recordsDb,
      patronId: request.patronId,
      plan,
      holds: deps.holds,
      policy: deps.policy,
      fingerprinter: deps.fingerprinter,
    });
    await deps.audit.append(requestId, {
      eventId: 'deletion-executed',
      type: 'deletion-executed',
      actor: { kind: 'system' },
      data: {
        erased: result.erased,
        anonymised: result.anonymised,
        deleted: result.deleted,
        retained: result.retained,
      },
    });
    return { done: true };
  });

export const handler = lambdaEntry(createHandler);
