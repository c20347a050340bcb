import { NotFoundError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { htmlResponse, httpHandler } from '../lib/http.ts';
import { renderNotice, renderPage } from '../render/layout.ts';

/**
 * `GET /download/{token}`: the file while the link lives (R8a), then 410. A GET changes nothing,
 * so a download link may be opened again until it expires (a mail scanner's visit uses nothing up).
 */
export const createHandler = (deps: Deps) =>
  httpHandler(deps, async (event) => {
    const secret = event.pathParameters?.token ?? '';
    let token;
    try {
      token = await deps.tokens.find(secret);
      if (token.purpose !== 'download' || !token.fileKey) throw new NotFoundError('not a download');
    } catch (e) {
      if (e instanceof NotFoundError)
        return htmlResponse(
          404,
          renderPage({ title: 'Link not found', body: renderNotice('error', 'This download link is not valid.') }),
        );
      throw e;
    }
    const expired = deps.clock().getTime() >= Date.parse(token.expiresAt) || token.revokedAt !== undefined;
    if (expired || !(await deps.files.exists(token.fileKey))) {
      return htmlResponse(
        410,
        renderPage({
          title: 'This download has expired',
          body: renderNotice(
            'info',
            'Files are deleted when their link expires. You can make a new request at any time.',
          ),
        }),
      );
    }
    const fileName = token.fileName ?? 'download';
    const file = await deps.files.download(token.fileKey, fileName, token.contentType ?? 'application/octet-stream');
    if (file.kind === 'redirect')
      return {
        statusCode: 303,
        headers: { location: file.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' },
      };
    return {
      statusCode: 200,
      headers: {
        'content-type': file.contentType,
        'content-disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
      body: file.body.toString('base64'),
      isBase64Encoded: true,
    };
  });

export const handler = lambdaEntry(createHandler);
