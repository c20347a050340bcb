import * as z from '../domain/zod.ts';
import { decisionSchema } from '../app/actions/decision.ts';
import { decideOnLink, openLink, type LinkAnswer } from '../app/actions/follow-link.ts';
import type { LinkFile, LinkPage } from '../app/actions/link-action.ts';
import {
  approvalDocument,
  ApprovalRefusedError,
  decideApproval,
  openApproval,
} from '../app/actions/signed-in-approval.ts';
import { GoneError, NotFoundError } from '../domain/errors.ts';
import { authProblem, principalOf } from '../lib/auth.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import {
  htmlResponse,
  httpHandler,
  json,
  parseBody,
  problem,
  validate,
  type HttpEvent,
  type HttpResult,
} from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';
import { renderPage } from '../render/layout.ts';
import { GONE_LINK, UNKNOWN_LINK } from '../render/link-pages.ts';

/**
 * `GET /act/{token}` shows what an emailed link asks (and changes nothing); `POST` records the answer.
 * R12: a staff approval instead goes through the signed-in `/api/staff/approvals/*` routes, its
 * secret in the POST body (never a path, so never in an access log).
 */
const page = ({ status, title, body }: LinkPage): HttpResult =>
  htmlResponse(status, renderPage({ title, body, status }));

/** The approval page's answer: the same page, as JSON it puts in place (`html` was escaped here). */
const pageJson = ({ status, title, body }: LinkPage): HttpResult => json(status, { title, html: body.value });

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

const approvalBody = z.lazy(() => z.looseObject({ token: z.string().check(z.maxLength(128)) }));

export const createHandler = (deps: Deps) => {
  const routes: Routes = {
    'GET /act/{token}': async (event) =>
      answer(await openLink(deps, secretOf(event), event.queryStringParameters?.view)),
    'POST /act/{token}': async (event) =>
      page(await decideOnLink(deps, secretOf(event), () => parseBody(event, decisionSchema))),
  };
  const signedIn: Routes = {
    'POST /api/staff/approvals/open': async (event) =>
      pageJson(await openApproval(deps, principalOf(event), parseBody(event, approvalBody).token)),
    'POST /api/staff/approvals/decide': async (event) => {
      const who = principalOf(event);
      const { token, ...rest } = parseBody(event, approvalBody);
      return pageJson(await decideApproval(deps, who, token, () => validate(decisionSchema, rest)));
    },
    // A redirect to storage would be followed by the page's fetch across origins: its address is answered instead.
    'POST /api/staff/approvals/document': async (event) => {
      const f = await approvalDocument(deps, principalOf(event), parseBody(event, approvalBody).token);
      return f.kind === 'redirect' ? json(200, { url: f.url }) : file(f);
    },
  };
  return httpHandler(deps, async (event) => {
    if (Object.hasOwn(signedIn, event.routeKey)) {
      try {
        return await dispatch(signedIn, event);
      } catch (e) {
        if (e instanceof ApprovalRefusedError) return problem(403, 'Not your approval', e.detail);
        if (e instanceof GoneError) return problem(410, GONE_LINK.title, 'It was already used, or it has expired.');
        if (e instanceof NotFoundError) return problem(404, UNKNOWN_LINK.title, 'This link is not valid.');
        const auth = authProblem(e);
        if (auth) return auth;
        throw e;
      }
    }
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
