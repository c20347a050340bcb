import type { Runtime } from '../../local/runtime.ts';
import { localToken } from './http.ts';
import type { SentEmail } from './runtime.ts';

/**
 * R12: a staff approval is opened and decided signed in, by the person the link was sent to. These
 * helpers do what the approval page (web/approval.js) does: take the secret from the emailed link's
 * fragment, sign in (the local runtime's token), and call the signed-in routes. They answer with a
 * Response holding the page's HTML, as `/act/{token}` answered before sign-in was required.
 */

/** The `{base}/approval.html#<secret>` link in an approval email. */
export function approvalLinkIn(email: SentEmail): string {
  const m = /https?:\/\/[^\s"<]+\/approval\.html#[A-Za-z0-9_-]+/.exec(email.body.text ?? '');
  if (!m) throw new Error(`no approval link in "${email.subject}"`);
  return m[0];
}

export const approvalSecretOf = (link: string): string => link.slice(link.indexOf('#') + 1);

/** Who signs in: by default the link's own recipient, in the role it was sent for. */
export interface SignedInAs {
  email: string;
  groups: string[];
}

async function bearer(rt: Pick<Runtime, 'baseUrl' | 'deps'>, link: string, as?: SignedInAs): Promise<string> {
  if (as) return localToken(rt.baseUrl, as.email, as.groups);
  const token = await rt.deps.tokens.find(approvalSecretOf(link));
  return localToken(rt.baseUrl, token.recipient.id, [token.recipient.role ?? '']);
}

async function call(
  rt: Pick<Runtime, 'baseUrl' | 'deps'>,
  route: 'open' | 'decide' | 'document',
  link: string,
  fields: Record<string, string>,
  as?: SignedInAs | 'nobody',
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (as !== 'nobody') headers.authorization = `Bearer ${await bearer(rt, link, as)}`;
  return fetch(`${rt.baseUrl}/api/staff/approvals/${route}`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ token: approvalSecretOf(link), ...fields }),
  });
}

/** The page's HTML as a Response (a problem document stays as it came). */
async function asPage(res: Response): Promise<Response> {
  if (!(res.headers.get('content-type') ?? '').startsWith('application/json')) return res;
  const page = (await res.json()) as { title: string; html: string };
  return new Response(`<h1>${page.title}</h1>${page.html}`, {
    status: res.status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });
}

/** Opens an approval signed in (as its recipient unless `as` says otherwise). */
export const openApproval = async (
  rt: Pick<Runtime, 'baseUrl' | 'deps'>,
  link: string,
  as?: SignedInAs | 'nobody',
): Promise<Response> => asPage(await call(rt, 'open', link, {}, as));

/** Decides an approval signed in (as its recipient unless `as` says otherwise). */
export const decideApproval = async (
  rt: Pick<Runtime, 'baseUrl' | 'deps'>,
  link: string,
  fields: Record<string, string>,
  as?: SignedInAs | 'nobody',
): Promise<Response> => asPage(await call(rt, 'decide', link, fields, as));

/** The approval's document (a court order's PDF), signed in as its recipient. */
export const approvalDocument = (rt: Pick<Runtime, 'baseUrl' | 'deps'>, link: string, as?: SignedInAs) =>
  call(rt, 'document', link, {}, as);
