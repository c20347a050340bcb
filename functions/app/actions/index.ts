import { NotFoundError } from '../../domain/errors.ts';
import type { ActionToken, TokenPurpose } from '../../domain/tokens.ts';
import { approve } from './approve.ts';
import { confirmEmail } from './confirm-email.ts';
import { confirmPhone } from './confirm-phone.ts';
import { consent } from './consent.ts';
import { guardianLink } from './guardian-link.ts';
import type { LinkAction } from './link-action.ts';
import { systemTask } from './system-task.ts';
import { undoEmailChange } from './undo-email-change.ts';
import { verifyIdentity } from './verify-identity.ts';
import { verifyInPerson } from './verify-in-person.ts';

/** Every purpose an emailed `/act/{token}` link can have: all but downloads, which `/download/{token}` serves. */
export type ActionPurpose = Exclude<TokenPurpose, 'download'>;

/** One action per link purpose: a purpose added to TOKEN_PURPOSES does not compile until it has one here. */
export const LINK_ACTIONS: Readonly<Record<ActionPurpose, LinkAction>> = {
  'verify-identity': verifyIdentity,
  'verify-in-person': verifyInPerson,
  approve,
  'confirm-email': confirmEmail,
  'confirm-phone': confirmPhone,
  consent,
  'guardian-link': guardianLink,
  'system-task': systemTask,
  'undo-email-change': undoEmailChange,
};

/** The action a token's link performs; a download token is not an action link. */
export function linkActionFor(token: Pick<ActionToken, 'purpose'>): LinkAction {
  if (token.purpose === 'download' || !Object.hasOwn(LINK_ACTIONS, token.purpose))
    throw new NotFoundError('not an action link');
  return LINK_ACTIONS[token.purpose];
}
