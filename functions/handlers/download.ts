import { openDownload } from '../app/download-link.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { htmlResponse, httpHandler, type HttpResult } from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';
import { downloadExpiredPage, downloadNotFoundPage } from '../render/request-pages.ts';

const NO_STORE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

/**
 * `GET /download/{token}`: the file while the link lives (R8a), then 410. A GET changes nothing,
 * so a download link may be opened again until it expires.
 */
export const createHandler = (deps: Deps) => {
  const routes: Routes = {
    'GET /download/{token}': async (event): Promise<HttpResult> => {
      const opened = await openDownload(deps, event.pathParameters?.token ?? '');
      if (opened.kind === 'not-found') return htmlResponse(404, downloadNotFoundPage());
      if (opened.kind === 'expired') return htmlResponse(410, downloadExpiredPage());
      const { fileName, download } = opened;
      if (download.kind === 'redirect') return { statusCode: 303, headers: { location: download.url, ...NO_STORE } };
      return {
        statusCode: 200,
        headers: {
          'content-type': download.contentType,
          'content-disposition': `attachment; filename="${fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
        body: download.body.toString('base64'),
        isBase64Encoded: true,
      };
    },
  };
  return httpHandler(deps, (event) => dispatch(routes, event));
};

export const handler = lambdaEntry(createHandler);
