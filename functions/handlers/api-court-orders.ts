import * as z from 'zod';
import { courtOrderView } from '../app/court-order-view.ts';
import { createCourtOrder } from '../app/create-court-order.ts';
import { NoHoldToReleaseError, releaseLegalHold } from '../app/release-legal-hold.ts';
import {
  NotOrderUploaderError,
  OrderFileNotPdfError,
  OrderFileTooLargeError,
  submitCourtOrder,
} from '../app/submit-court-order.ts';
import { authProblem, requireGroup, type Principal } from '../lib/auth.ts';
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
  'POST /api/court-orders/{orderId}/release-hold': async (event) =>
    json(200, await releaseLegalHold(deps, who, orderIdOf(event))),
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
  return authProblem(e);
}

export const createHandler = (deps: Deps) =>
  httpHandler(deps, async (event) => {
    try {
      return await dispatch(counselRoutes(deps, requireGroup(event, 'counsel')), event);
    } catch (e) {
      const p = counselProblem(e);
      if (p) return p;
      throw e;
    }
  });

export const handler = lambdaEntry(createHandler);
