import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from '../domain/zod.ts';
import {
  ConflictError,
  DomainError,
  GoneError,
  IllegalTransitionError,
  InvalidInputError,
  NotFoundError,
} from '../domain/errors.ts';
import type { Deps } from './deps.ts';
import { lambdaHandler } from './handler.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Bodies larger than this are refused before parsing (forms and JSON here are small). */
export const MAX_BODY_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
};

export const json = (status: number, body: unknown): HttpResult => ({
  statusCode: status,
  headers: { ...SECURITY_HEADERS, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** A CSV file to save (audit trails, statistics): the same security headers, named for download. */
export const csvAttachment = (body: string, fileName: string): HttpResult => ({
  statusCode: 200,
  headers: {
    ...SECURITY_HEADERS,
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${fileName}"`,
  },
  body,
});

export const htmlResponse = (status: number, body: string): HttpResult => ({
  statusCode: status,
  headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
  body,
});

/** RFC 9457 problem details; `detail` is always a fixed sentence, never an echo of input. */
export const problem = (
  status: number,
  title: string,
  detail: string,
  errors?: { path: string; message: string }[],
): HttpResult => ({
  statusCode: status,
  headers: { ...SECURITY_HEADERS, 'content-type': 'application/problem+json' },
  body: JSON.stringify({ type: 'about:blank', status, title, detail, ...(errors ? { errors } : {}) }),
});

export const header = (event: HttpEvent, name: string): string | undefined => {
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(event.headers ?? {})) if (k.toLowerCase() === wanted) return v;
  return undefined;
};

/** A form post from a browser wants a page back; an API client wants JSON. */
export const wantsHtml = (event: HttpEvent): boolean => /text\/html/.test(header(event, 'accept') ?? '');

/** A body over MAX_BODY_BYTES: a 413, not a 400, so a client knows to send less rather than fix a field. */
export class BodyTooLargeError extends InvalidInputError {
  override name = 'BodyTooLargeError';
}

const rawBody = (event: HttpEvent): string => {
  if (!event.body) return '';
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new BodyTooLargeError('the request body is too large');
  return text;
};

/** A `%` not followed by two hex digits: no browser encodes a form so (it sends `%25`). */
const MALFORMED_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/**
 * Form fields with dotted names become nested objects (`guardian.cardNumber`), and a repeated
 * name becomes a list (`categories`), so forms and JSON clients share one schema.
 */
export function formToObject(body: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (value === '') continue; // an empty optional field is absent, not an empty string
    const path = name.split('.');
    if (path.length > 4 || path.some((p) => !/^[A-Za-z][A-Za-z0-9]{0,40}$/.test(p))) continue;
    let node = out;
    for (const p of path.slice(0, -1)) {
      const next = Object.hasOwn(node, p) ? node[p] : undefined;
      node = (typeof next === 'object' && next !== null && !Array.isArray(next) ? next : (node[p] = {})) as Record<
        string,
        unknown
      >;
    }
    const leaf = path.at(-1) as string;
    const prev = Object.hasOwn(node, leaf) ? node[leaf] : undefined;
    node[leaf] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

/** Parses a JSON or urlencoded body and validates it; the issues name fields, never values. */
export function parseBody<T extends z.core.$ZodType>(event: HttpEvent, schema: T): z.infer<T> {
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  const text = rawBody(event);
  let data: unknown;
  if (type === 'application/x-www-form-urlencoded') {
    // URLSearchParams would keep a broken escape as literal text and let it through (#14).
    if (MALFORMED_PERCENT.test(text)) throw new InvalidInputError('the form is not validly encoded');
    data = formToObject(text);
  } else if (type === 'application/json' || type === '') {
    try {
      data = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new InvalidInputError('the body is not valid JSON');
    }
  } else throw new InvalidInputError('send application/json or a form');
  return validate(schema, data);
}

export function validate<T extends z.core.$ZodType>(schema: T, data: unknown, what = 'the request'): z.infer<T> {
  const res = z.safeParse(schema, data);
  if (res.success) return res.data;
  throw new InvalidInputError(
    `${what} is invalid`,
    // An unknown key's name could itself be personal data (a JSON client may send anything).
    res.error.issues.map((i) => ({
      path: i.path.join('.') || '(body)',
      message: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
    })),
  );
}

/** Maps typed errors to problem responses; anything unexpected is a 500 that says nothing more. */
export function errorToProblem(error: unknown, deps: Pick<Deps, 'logger'>): HttpResult {
  if (error instanceof BodyTooLargeError)
    return problem(413, 'Payload too large', 'The request body is larger than allowed.');
  if (error instanceof InvalidInputError) return problem(400, 'Invalid input', error.message, error.issues);
  if (error instanceof NotFoundError) return problem(404, 'Not found', 'Nothing is here.');
  if (error instanceof GoneError) return problem(410, 'Gone', 'This link was already used or has expired.');
  if (error instanceof ConflictError || error instanceof IllegalTransitionError)
    return problem(409, 'Conflict', 'The request is not in a state that allows this.');
  deps.logger.error('unhandled error', { errorName: error instanceof Error ? error.name : typeof error });
  return problem(500, 'Internal error', 'Something went wrong on our side. Please try again later.');
}

/** Every HTTP handler: request-scoped logging (./handler.ts), and typed errors become problem responses. */
export function httpHandler(deps: Deps, fn: (event: HttpEvent) => Promise<HttpResult>) {
  const { fromOrigin } = deps;
  return lambdaHandler<HttpEvent, HttpResult>(deps)
    .onError(async (request) => {
      request.response = errorToProblem(request.error, deps);
    })
    .handler((event) =>
      // A signed-in route called straight at the execute-api endpoint, around the WAF: refused
      // before anything is read (./origin-header.ts).
      fromOrigin && !fromOrigin(event.headers)
        ? Promise.resolve(problem(403, 'Forbidden', "Use the library's Privacy Desk site."))
        : fn(event),
    );
}

/**
 * Every workflow task: request-scoped logging (./handler.ts), the ids-only input validated, and
 * the task logged by request id only (R5). A task that watches its time budget reads the context.
 */
export function taskHandler<T extends z.core.$ZodType, R>(
  deps: Deps,
  name: string,
  schema: T,
  fn: (input: z.infer<T>, context: Context) => Promise<R>,
) {
  return lambdaHandler<unknown, R>(deps).handler(async (event: unknown, context: Context) => {
    const input = validate(schema, event, `${name} input`);
    const requestId = (input as { requestId?: string }).requestId;
    deps.logger.debug('task', { task: name, requestId });
    try {
      return await fn(input, context);
    } catch (e) {
      throw withheldMessage(e);
    }
  });
}

/**
 * R5: what a failed task hands Step Functions (the execution history's cause) and the Lambda log.
 * Our own errors are written without personal data; anything else (an SES or S3 error can quote an
 * address or a key) keeps its name, which Retry and Catch match, and loses its message.
 */
export function withheldMessage(e: unknown): Error {
  if (e instanceof DomainError) return e;
  const name = e instanceof Error ? e.name : 'Error';
  const safe = new Error(`${name} (its message is withheld: it may hold personal data)`);
  safe.name = name;
  return safe;
}
