import { resumeClock } from '../../domain/request.ts';
import { changeLines, maskEmail } from '../../domain/correction.ts';
import type { RequestRecord } from '../../domain/request.ts';
import type { Deps } from '../../lib/deps.ts';
import { html, type SafeHtml } from '../../lib/html.ts';
import { changeTable, EMAIL_CONFIRMATION_DETAILS } from '../../render/link-pages.ts';
import { confirmOrDecline, type LinkAction } from './link-action.ts';

/** R6: a new email address is confirmed through itself before the correction uses it. */
export const confirmEmail: LinkAction = {
  show: async ({ deps, request }) => ({
    title: 'Confirm your new email address',
    form: {
      question: 'Is this your email address?',
      details: html`${EMAIL_CONFIRMATION_DETAILS}${await changesShown(deps, request)}`,
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

/**
 * R6: what will change, shown to an address nobody has yet proved is the patron's: the email
 * change with the address on file masked, and the other details by name only.
 */
async function changesShown(deps: Deps, request: RequestRecord): Promise<SafeHtml | string> {
  if (request.kind !== 'correction' || !request.changes || !request.patronId) return '';
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) return '';
  const lines = changeLines(request.changes, patron).map((l) =>
    l.field === 'Email'
      ? { ...l, from: l.from ? maskEmail(l.from) : '' }
      : { field: l.field, from: '(on file)', to: '(as asked)' },
  );
  const replacing = Boolean(patron.email);
  return html`${changeTable(lines)}${replacing ? html`<p>This replaces the email address on the account, so library staff approve it before it takes effect, and the address now on file is told, with a way to undo it.</p>` : ''}`;
}
