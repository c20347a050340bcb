import { openDownload, takeStaffDownload, type OpenedDownload } from '../app/download-link.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { htmlResponse, httpHandler, type HttpEvent, type HttpResult } from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';
import { staffDownloadPage, staffDownloadUsedPage } from '../render/download-pages.ts';
import { downloadExpiredPage, downloadNotFoundPage } from '../render/request-pages.ts';

const NO_STORE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

const secretOf = (event: HttpEvent): string => event.pathParameters?.token ?? '';

/**
 * `GET /download/{token}`: a patron's file while the link lives (R8a), then 410; a GET changes
 * nothing, so it may be opened again until it expires. A staff member's link to a file to hand
 * over shows a page; its `POST` is the one download it allows (R1, R17). Every download is audited.
 */
export const createHandler = (deps: Deps) => {
  const answer = (opened: OpenedDownload, secret: string): HttpResult => {
    if (opened.kind === 'not-found') return htmlResponse(404, downloadNotFoundPage());
    if (opened.kind === 'expired') return htmlResponse(410, downloadExpiredPage());
    if (opened.kind === 'used') return htmlResponse(410, staffDownloadUsedPage());
    if (opened.kind === 'confirm') {
      const page = htmlResponse(200, staffDownloadPage({ action: `/download/${secret}`, requestId: opened.requestId }));
      return { ...page, headers: { ...page.headers, ...NO_STORE } };
    }
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
  };
  const routes: Routes = {
    'GET /download/{token}': async (event) => answer(await openDownload(deps, secretOf(event)), secretOf(event)),
    'POST /download/{token}': async (event) => answer(await takeStaffDownload(deps, secretOf(event)), secretOf(event)),
  };
  return httpHandler(deps, (event) => dispatch(routes, event));
};

export const handler = lambdaEntry(createHandler);
