import { changeLines } from '../../domain/correction.ts';
import type { RequestRecord } from '../../domain/request.ts';
import type { Deps } from '../../lib/deps.ts';
import { html, type SafeHtml } from '../../lib/html.ts';
import { changeTable, THIRD_PARTY_ADDRESS_DETAILS, verifyIdentityDetails } from '../../render/link-pages.ts';
import type { LinkAction } from './link-action.ts';
import { recordVerification } from './verification.ts';

/** The requester confirms, through the email on file, that they made the request. */
export const verifyIdentity: LinkAction = {
  show: async ({ deps, request }) => ({
    title: request.kind === 'third-party' ? 'Confirm your email address' : 'Confirm your request',
    form: {
      question: 'Did you make this request?',
      // R14: a third party confirms the address they typed; the page names no patron and no record.
      details:
        request.kind === 'third-party'
          ? THIRD_PARTY_ADDRESS_DETAILS
          : html`${verifyIdentityDetails(request)}${await changesShown(deps, request)}`,
      buttons: [{ decision: 'confirm', label: 'Yes, this was me', primary: true }],
    },
  }),
  thanks: { default: 'Your request is confirmed. We will email you when it is done.' },
  record: ({ deps, token }) =>
    recordVerification(deps, token, { method: 'email-link', verifiedAt: deps.clock().toISOString() }),
};

/**
 * R6: a correction's confirmation shows exactly what will change, old → new, field by field. This
 * page is reached only from the email on the patron's own record, so nothing is masked.
 */
async function changesShown(deps: Deps, request: RequestRecord): Promise<SafeHtml | string> {
  if (request.kind !== 'correction' || !request.changes || !request.patronId) return '';
  const patron = await deps.people.getPatron(request.patronId);
  if (!patron) return '';
  return changeTable(changeLines(request.changes, patron));
}
