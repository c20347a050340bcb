import { pageSecurityHeaders } from '../infra/page-headers.ts';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HTTP_ROUTES, type FunctionName } from '../workflows/index.ts';
import { answerFirst } from './answer-first.ts';
import { lambdaContext } from './lambda-context.ts';

export type HttpFunction = (
  event: APIGatewayProxyEventV2,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** API Gateway's payload limit; a larger body is refused before any handler runs. */
const MAX_BODY = 10 * 1024 * 1024;
const TEXT_TYPES = /^(application\/(json|x-www-form-urlencoded|problem\+json)|text\/)/;
const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface CompiledRoute {
  method: string;
  regex: RegExp;
  params: string[];
  routeKey: string;
  fn: FunctionName;
  groups?: readonly string[];
}

const compile = (r: (typeof HTTP_ROUTES)[number]): CompiledRoute => {
  const params: string[] = [];
  const pattern = r.path.replace(/\{([A-Za-z]+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return {
    method: r.method,
    regex: new RegExp(`^${pattern}$`),
    params,
    routeKey: `${r.method} ${r.path}`,
    fn: r.fn,
    ...(r.groups ? { groups: r.groups } : {}),
  };
};

/**
 * Turns each HTTP request into the API Gateway (HTTP API, payload 2.0) event the same handler
 * gets in AWS, and serves the static pages of web/ as CloudFront would.
 */
export function createHttpServer(opts: {
  functions: Partial<Record<FunctionName, HttpFunction>>;
  webRoot: URL;
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;
  /**
   * The JWT authorizer's part for signed-in routes (those with `groups`): the verified claims, or
   * undefined for a 401 before any handler runs. Without it, signed-in routes always answer 401.
   */
  authorize?: (authorization: string | undefined) => Record<string, string> | undefined;
  /**
   * DNS rebinding: a page on another site whose name resolves to this machine reaches the runtime
   * with its own name in `Host`. Only the names this runtime is reached by are answered (421 else).
   */
  allowedHost?: (host: string) => boolean;
}): Server {
  const routes = HTTP_ROUTES.map(compile);
  // A fixed list read at start: a request path never reaches the file system.
  const staticFiles = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(opts.webRoot)) {
    const type = STATIC_TYPES[extname(name)];
    if (type) staticFiles.set(`/${name}`, { body: readFileSync(new URL(name, opts.webRoot)), type });
  }
  const index = staticFiles.get('/index.html');
  if (index) staticFiles.set('/', index);

  return createServer((req, res) => {
    answerFirst(res, () => handle(req, res)).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          status: 500,
          title: 'Internal error',
          detail: 'Something went wrong on our side.',
        }),
      );
    });
  });

  /** A path segment decoded, or undefined when its percent-encoding is malformed. */
  function decodePathPart(part: string): string | undefined {
    try {
      return decodeURIComponent(part);
    } catch {
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = (req.headers.host ?? '').toLowerCase();
    if (opts.allowedHost && !opts.allowedHost(host)) {
      req.resume();
      res.writeHead(421, { 'content-type': 'application/problem+json', connection: 'close' });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          status: 421,
          title: 'Misdirected request',
          detail: 'This server answers only under its own address.',
        }),
      );
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    // The local upload target takes the same form as an S3 presigned POST: a 10 MiB file plus its fields.
    const body = await readBody(req, url.pathname === '/_local/upload' ? MAX_BODY + 1024 * 1024 : MAX_BODY);
    if (body === 'too-large') {
      res.writeHead(413, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          status: 413,
          title: 'Payload too large',
          detail: 'The request body is larger than allowed.',
        }),
      );
      return;
    }
    if (method === 'GET' && url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    if (opts.extraRoutes && (await opts.extraRoutes(req, res, body))) return;

    for (const route of routes) {
      const m = route.regex.exec(url.pathname);
      if (!m || route.method !== method) continue;
      const fn = opts.functions[route.fn];
      if (!fn) break;
      const decoded = route.params.map((_, i) => decodePathPart(m[i + 1] ?? ''));
      if (decoded.some((d) => d === undefined)) {
        // A malformed percent-encoding names nothing that exists: 404, as for any unknown link (#14).
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'about:blank', status: 404, title: 'Not found', detail: 'No such resource.' }));
        return;
      }
      const pathParameters = Object.fromEntries(route.params.map((p, i) => [p, decoded[i] as string]));
      const event = toEvent(req, url, method, route.routeKey, pathParameters, body);
      if (route.groups) {
        // As API Gateway's JWT authorizer: no valid token, no handler. The group is the handler's check (403).
        const claims = opts.authorize?.(req.headers.authorization);
        if (!claims) {
          res.writeHead(401, {
            'content-type': 'application/problem+json',
            'www-authenticate': 'Bearer',
            'cache-control': 'no-store',
          });
          res.end(
            JSON.stringify({
              type: 'about:blank',
              status: 401,
              title: 'Sign-in required',
              detail: 'Send a valid, unexpired bearer token from the library sign-in.',
            }),
          );
          return;
        }
        (event.requestContext as unknown as { authorizer: unknown }).authorizer = { jwt: { claims, scopes: null } };
      }
      const result = await fn(event, lambdaContext(route.fn));
      send(res, result);
      return;
    }
    const file = method === 'GET' || method === 'HEAD' ? staticFiles.get(url.pathname) : undefined;
    if (file) {
      // The same headers CloudFront's page policy adds in AWS (infra/page-headers.ts).
      res.writeHead(200, { ...pageSecurityHeaders(), 'content-type': file.type, 'cache-control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : file.body);
      return;
    }
    const known = routes.some((r) => r.regex.test(url.pathname));
    res.writeHead(known ? 405 : 404, { 'content-type': 'application/problem+json' });
    res.end(
      JSON.stringify(
        known
          ? {
              type: 'about:blank',
              status: 405,
              title: 'Method not allowed',
              detail: 'This address does not accept that method.',
            }
          : { type: 'about:blank', status: 404, title: 'Not found', detail: 'Nothing is here.' },
      ),
    );
  }
}

/** Reads the body up to the limit; past it, the rest is drained unkept so the client gets its 413. */
async function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? 'too-large' : Buffer.concat(chunks);
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  routeKey: string,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  // A Map, not an object literal: `?__proto__=x` must reach the handler as a key, as API Gateway passes it (#14).
  const joined = new Map<string, string>();
  for (const [k, v] of url.searchParams) joined.set(k, joined.has(k) ? `${joined.get(k)},${v}` : v);
  const query: Record<string, string> = Object.fromEntries(joined);
  const isText = TEXT_TYPES.test(headers['content-type'] ?? '');
  const now = Date.now();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    pathParameters,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    ...(body.length ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  if (result.cookies?.length) headers['set-cookie'] = result.cookies.join(', ');
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  if (result.body === undefined) res.end();
  else res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
}
