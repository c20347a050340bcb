import * as z from '../domain/zod.ts';
import { approvalRequestedEventId, eligibleApprovers } from '../domain/approvals.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isTerminal } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { approvalRequestEmail } from '../render/emails.ts';
import { sendStaffTasks } from '../app/staff-tasks.ts';

const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    step: z.string().check(z.regex(/^[a-z-]{1,40}$/)),
    taskToken: z.string().check(z.minLength(1), z.maxLength(4096)),
  }),
);

/**
 * The reusable staff-approval step: every staff member in the role the policy names for this
 * step gets their own link, bound to them and this step, single-use and expiring; the first
 * decision wins and voids the other copies. A reminder with a fresh link goes out if nobody acts.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-approval', input, async ({ requestId, step, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (isTerminal(request.status)) return { requested: false };
    const role = deps.policy.approvals.roles[step];
    if (!role) throw new IntegrityError('no role decides this step');
    // R12: never the person who made the request, nor whoever approved an earlier step of it.
    const staff = eligibleApprovers(request, await deps.records.staffWithRole(role));
    if (staff.length === 0) throw new IntegrityError('nobody holds the deciding role');
    const { approvals } = deps.policy;
    await sendStaffTasks(deps, {
      requestId,
      role,
      staff,
      token: {
        purpose: 'approve',
        step,
        decisions: ['approve', 'reject'],
        ttlSeconds: Math.round(approvals.linkTtlHours * 3600),
        remindAfterSeconds: Math.round(approvals.remindAfterHours * 3600),
        taskToken,
      },
      email: (t) => approvalRequestEmail({ ...t, requestId, step }),
    });
    await deps.requests.update(requestId, (r) =>
      isTerminal(r.status) || r.status === 'awaiting-approval' ? undefined : { ...r, status: 'awaiting-approval' },
    );
    const round = (request.approvalRounds?.[step] ?? 0) + 1;
    await deps.audit.append(requestId, {
      eventId: approvalRequestedEventId(step, round),
      type: 'approval-requested',
      actor: { kind: 'system' },
      data: { step, role, round },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
