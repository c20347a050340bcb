import * as z from '../domain/zod.ts';
import { courtOrderView } from '../app/court-order-view.ts';
import { createCourtOrder } from '../app/create-court-order.ts';
import { NoHoldToReleaseError, releaseLegalHold, SecondSignoffNeededError } from '../app/release-legal-hold.ts';
import {
  NotOrderUploaderError,
  OrderFileNotPdfError,
  OrderFileTooLargeError,
  submitCourtOrder,
} from '../app/submit-court-order.ts';
import { authProblem, principalOf, requireGroup, type Principal } from '../lib/auth.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import { httpHandler, json, parseBody, problem, validate, type HttpEvent, type HttpResult } from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';

/**
 * Court orders (R12), for legal counsel signed in (group `counsel`; CONTRACT.md): file the metadata and
 * get an upload form (the PDF goes straight to storage), submit it (checked, kept, hold placed, R13,
 * workflow started), view it, release its hold. Police requests without an order have no route.
 */
const orderIdOf = (event: HttpEvent) => validate(z.uuid(), event.pathParameters?.orderId, 'the order id');

const counselRoutes = (deps: Deps, who: Principal): Routes => ({
  'POST /api/court-orders': async (event) =>
    json(201, await createCourtOrder(deps, who, parseBody(event, z.unknown()))),
  'GET /api/court-orders/{orderId}': async (event) => json(200, await courtOrderView(deps, orderIdOf(event))),
  'POST /api/court-orders/{orderId}/submit': async (event) =>
    json(202, await submitCourtOrder(deps, who, orderIdOf(event))),
});

/** R12: why the stored file was refused, and what counsel can do about it. */
const ORDER_FILE_REFUSED: Record<OrderFileNotPdfError['reason'], string> = {
  'not-a-pdf': 'The stored file is not a PDF. Upload the order as a PDF, then submit again.',
  incomplete: 'The stored PDF is incomplete (the upload may have been cut off). Upload it again, then submit again.',
  encrypted:
    'The stored PDF is protected by a password, so its content cannot be checked. Upload a copy without a password, then submit again.',
  'active-content':
    'The stored PDF contains scripts, embedded files or actions a PDF reader would run by itself. Upload a plain copy (print it to PDF), then submit again.',
  unreadable:
    'Part of the stored PDF cannot be read to check it. Upload a plain copy (print it to PDF), then submit again.',
};

const RELEASE_ROUTE = 'POST /api/court-orders/{orderId}/release-hold';
const releaseRoute = (deps: Deps, who: Principal) => async (event: HttpEvent) => {
  const result = await releaseLegalHold(deps, who, orderIdOf(event));
  // 202 while the second sign-off is awaited; 200 once released.
  return json(result.hold.status === 'released' ? 200 : 202, result);
};

function counselProblem(e: unknown): HttpResult | undefined {
  if (e instanceof NotOrderUploaderError)
    return problem(403, 'Forbidden', 'Only the counsel who started this order may submit it.');
  if (e instanceof OrderFileTooLargeError)
    return problem(
      413,
      'Payload too large',
      'The stored file is larger than 10 MB. Upload a smaller scan, then submit again.',
    );
  if (e instanceof OrderFileNotPdfError) return problem(415, 'Unsupported media type', ORDER_FILE_REFUSED[e.reason]);
  if (e instanceof NoHoldToReleaseError) return problem(409, 'Conflict', 'This order has no legal hold to release.');
  if (e instanceof SecondSignoffNeededError)
    return problem(
      409,
      'Conflict',
      'Your sign-off is recorded or your role has signed already: the release needs counsel and the privacy officer, two different people.',
    );
  return authProblem(e);
}

export const createHandler = (deps: Deps) =>
  httpHandler(deps, async (event) => {
    try {
      // R13: releasing a hold is counsel's and the privacy officer's (release-legal-hold.ts checks the roles).
      if (event.routeKey === RELEASE_ROUTE) return await releaseRoute(deps, principalOf(event))(event);
      return await dispatch(counselRoutes(deps, requireGroup(event, 'counsel')), event);
    } catch (e) {
      const p = counselProblem(e);
      if (p) return p;
      throw e;
    }
  });

export const handler = lambdaEntry(createHandler);
