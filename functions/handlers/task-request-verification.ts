import * as z from 'zod';
import { IntegrityError } from '../domain/errors.ts';
import { isTerminal, requesterPatronIdOf } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { inPersonVerificationEmail, verificationEmail } from '../render/emails.ts';
import { readableMoment } from '../render/readable-time.ts';
import { sendStaffTasks } from '../app/staff-tasks.ts';

const input = z.strictObject({
  requestId: z.uuid(),
  channel: z.enum(['email', 'in-person']),
  taskToken: z.string().min(1).max(4096),
});

/**
 * Starts verification and returns; the workflow waits for the callback token.
 * R7: the link goes only to the email already on the patron's record, never to a typed address.
 * A patron with no email on file is verified at the desk by circulation staff (R4).
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-verification', input, async ({ requestId, channel, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (isTerminal(request.status)) return { requested: false };
    if (request.verification) {
      // R4: staff verified the requester at the desk when they made the request (api-staff): no link
      // to send and nothing to wait for, so the step answers itself. The trail says why it moved on.
      await deps.audit.append(requestId, {
        eventId: 'verification-not-needed',
        type: 'verification-not-needed',
        actor: { kind: 'system' },
        data: { method: request.verification.method },
      });
      try {
        await deps.workflow.sendTaskSuccess(taskToken, { decision: 'done' });
      } catch (e) {
        // A retried invocation finds its step already answered.
        if (!(e instanceof Error && ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(e.name))) throw e;
      }
      return { requested: false };
    }
    // A guardian verifies through their own email on file, never the child's (R11, R7).
    const verifiedId = requesterPatronIdOf(request) ?? request.patronId;
    if (!verifiedId) throw new IntegrityError('verification needs a matched patron');
    const patron = await deps.records.getPatron(verifiedId);
    if (!patron) throw new IntegrityError('the matched patron is gone');
    const library = await deps.records.library();
    const ttlSeconds = Math.round(deps.policy.verification.linkTtlHours * 3600);
    const common = {
      requestId,
      step: 'verify',
      ttlSeconds,
      maxAttempts: deps.policy.verification.maxAttempts,
      taskToken,
    };

    if (channel === 'email' && patron.email) {
      const { secret, token } = await deps.tokens.issue({
        ...common,
        purpose: 'verify-identity',
        recipient: { kind: 'patron', id: patron.id },
        decisions: ['confirm'],
      });
      await deps.mailer.send({
        to: [patron.email],
        ...verificationEmail({
          library: library.name,
          link: `${deps.baseUrl}/act/${secret}`,
          kind: request.kind,
          expiresAt: readableMoment(token.expiresAt, library.timezone),
        }),
      });
    } else {
      const staff = await deps.records.staffWithRole('circulation');
      if (staff.length === 0) throw new IntegrityError('no circulation staff to verify in person');
      await sendStaffTasks(deps, {
        requestId,
        role: 'circulation',
        staff,
        token: { ...common, purpose: 'verify-in-person', decisions: ['done'] },
        email: (t) => inPersonVerificationEmail({ ...t, requestId }),
      });
      await deps.requests.update(requestId, (r) =>
        r.status === 'verifying' ? { ...r, status: 'awaiting-staff' } : undefined,
      );
    }
    // R15: from here the request waits on the requester, and its clock pauses.
    const now = deps.clock().toISOString();
    await deps.requests.update(requestId, (r) =>
      r.waitingSince || r.verification ? undefined : { ...r, waitingSince: now },
    );
    await deps.audit.append(requestId, {
      eventId: `verification-requested:${channel}`,
      type: 'verification-requested',
      actor: { kind: 'system' },
      data: { channel },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
