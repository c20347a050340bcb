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
