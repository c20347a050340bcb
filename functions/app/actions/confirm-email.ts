import { resumeClock } from '../../domain/request.ts';
import { EMAIL_CONFIRMATION_DETAILS } from '../../render/link-pages.ts';
import { confirmOrDecline, type LinkAction } from './link-action.ts';

/** R6: a new email address is confirmed through itself before the correction uses it. */
export const confirmEmail: LinkAction = {
  show: async () => ({
    title: 'Confirm your new email address',
    form: {
      question: 'Is this your email address?',
      details: EMAIL_CONFIRMATION_DETAILS,
      buttons: confirmOrDecline('Yes, use this address', 'This is not my address'),
    },
  }),
  thanks: {
    confirm: 'Your new email address is confirmed.',
    decline: 'Thank you. This address will not be used.',
  },
  async record({ deps, token, input }) {
    // R15: the answer restarts the clock; the time it waited on the requester is added to the due date.
    await deps.requests.update(token.requestId, (r) => (r.waitingSince ? resumeClock(r, deps.clock()) : undefined));
    await deps.audit.append(token.requestId, {
      eventId: `email-confirmation:${token.step}`,
      type: input.decision === 'confirm' ? 'new-email-confirmed' : 'new-email-declined',
      actor: { kind: 'patron' },
    });
  },
};
