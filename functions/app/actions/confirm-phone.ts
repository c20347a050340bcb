import { changesOf } from '../../domain/request.ts';
import { GoneError, NotFoundError } from '../../domain/errors.ts';
import { phoneConfirmationDetails } from '../../render/link-pages.ts';
import { readableMoment } from '../../render/readable-time.ts';
import { confirmOrDecline, type LinkAction } from './link-action.ts';
import { recordStaffRead } from './staff-read.ts';

/** R6: circulation staff call a new phone number (there is no SMS) and record whether its owner asked for it. */
export const confirmPhone: LinkAction = {
  async show({ deps, token, request }) {
    const patron = request.patronId ? await deps.people.getPatron(request.patronId) : undefined;
    if (!patron) throw new NotFoundError('no patron');
    const newPhone = changesOf(request)?.phone;
    if (!newPhone) throw new GoneError('no new number to confirm');
    const library = await deps.records.library();
    // R1: a staff member is about to see a patron's details and the number they asked for; the read is on the record.
    await recordStaffRead(deps, token, 'phone-confirmation', ['name', 'cardNumber', 'newPhone']);
    return {
      title: 'Call to confirm a new phone number',
      form: {
        question: `Confirm the new phone number of ${patron.firstName} ${patron.lastName}`,
        details: phoneConfirmationDetails(request, patron, newPhone, readableMoment(token.expiresAt, library.timezone)),
        buttons: confirmOrDecline('Confirmed: they answered and asked for this change', 'Could not confirm'),
      },
    };
  },
  thanks: {
    confirm: 'Recorded: the new number is confirmed. The correction continues.',
    decline: 'Recorded: the number could not be confirmed. Nothing is changed and the patron is told.',
  },
  async record({ deps, token, input }) {
    // R6: who confirmed the new number by calling it, or could not; never the number (R5).
    await deps.audit.append(token.requestId, {
      eventId: `phone-confirmation:${token.step}`,
      type: input.decision === 'confirm' ? 'phone-confirmed' : 'phone-not-confirmed',
      actor: { kind: 'staff', id: token.recipient.id, role: token.recipient.role },
    });
  },
};
