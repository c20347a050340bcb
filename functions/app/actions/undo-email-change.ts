import { refOf } from '../../connectors/people.ts';
import { hasConnector } from '../../connectors/index.ts';
import { GoneError, IntegrityError } from '../../domain/errors.ts';
import { html } from '../../lib/html.ts';
import { emailChangeUndoneEmail } from '../../render/emails.ts';
import { tellPrivacyOfficers } from '../deliver.ts';
import type { LinkAction } from './link-action.ts';

/**
 * R6: the old address undoes a replaced email. The link is single-use and expiring, and stored only
 * as a hash like every link; a GET shows what will happen and only the POST puts the old address
 * back, in the system of record (R19). It outlives the request, which closed when the change was made.
 */
export const undoEmailChange: LinkAction = {
  outlivesRequest: true,
  async show({ request }) {
    if (request.kind !== 'correction' || !request.previousEmail) throw new GoneError('nothing to undo');
    return {
      title: 'Undo the change of your email address',
      form: {
        question: 'Put this address back on your account?',
        details: html`<p>The email address on your library account was changed from <strong>${request.previousEmail}</strong> to another address. If you did not ask for this, press the button: this address goes back on your account and library staff are told.</p>`,
        buttons: [{ decision: 'undo', label: 'Yes, undo the change', primary: true }],
      },
    };
  },
  thanks: { undo: 'The change is undone: this address is on your account again. Library staff will look into it.' },
  async record({ deps, token, request }) {
    if (request.kind !== 'correction' || !request.previousEmail || !request.patronId)
      throw new GoneError('nothing to undo');
    const where = refOf(request.patronId, deps.systems);
    if (!where || !hasConnector(where.system)) throw new IntegrityError('the system of record cannot be reached');
    const previous = request.previousEmail;
    await deps.connector(where.system).correct(where.ref, { email: previous });
    await deps.requests.update(token.requestId, (r) => {
      if (r.kind !== 'correction') return undefined;
      const { previousEmail: _restored, ...rest } = r;
      return rest;
    });
    await deps.audit.append(token.requestId, {
      eventId: 'email-change-undone',
      type: 'email-change-undone',
      actor: { kind: 'patron' },
      data: { system: where.system.id },
    });
    await tellPrivacyOfficers(deps, { requestId: token.requestId, purpose: 'email-change-undone' }, (library) =>
      emailChangeUndoneEmail({ library, requestId: token.requestId }),
    );
  },
};
