import type { Download } from '../adapters/s3/files.ts';
import { NotFoundError } from '../domain/errors.ts';
import type { TokenRecipient } from '../domain/tokens.ts';
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

/** What opening a download link finds: nothing, a file past its time, or the file (R8a). */
export type OpenedDownload =
  { kind: 'not-found' } | { kind: 'expired' } | { kind: 'file'; fileName: string; download: Download };

/**
 * Opening a download link. Reading changes nothing, so a link may be opened again until it expires
 * (a mail scanner's visit uses nothing up); once it has, or was revoked, or its file is gone, it is
 * expired (R8a).
 */
export async function openDownload(
  deps: Pick<Deps, 'tokens' | 'files' | 'clock'>,
  secret: string,
): Promise<OpenedDownload> {
  let token;
  try {
    token = await deps.tokens.find(secret);
  } catch (e) {
    if (e instanceof NotFoundError) return { kind: 'not-found' };
    throw e;
  }
  if (token.purpose !== 'download' || !token.fileKey) return { kind: 'not-found' };
  const expired = deps.clock().getTime() >= Date.parse(token.expiresAt) || token.revokedAt !== undefined;
  if (expired || !(await deps.files.exists(token.fileKey))) return { kind: 'expired' };
  const fileName = token.fileName ?? 'download';
  const download = await deps.files.download(token.fileKey, fileName, token.contentType ?? 'application/octet-stream');
  return { kind: 'file', fileName, download };
}
