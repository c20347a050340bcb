import * as z from '../domain/zod.ts';
import { IntegrityError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { guardianLinkTaskEmail } from '../render/consent-emails.ts';
import { sendStaffTasks } from '../app/staff-tasks.ts';
import { circulationStaff } from '../app/ask-person.ts';

const input = z.lazy(() =>
  z.strictObject({
    requestId: z.uuid(),
    taskToken: z.string().check(z.minLength(1), z.maxLength(4096)),
  }),
);

/**
 * R11, R4: a verified guardian was not linked to the child's card, was told so and invited to
 * the library with a document. Circulation staff get a task link: if the document shows the
 * relationship, they record the link (what kind of document, never the document); the workflow
 * then writes it. The task outlives the request, which is already denied; it expires after the
 * policy's `minors.guardianLinkTaskTtlHours`, and nothing happens.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-guardian-link', input, async ({ requestId, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (
      request.kind !== 'guardian-access' ||
      request.guardianLink !== 'unlinked' ||
      !request.patronId ||
      !request.requesterPatronId
    ) {
      throw new IntegrityError('a guardian link task needs a verified guardian and a child who are not linked');
    }
    await sendStaffTasks(deps, {
      requestId,
      role: 'circulation',
      staff: await circulationStaff(deps, 'record a guardian link'),
      token: {
        purpose: 'guardian-link',
        step: 'guardian-link',
        decisions: ['done'],
        ttlSeconds: Math.round(deps.policy.minors.guardianLinkTaskTtlHours * 3600),
        maxAttempts: deps.policy.verification.maxAttempts,
        taskToken,
      },
      email: (t) => guardianLinkTaskEmail({ ...t, requestId }),
    });
    await deps.audit.append(requestId, {
      eventId: 'guardian-link-task',
      type: 'guardian-link-task-created',
      actor: { kind: 'system' },
      data: { role: 'circulation' },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
