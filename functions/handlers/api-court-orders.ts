import * as z from 'zod';
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
  if (e instanceof OrderFileNotPdfError)
    return problem(
      415,
      'Unsupported media type',
      'The stored file is not a PDF. Upload the order as a PDF, then submit again.',
    );
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
