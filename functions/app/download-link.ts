import type { Download } from '../adapters/s3/files.ts';
import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../domain/audit.ts';
import { HAND_OVER_ROLE } from '../domain/desk-checks.ts';
import { GoneError, NotFoundError } from '../domain/errors.ts';
import type { ActionToken, TokenRecipient } from '../domain/tokens.ts';
import type { Deps } from '../lib/deps.ts';

export interface DownloadFile {
  requestId: string;
  recipient: TokenRecipient;
  /** The workflow step that delivers it, named on the token. */
  step: string;
  fileKey: string;
  /** What the browser saves it as; names no person. */
  fileName: string;
  contentType: string;
}

/**
 * R8a: an expiring, single-recipient download link to a stored file, from the policy's link time.
 * The sweep deletes the file when the link expires.
 */
export async function issueDownloadLink(
  deps: Pick<Deps, 'tokens' | 'policy' | 'baseUrl'>,
  file: DownloadFile,
): Promise<{ link: string; expiresAt: string }> {
  const { secret, token } = await deps.tokens.issue({
    purpose: 'download',
    decisions: [],
    ttlSeconds: Math.round(deps.policy.downloads.linkTtlHours * 3600),
    ...file,
  });
  return { link: `${deps.baseUrl}/download/${secret}`, expiresAt: token.expiresAt };
}

/** What opening a download link finds: nothing, a file past its time, a staff link's page, or the file (R8a). */
export type OpenedDownload =
  | { kind: 'not-found' }
  | { kind: 'expired' }
  | { kind: 'used' }
  | { kind: 'confirm'; requestId: string }
  | { kind: 'file'; fileName: string; download: Download };

async function downloadToken(deps: Pick<Deps, 'tokens'>, secret: string): Promise<ActionToken | undefined> {
  try {
    const token = await deps.tokens.find(secret);
    return token.purpose === 'download' && token.fileKey ? token : undefined;
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

/** R1, R17: a staff member's own link to a file for the desk (not counsel's package, R12, which downloads as before). */
const isForHandOver = (token: ActionToken): boolean =>
  token.recipient.kind === 'staff' && token.recipient.role === HAND_OVER_ROLE;

const isPast = (deps: Pick<Deps, 'clock'>, token: ActionToken) => deps.clock().getTime() >= Date.parse(token.expiresAt);

/** Who downloads, as the audit trail names them: staff (counsel) by id and role; a patron or requester by kind only (R5). */
const downloader = (token: ActionToken): AuditActor =>
  token.recipient.kind === 'staff'
    ? { kind: 'staff', id: token.recipient.id, ...(token.recipient.role ? { role: token.recipient.role } : {}) }
    : { kind: token.recipient.kind === 'requester' ? 'requester' : 'patron' };

/**
 * Opening a download link (GET). A patron's: reading changes nothing, so the link may be opened
 * again until it expires (a mail scanner's visit uses nothing up), and every download is on the
 * audit trail (R1, R17). A staff member's (a file to hand over at the desk): the GET only shows a
 * page whose button downloads (`takeStaffDownload`), so a scanner or a HEAD never uses it up. Once
 * expired, revoked, used (staff) or its file gone, it is expired (R8a).
 */
export async function openDownload(
  deps: Pick<Deps, 'tokens' | 'files' | 'clock' | 'audit'>,
  secret: string,
): Promise<OpenedDownload> {
  const token = await downloadToken(deps, secret);
  if (!token?.fileKey) return { kind: 'not-found' };
  if (isPast(deps, token) || !(await deps.files.exists(token.fileKey))) return { kind: 'expired' };
  if (isForHandOver(token))
    return token.usedAt || token.revokedAt ? { kind: 'used' } : { kind: 'confirm', requestId: token.requestId };
  if (token.revokedAt) return { kind: 'expired' };
  const fileName = token.fileName ?? 'download';
  const download = await deps.files.download(token.fileKey, fileName, token.contentType ?? 'application/octet-stream');
  // R1, R17: a read of a file made from the patron's records; each one its own event, ids only.
  await deps.audit.append(token.requestId, {
    eventId: `downloaded:${randomUUID()}`,
    type: 'file-downloaded',
    actor: downloader(token),
    data: { step: token.step },
  });
  return { kind: 'file', fileName, download };
}

/**
 * R1, R17: a staff member's download of a file to hand over (the POST of the page above): their
 * own link, used once (another staff member's link is untouched), on the audit trail with who
 * (the staff id the link was sent to), when and which request; never the patron (R5).
 */
export async function takeStaffDownload(
  deps: Pick<Deps, 'tokens' | 'files' | 'clock' | 'audit'>,
  secret: string,
): Promise<OpenedDownload> {
  const token = await downloadToken(deps, secret);
  if (!token?.fileKey || !isForHandOver(token)) return { kind: 'not-found' };
  if (isPast(deps, token) || !(await deps.files.exists(token.fileKey))) return { kind: 'expired' };
  try {
    await deps.tokens.useDownload(token);
  } catch (e) {
    if (e instanceof GoneError) return { kind: 'used' };
    throw e;
  }
  await deps.audit.append(token.requestId, {
    eventId: `downloaded:${token.tokenHash.slice(0, 16)}`,
    type: 'file-downloaded',
    actor: { kind: 'staff', id: token.recipient.id, ...(token.recipient.role ? { role: token.recipient.role } : {}) },
    data: { step: token.step, channel: 'in-person' },
  });
  const fileName = token.fileName ?? 'download';
  const download = await deps.files.download(token.fileKey, fileName, token.contentType ?? 'application/octet-stream');
  return { kind: 'file', fileName, download };
}
