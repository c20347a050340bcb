import * as z from '../domain/zod.ts';
import { IntegrityError } from '../domain/errors.ts';
import { isTerminal, changesOf } from '../domain/request.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { taskHandler } from '../lib/http.ts';
import { confirmNewPhoneEmail } from '../render/emails.ts';
import { sendStaffTasks } from '../app/staff-tasks.ts';
import { circulationStaff, contactConfirmationToken } from '../app/ask-person.ts';

const input = z.lazy(() =>
  z.strictObject({ requestId: z.uuid(), taskToken: z.string().check(z.minLength(1), z.maxLength(4096)) }),
);

/**
 * R6: a new phone number is confirmed through that number. The library sends no text messages
 * (a small library cannot easily register a number to send SMS from AWS), so circulation staff
 * call it, as they verify patrons in person (R4). Each of them gets their own link to this step;
 * the first answer wins and voids the other copies (act.ts). Then the workflow waits.
 */
export const createHandler = (deps: Deps) =>
  taskHandler(deps, 'request-phone-confirmation', input, async ({ requestId, taskToken }) => {
    const request = await deps.requests.get(requestId);
    if (isTerminal(request.status)) return { requested: false };
    if (!changesOf(request)?.phone || !request.patronId) throw new IntegrityError('no new phone number to confirm');
    const staff = await circulationStaff(deps, 'call the new number');
    // R15: the request waits on the desk from now, whose clock runs (circulation is reminded of the
    // due date); set before any email goes, so a member who opens the link at once sees it so.
    await deps.requests.update(requestId, (r) =>
      r.status === 'in-progress' ? { ...r, status: 'awaiting-staff' } : undefined,
    );
    await sendStaffTasks(deps, {
      requestId,
      role: 'circulation',
      staff,
      token: contactConfirmationToken(deps.policy, { purpose: 'confirm-phone', step: 'confirm-new-phone', taskToken }),
      email: (t) => confirmNewPhoneEmail({ ...t, requestId }),
    });
    await deps.audit.append(requestId, {
      eventId: 'new-phone-confirmation-requested',
      type: 'new-phone-confirmation-requested',
      actor: { kind: 'system' },
      data: { role: 'circulation', recipients: staff.length },
    });
    return { requested: true };
  });

export const handler = lambdaEntry(createHandler);
