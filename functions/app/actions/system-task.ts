import { categoriesOf } from '../systems/plan-systems.ts';
import { manualSystem, recordSystemAnswer, settleSystemTask } from '../systems/system-task.ts';
import { NotFoundError } from '../../domain/errors.ts';
import { checkCouldNotReason, systemIdOfStep } from '../../domain/system-task.ts';
import { systemTaskDetails } from '../../render/system-task-emails.ts';
import type { LinkAction } from './link-action.ts';
import { recordStaffRead } from './staff-read.ts';

/** R19: staff answer a manual system's task: done, or could-not with the reason. */
export const systemTask: LinkAction = {
  async show({ deps, token, request }) {
    const systemId = systemIdOfStep(token.step);
    if (!systemId) throw new NotFoundError('not a system task');
    const { system, instruction } = manualSystem(deps, systemId, request.kind);
    const patron = request.patronId ? await deps.people.getPatron(request.patronId) : undefined;
    // R1: the person is shown only to the staff member holding the task, and the read is on the record.
    if (patron) await recordStaffRead(deps, token, `system-task:${systemId}`, ['name', 'cardNumber']);
    const covered = await categoriesOf(deps, request);
    return {
      title: `Task in ${system.name}`,
      form: {
        question: `Request ${request.requestId}: ${system.name}`,
        details: systemTaskDetails({
          requestId: request.requestId,
          kind: request.kind,
          createdAt: request.createdAt,
          dueAt: request.dueAt,
          system: system.name,
          instruction,
          categories: system.categories.filter((c) => covered.includes(c)),
          ...(patron
            ? { person: { name: `${patron.firstName} ${patron.lastName}`, cardNumber: patron.cardNumber } }
            : {}),
        }),
        buttons: [
          { decision: 'done', label: 'Done', primary: true },
          { decision: 'could-not', label: 'Could not' },
        ],
        reasonField: { label: 'Reason (required for "could not"; the privacy officer will read it)' },
      },
    };
  },
  thanks: {
    done: 'Recorded as done. Thank you.',
    'could-not': 'Recorded as could not be done. The privacy officer has been told.',
  },
  check(input) {
    if (input.decision === 'could-not') checkCouldNotReason(input.reason);
  },
  async record({ deps, token, input }) {
    const decision = input.decision === 'could-not' ? 'could-not' : 'done';
    await recordSystemAnswer(deps, token, {
      decision,
      ...(decision === 'could-not' ? { reason: checkCouldNotReason(input.reason) } : {}),
    });
  },
  // Several systems' tasks are open at once: only this system's other links go, and the step is
  // answered through the callback token stored on its result (a restart renews it).
  settle: ({ deps, token }) => settleSystemTask(deps, token),
};
