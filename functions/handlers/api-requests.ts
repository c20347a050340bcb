import { timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { InvalidInputError, NotFoundError } from '../domain/errors.ts';
import { newRequestRecord } from '../domain/new-request.ts';
import { isCancellable, publicView, type RequestRecord } from '../domain/request.ts';
import type { StoredRequest } from '../domain/tombstone.ts';
import { requestInputSchema } from '../domain/request-input.ts';
import { hashSecret } from '../domain/tokens.ts';
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
  type HttpResult,
} from '../lib/http.ts';
import { html } from '../lib/html.ts';
import { renderPage } from '../render/layout.ts';
import type { WorkflowName } from '../../workflows/index.ts';

/** Request kinds whose workflow exists; the others are refused honestly until they do. */
const WORKFLOW_OF_KIND: Partial<Record<RequestRecord['kind'], WorkflowName>> = {
  access: 'access',
  export: 'export',
  correction: 'correction',
  deletion: 'deletion',
  'guardian-access': 'guardian-access',
  'third-party': 'third-party',
};

const idParam = z.uuid();

function checkKey(r: StoredRequest | undefined, key: string | undefined): StoredRequest {
  // Same answer for an unknown id and a wrong key: a guessed id learns nothing.
  const given = Buffer.from(hashSecret(key ?? ''), 'hex');
  const stored = Buffer.from(r?.statusKeyHash ?? '0'.repeat(64), 'hex');
  if (!r || !key || given.length !== stored.length || !timingSafeEqual(given, stored))
    throw new NotFoundError('no such request');
  return r;
}

export const createHandler = (deps: Deps) => {
  async function submit(event: HttpEvent): Promise<HttpResult> {
    let input;
    try {
      input = parseBody(event, requestInputSchema);
    } catch (e) {
      if (e instanceof InvalidInputError && wantsHtml(event)) return formErrorPage(e);
      throw e;
    }
    const workflow = WORKFLOW_OF_KIND[input.kind];
    if (!workflow)
      return problem(
        501,
        'Not available yet',
        'This kind of request cannot be made online yet. Please contact the library.',
      );

    const { record, statusKey: key } = newRequestRecord(input, deps.clock(), deps.policy);
    const { requestId } = record;
    await deps.requests.create(record);
    await deps.audit.append(requestId, {
      eventId: 'received',
      type: 'request-received',
      actor: { kind: 'requester' },
      data: { kind: input.kind },
    });
    // Every submission starts a workflow, matched or not, so the answer and its timing are the same.
    const { executionId } = await deps.workflow.start(workflow, requestId, { requestId });
    await deps.requests.update(requestId, (r) => (r.executionId ? undefined : { ...r, executionId }));

    const statusUrl = `/api/requests/${requestId}?key=${key}`;
    if (wantsHtml(event)) return receivedPage(statusUrl, input.kind);
    return json(202, { requestId, status: 'received', statusUrl });
  }

  async function status(event: HttpEvent, requestId: string): Promise<HttpResult> {
    const r = checkKey(await deps.requests.findStored(requestId), event.queryStringParameters?.key);
    return json(200, publicView(r, deps.clock()));
  }

  async function cancel(event: HttpEvent, requestId: string): Promise<HttpResult> {
    const r = checkKey(await deps.requests.findStored(requestId), event.queryStringParameters?.key);
    const view = publicView(r, deps.clock());
    if (view.status === 'cancelled') return json(200, view);
    if (!isCancellable(r.status) || view.status === 'expired')
      return problem(409, 'Cannot cancel', 'This request is already being fulfilled or has ended.');
    const cancelled = await deps.requests.transition(requestId, 'cancelled');
    await deps.audit.append(requestId, {
      eventId: 'cancelled',
      type: 'request-cancelled',
      actor: { kind: 'requester' },
    });
    await deps.tokens.revokeAll(requestId);
    if (r.executionId)
      await deps.workflow
        .stop(r.executionId, 'cancelled by the requester')
        .catch((e: unknown) =>
          deps.logger.warn('stop failed', { requestId, errorName: e instanceof Error ? e.name : 'unknown' }),
        );
    return json(200, publicView(cancelled, deps.clock()));
  }

  return httpHandler(deps, async (event) => {
    const method = event.requestContext.http.method;
    const id = event.pathParameters?.requestId;
    if (id === undefined) {
      if (method === 'POST') return submit(event);
    } else {
      const requestId = validate(idParam, id, 'the request id');
      if (method === 'GET') return status(event, requestId);
      if (method === 'POST' && event.rawPath.endsWith('/cancel')) return cancel(event, requestId);
    }
    return problem(405, 'Method not allowed', 'This address does not accept that method.');
  });
};

function receivedPage(statusUrl: string, kind: RequestRecord['kind']): HttpResult {
  // R14: the same words whether or not the card matched; nothing says who is a patron.
  const next =
    kind === 'third-party'
      ? 'Thank you. If the card number and last name match our records, we ask the card holder for written permission through the contact details on their own record. You hear from us by email when there is an outcome; nothing about the card holder is shared without their permission.'
      : 'Thank you. If the card number and last name match our records, we will email a confirmation link to the email address on file for that card (not to any address typed into the form). Patrons without an email on file are asked to visit the library.';
  return htmlResponse(
    202,
    renderPage({
      title: 'We received your request',
      status: 202,
      body: html`<p>${next}</p>
<p>Keep this address to check progress or cancel: <a href="${statusUrl}">${statusUrl}</a></p>`,
    }),
  );
}

function formErrorPage(e: InvalidInputError): HttpResult {
  return htmlResponse(
    400,
    renderPage({
      title: 'Please check the form',
      status: 400,
      body: html`<div class="notice notice-error" role="alert"><p>${e.message}. Please go back and correct:</p><ul>${e.issues.map((i) => html`<li><strong>${i.path}</strong>: ${i.message}</li>`)}</ul></div><p>Use your browser's Back button to return to the form; what you typed is still there.</p>`,
    }),
  );
}

export const handler = lambdaEntry(createHandler);
