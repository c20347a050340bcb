import { decisionSchema } from '../app/actions/decision.ts';
import { decideOnLink, openLink, type LinkAnswer } from '../app/actions/follow-link.ts';
import type { LinkFile, LinkPage } from '../app/actions/link-action.ts';
import { GoneError, NotFoundError } from '../domain/errors.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { htmlResponse, httpHandler, parseBody, type HttpEvent, type HttpResult } from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';
import { renderPage } from '../render/layout.ts';
import { GONE_LINK, UNKNOWN_LINK } from '../render/link-pages.ts';

/** `GET /act/{token}` shows what an emailed link asks (and changes nothing); `POST` records the answer. */
const page = ({ status, title, body }: LinkPage): HttpResult =>
  htmlResponse(status, renderPage({ title, body, status }));

const file = (f: LinkFile): HttpResult =>
  f.kind === 'redirect'
    ? { statusCode: 303, headers: { location: f.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } }
    : {
        statusCode: 200,
        headers: {
          'content-type': f.contentType,
          // Saved, not rendered in the page's origin; and should a browser render it anyway, it runs
          // sandboxed, with nothing to load (R12: the order was checked at submit, domain/pdf-check.ts).
          'content-disposition': `attachment; filename="${f.fileName}"`,
          'content-security-policy': "sandbox; default-src 'none'; object-src 'none'",
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
        body: f.body.toString('base64'),
        isBase64Encoded: true,
      };

const answer = (a: LinkAnswer): HttpResult => ('file' in a ? file(a.file) : page(a.page));

const secretOf = (event: HttpEvent): string => event.pathParameters?.token ?? '';

export const createHandler = (deps: Deps) => {
  const routes: Routes = {
    'GET /act/{token}': async (event) =>
      answer(await openLink(deps, secretOf(event), event.queryStringParameters?.view)),
    'POST /act/{token}': async (event) =>
      page(await decideOnLink(deps, secretOf(event), () => parseBody(event, decisionSchema))),
  };
  return httpHandler(deps, async (event) => {
    try {
      return await dispatch(routes, event);
    } catch (e) {
      // People follow these links from email: answer with a page, not JSON.
      if (e instanceof GoneError) return page(GONE_LINK);
      if (e instanceof NotFoundError) return page(UNKNOWN_LINK);
      throw e;
    }
  });
};

export const handler = lambdaEntry(createHandler);
