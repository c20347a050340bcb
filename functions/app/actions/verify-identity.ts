import { verifyIdentityDetails } from '../../render/link-pages.ts';
import type { LinkAction } from './link-action.ts';
import { recordVerification } from './verification.ts';

/** The requester confirms, through the email on file, that they made the request. */
export const verifyIdentity: LinkAction = {
  show: async ({ request }) => ({
    title: 'Confirm your request',
    form: {
      question: 'Did you make this request?',
      details: verifyIdentityDetails(request),
      buttons: [{ decision: 'confirm', label: 'Yes, this was me', primary: true }],
    },
  }),
  thanks: { default: 'Your request is confirmed. We will email you when it is done.' },
  record: ({ deps, token }) =>
    recordVerification(deps, token, { method: 'email-link', verifiedAt: deps.clock().toISOString() }),
};
