import type { RequestRecord } from '../../domain/request.ts';
import { isSignedInPurpose, type ActionToken, type TokenPurpose } from '../../domain/tokens.ts';
import type { Principal } from '../../lib/auth.ts';
import type { Deps } from '../../lib/deps.ts';
import type { SafeHtml } from '../../lib/html.ts';
import type { DecisionButton, DecisionFormOptions } from '../../render/layout.ts';
import type { DecisionInput } from './decision.ts';

/** A page a link answers with: the handler puts `body` in the site's layout and sends `status`. */
export interface LinkPage {
  status: number;
  title: string;
  body: SafeHtml;
}

/** A stored document a link's page points to (a GET that only reads): a redirect to storage, or its bytes. */
export type LinkFile =
  { kind: 'redirect'; url: string } | { kind: 'body'; body: Buffer; fileName: string; contentType: string };

/** What an action's confirmation page shows: its title and the decision form (the form's address is the link's). */
export interface ActionView {
  title: string;
  form: Omit<DecisionFormOptions, 'action'>;
}

export interface LinkContext {
  deps: Deps;
  token: ActionToken;
  request: RequestRecord;
  /** The link's secret, for addresses on the page itself (the form posts back to it). */
  secret: string;
  /** R12: who opened it signed in (a staff approval), checked to be the link's recipient. */
  signedIn?: Principal;
}

export interface DecisionContext {
  deps: Deps;
  /** The token as consumed: used once, by this decision. */
  token: ActionToken;
  /** The request as read before the token was consumed. */
  request: RequestRecord;
  input: DecisionInput;
  /** R12: who decided signed in (a staff approval), checked to be the link's recipient. */
  signedIn?: Principal;
}

/**
 * One link purpose: what its page shows, which answers it takes, the thanks for each, and what
 * an answer does. The shared steps (finding the token, R7's attempt count, consuming it, revoking
 * the other copies, resuming the workflow) are `follow-link.ts`'s, the same for every purpose.
 */
export interface LinkAction {
  /** The page a GET shows; it never changes state, but a staff member seeing a patron is audited (R1). */
  show(ctx: LinkContext): Promise<ActionView>;
  /** The thanks page's text per decision (`default` for any decision not named). */
  thanks: Readonly<Record<string, string>>;
  /** Checks the answer beyond it being one the link offers; throws InvalidInputError, which counts as a bad attempt (R7). */
  check?(input: DecisionInput): void;
  /** A person this link may not decide through, even though it works: a refusal page instead (R12). `record` on a POST. */
  refuse?(ctx: LinkContext, record: boolean): Promise<LinkPage | undefined>;
  /** The answer may still be recorded after the request closed (its task outlives the request). */
  outlivesRequest?: boolean;
  /** A stored document the page links to, opened by a request that only reads (R12: signed in, for an approval). */
  document?(deps: Deps, token: ActionToken, signedIn?: Principal): Promise<LinkFile>;
  /** What the decision does, once the token is consumed and before the workflow resumes. */
  record(ctx: DecisionContext): Promise<void>;
  /**
   * Instead of voiding every open link of the request and resuming the step through the link's own
   * callback token: for a step that waits beside others of the same request (a manual system, R19).
   */
  settle?(ctx: DecisionContext): Promise<void>;
}

/** The two answers of a confirmation link (R6): confirm, the button a person most likely wants, or decline. */
export const confirmOrDecline = (confirm: string, decline: string): DecisionButton[] => [
  { decision: 'confirm', label: confirm, primary: true },
  { decision: 'decline', label: decline },
];

/**
 * R12: where a staff approval is opened, signed in. The link's secret rides in the fragment, which a
 * browser never sends: no server, CloudFront or access log sees it; the page hands it to the API in
 * a POST body.
 */
export const APPROVAL_PAGE = '/approval.html';

/** The address an emailed link opens: the signed-in approval page for an approval, `/act/{secret}` for the rest. */
export const linkPathFor = (purpose: TokenPurpose, secret: string): string =>
  isSignedInPurpose(purpose) ? `${APPROVAL_PAGE}#${secret}` : `/act/${secret}`;
