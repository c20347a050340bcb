import * as z from 'zod';
import { buildDeletionPlan } from '../domain/deletion-plan.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { collectDeletionFacts } from '../connectors/records-table/erasure.ts';

const input = z.strictObject({ requestId: z.uuid() });

/**
 * R8: plans before doing. Counts what the patron's records hold, applies every blocker (items on
 * loan, money owed, a legal hold, guarantor of a minor, retention periods) and stores the plan,
 * counts and codes only, for the privacy officer to approve. The contact address for the outcome
 * letter is kept on the request, because the profile it comes from may be erased.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'build-deletion-plan', input, async ({ requestId }) => {
    const request = await deps.requests.get(requestId);
    if (!request.patronId || !request.verification)
      throw new IntegrityError('a deletion needs a verified, matched patron');
    const patron = await deps.people.getPatron(request.patronId);
    if (!patron) throw new IntegrityError('the matched patron is gone');
    const { timezone } = await deps.records.library();
    const now = deps.clock();
    const facts = await collectDeletionFacts(deps.recordsDb, deps.holds, patron.id, now, timezone, deps.policy);
    const plan = buildDeletionPlan({ patronId: patron.id, now, timezone, policy: deps.policy, facts });
    await deps.requests.updateOf(requestId, 'deletion', (r) => ({
      ...r,
      status: r.status === 'in-progress' ? r.status : 'in-progress',
      plan,
      ...(patron.email ? { contactEmail: patron.email } : {}),
    }));
    await deps.audit.append(requestId, {
      eventId: 'deletion-planned',
      type: 'deletion-planned',
      actor: { kind: 'system' },
      data: { mode: plan.mode, blockers: plan.blockers },
    });
    return { mode: plan.mode };
  });

export const handler = lambdaEntry(createHandler);
