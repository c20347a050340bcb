import * as z from 'zod';
import { deletionPlanSchema, LEGAL_OBLIGATION, patronOutcome } from '../domain/deletion-plan.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { verifyErasure } from '../connectors/records-table/erasure.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * R8: re-collects the patron's data after execution and confirms nothing re-linkable remains of
 * what the plan removed. What remains (a hold placed mid-way, a stale plan) is reported as kept,
 * and a hold only ever as `legal-obligation` (R13a). Stores the outcome CONTRACT.md describes.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'verify-deletion', input, async ({ requestId }) => {
    const request = await deps.requests.getOf(requestId, 'deletion');
    if (!request.patronId || !request.plan) throw new IntegrityError('nothing to verify');
    const plan = deletionPlanSchema.parse(request.plan);
    const check = await verifyErasure({ ...deps.recordsDb, patronId: request.patronId, plan });
    const held = await deps.holds.isHeld(request.patronId);
    const outcome = patronOutcome(plan, { hideLegalHold: true });
    for (const { category } of check.remaining) {
      outcome.erased = outcome.erased.filter((c) => c !== category);
      outcome.anonymised = outcome.anonymised.filter((c) => c !== category);
      if (!outcome.retained.some((r) => r.category === category))
        outcome.retained.push({ category, reason: held ? LEGAL_OBLIGATION : 'not-yet-possible' });
    }
    await deps.requests.update(requestId, (r) => ({ ...r, outcome }));
    await deps.audit.append(requestId, {
      eventId: 'deletion-verified',
      type: 'deletion-verified',
      actor: { kind: 'system' },
      data: { ok: check.ok, remaining: check.remaining.map((r) => r.category) },
    });
    return { ok: check.ok };
  });

export const handler = lambdaEntry(createHandler);
