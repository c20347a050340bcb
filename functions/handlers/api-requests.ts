import * as z from '../domain/zod.ts';
import { cancelRequest, NotCancellableError, requestStatus } from '../app/request-status.ts';
import { KindNotAvailableError } from '../app/start-request.ts';
import { submitRequest } from '../app/submit-request.ts';
import { InvalidInputError } from '../domain/errors.ts';
import { requestInputSchema } from '../domain/request-input.ts';
import { lambdaEntry, type Deps } from '../lib/deps.ts';
import {
  htmlResponse,
  httpHandler,
  json,
  parseBody,
  problem,
  validate,
  wantsHtml,
  type HttpEvent,
} from '../lib/http.ts';
import { dispatch, type Routes } from '../lib/routes.ts';
import { formErrorPage, receivedPage } from '../render/request-pages.ts';

/** The public request form and its status address (CONTRACT.md "Requests"). */
const requestIdOf = (event: HttpEvent) => validate(z.uuid(), event.pathParameters?.requestId, 'the request id');
const keyOf = (event: HttpEvent) => event.queryStringParameters?.key;

export const createHandler = (deps: Deps) => {
  const routes: Routes = {
    'POST /api/requests': async (event) => {
      let input;
      try {
        input = parseBody(event, requestInputSchema);
      } catch (e) {
        if (e instanceof InvalidInputError && wantsHtml(event)) return htmlResponse(400, formErrorPage(e));
        throw e;
      }
      const { requestId, statusUrl } = await submitRequest(deps, input);
      if (wantsHtml(event))
        return htmlResponse(202, receivedPage(statusUrl, input.kind, 'email' in input && input.email !== undefined));
      return json(202, { requestId, status: 'received', statusUrl });
    },
    'GET /api/requests/{requestId}': async (event) =>
      json(200, await requestStatus(deps, requestIdOf(event), keyOf(event))),
    'POST /api/requests/{requestId}/cancel': async (event) =>
      json(200, await cancelRequest(deps, requestIdOf(event), keyOf(event))),
  };

  return httpHandler(deps, async (event) => {
    try {
      return await dispatch(routes, event);
    } catch (e) {
      if (e instanceof KindNotAvailableError)
        return problem(
          501,
          'Not available yet',
          'This kind of request cannot be made online yet. Please contact the library.',
        );
      if (e instanceof NotCancellableError)
        return problem(409, 'Cannot cancel', 'This request is already being fulfilled or has ended.');
      throw e;
    }
  });
};

export const handler = lambdaEntry(createHandler);
