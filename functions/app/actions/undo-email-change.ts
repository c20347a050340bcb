import { refOf } from '../../connectors/people.ts';
import { hasConnector, type ConnectedSystem } from '../../connectors/index.ts';
import { GoneError, IntegrityError } from '../../domain/errors.ts';
import { systemName } from '../../domain/systems.ts';
import type { Deps } from '../../lib/deps.ts';
import { html } from '../../lib/html.ts';
import { emailChangeUndoneEmail } from '../../render/emails.ts';
import { tellPrivacyOfficers } from '../deliver.ts';
import type { LinkAction } from './link-action.ts';

/**
 * R6: the old address undoes a replaced email. The link is single-use and expiring, and stored only
 * as a hash like every link; a GET shows what will happen and only the POST puts the old address
 * back, in every system the correction changed (R19): through the connector where the system has
 * one, and named to the privacy officers where staff changed it by hand. It outlives the request,
 * which closed when the change was made.
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
    const previous = request.previousEmail;
    const { reverted, byHand } = await putBackEverywhere(deps, token.requestId, request.patronId, previous);
    await deps.requests.update(token.requestId, (r) => {
      if (r.kind !== 'correction') return undefined;
      const { previousEmail: _restored, ...rest } = r;
      return rest;
    });
    await deps.audit.append(token.requestId, {
      eventId: 'email-change-undone',
      type: 'email-change-undone',
      actor: { kind: 'patron' },
      data: { systems: reverted, byHand },
    });
    await tellPrivacyOfficers(deps, { requestId: token.requestId, purpose: 'email-change-undone' }, (library) =>
      emailChangeUndoneEmail({
        library,
        requestId: token.requestId,
        byHand: byHand.map((id) => systemName(deps.systems, id)),
      }),
    );
  },
};

/**
 * R6, R19: the old address goes back in each system whose result says the correction was made
 * there, the system of record included even if its result is missing. Writing the same address
 * twice is harmless, so a retried POST may repeat this.
 */
async function putBackEverywhere(
  deps: Deps,
  requestId: string,
  patronId: string,
  previous: string,
): Promise<{ reverted: string[]; byHand: string[] }> {
  const own = refOf(patronId, deps.systems);
  if (!own || !hasConnector(own.system)) throw new IntegrityError('the system of record cannot be reached');
  const refs = new Map<string, { system: ConnectedSystem; patronId: string }>([
    [own.system.id, { system: own.system, patronId: own.ref.patronId }],
  ]);
  const byHand: string[] = [];
  for (const result of await deps.systemResults.list(requestId)) {
    if (result.state !== 'done') continue;
    const system = deps.systems.systems.find((s) => s.id === result.systemId);
    if (!system) continue;
    if (hasConnector(system) && result.ref) refs.set(system.id, { system, patronId: result.ref });
    else if (!hasConnector(system)) byHand.push(system.id);
  }
  for (const [systemId, { system, patronId: id }] of refs)
    await deps.connector(system).correct({ systemId, patronId: id }, { email: previous });
  return { reverted: [...refs.keys()], byHand };
}
