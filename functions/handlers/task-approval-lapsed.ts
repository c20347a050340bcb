import * as z from '../domain/zod.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { approvalLapsedEmail } from '../render/emails.ts';
import { sendOnce } from '../app/send-once.ts';
import { lapsedRound } from '../domain/approvals.ts';

const input = z.lazy(() => z.strictObject({ requestId: z.uuid(), step: z.string().check(z.regex(/^[a-z-]{1,40}$/)) }));

/**
 * A decision link expired unused. The privacy officer is told each time; the step is asked
 * again until the policy's `maxRounds`, then the request closes as expired. Returns whether to ask again.
 * Safe to run again for the same lapse (R15): each write and the email are keyed by the round.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'approval-lapsed', input, async ({ requestId, step }) => {
    const before = await deps.requests.get(requestId);
    const events = await deps.audit.list(requestId);
    // R15: the round is the ask that lapsed, so a retry of this step (a throttled email below) counts it once.
    const round = lapsedRound(
      events.map((e) => e.eventId),
      step,
      before.approvalRounds?.[step],
    );
    const final = round >= deps.policy.approvals.maxRounds;
    await deps.requests.update(requestId, (r) =>
      (r.approvalRounds?.[step] ?? 0) >= round
        ? undefined
        : { ...r, approvalRounds: { ...r.approvalRounds, [step]: round } },
    );
    const eventId = `approval-lapsed:${step}:${round}`;
    if (!events.some((e) => e.eventId === eventId)) {
      const officers = await deps.records.staffWithRole('privacy-officer');
      const library = await deps.records.library();
      if (officers.length > 0)
        // Faults: a retry after this email and before its event sends nothing again.
        await sendOnce(
          deps,
          { requestId, purpose: eventId },
          {
            to: officers.map((o) => o.email),
            ...approvalLapsedEmail({ library: library.name, requestId, step, round, final }),
          },
        );
      await deps.audit.append(requestId, {
        eventId,
        type: 'approval-lapsed',
        actor: { kind: 'system' },
        data: { step, round, final },
      });
    }
    return { askAgain: !final };
  });

export const handler = lambdaEntry(createHandler);
