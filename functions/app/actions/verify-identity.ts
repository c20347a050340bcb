import { THIRD_PARTY_ADDRESS_DETAILS, verifyIdentityDetails } from '../../render/link-pages.ts';
import type { LinkAction } from './link-action.ts';
import { recordVerification } from './verification.ts';

/** The requester confirms, through the email on file, that they made the request. */
export const verifyIdentity: LinkAction = {
  show: async ({ request }) => ({
    title: request.kind === 'third-party' ? 'Confirm your email address' : 'Confirm your request',
    form: {
      question: 'Did you make this request?',
      // R14: a third party confirms the address they typed; the page names no patron and no record.
      details: request.kind === 'third-party' ? THIRD_PARTY_ADDRESS_DETAILS : verifyIdentityDetails(request),
      buttons: [{ decision: 'confirm', label: 'Yes, this was me', primary: true }],
    },
  }),
  thanks: { default: 'Your request is confirmed. We will email you when it is done.' },
  record: ({ deps, token }) =>
    recordVerification(deps, token, { method: 'email-link', verifiedAt: deps.clock().toISOString() }),
};
