/**
 * A Koha simulator for the connector's tests (R19): an HTTP server on 127.0.0.1 (a free port)
 * answering the Koha REST API routes the connector uses, from its own data. Every request it
 * receives is checked against Koha's spec before it is answered, and every answer it gives is
 * checked before it is sent: a departure is recorded in `violations` (tests assert there are none)
 * and answered with an error, so a drift on either side fails a test.
 *
 * Fault switches make it misbehave on purpose: down (connections dropped), slow, 401, 500, 429
 * with Retry-After, malformed JSON.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KohaData } from './data.ts';
import { answerOperation, type Answer } from './operations.ts';
import { loadKohaSpec, type Json, type KohaSpec, type SpecOperation } from './spec.ts';
import { SpecValidator } from './validator.ts';

export type Fault =
  | { kind: 'down' }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'unauthorised' }
  | { kind: 'server-error' }
  | { kind: 'rate-limited'; retryAfter: string }
  | { kind: 'malformed' };

export interface FaultScope {
  /** Only this many requests misbehave; then the simulator is well again. Unlimited by default. */
  times?: number;
  /** Only requests to this operationId misbehave. */
  operationId?: string;
}

export interface KohaSimulatorOptions {
  clients?: { id: string; secret: string }[];
  basicUsers?: { user: string; password: string }[];
  tokenTtlSeconds?: number;
  /** The simulator's clock (ms); tests move it to expire tokens. */
  now?: () => number;
  /** Loaded once per process by default. */
  spec?: KohaSpec;
}

let sharedSpec: KohaSpec | undefined;

const safeEqual = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export class KohaSimulator {
  readonly data: KohaData;
  /** Spec departures seen so far, requests and answers alike. */
  readonly violations: string[] = [];
  /** operationId per request answered, in order (token requests included). */
  readonly calls: string[] = [];
  baseUrl = '';
  private readonly validator: SpecValidator;
  private readonly tokens = new Map<string, number>();
  private fault: { fault: Fault; scope: FaultScope } | undefined;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly now: () => number;

  constructor(private readonly options: KohaSimulatorOptions = {}) {
    this.now = options.now ?? Date.now;
    this.data = new KohaData(this.now);
    this.validator = new SpecValidator(options.spec ?? (sharedSpec ??= loadKohaSpec()));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}${this.validator.spec.basePath}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  setFault(fault: Fault | undefined, scope: FaultScope = {}): void {
    this.fault = fault ? { fault, scope } : undefined;
  }

  /** Invalidates every token issued so far (as a Koha restart or a revoked client would). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  /** Checks a request the way the handler does, without sending it: for tests of the validator itself. */
  get spec(): SpecValidator {
    return this.validator;
  }

  private takeFault(operationId: string | undefined): Fault | undefined {
    const f = this.fault;
    if (!f || (f.scope.operationId && f.scope.operationId !== operationId)) return undefined;
    if (f.scope.times !== undefined && --f.scope.times <= 0) this.fault = undefined;
    return f.fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const rawBody = await readBody(req);
    const base = this.validator.spec.basePath;
    const matched = url.pathname.startsWith(base)
      ? this.validator.match(req.method ?? 'GET', url.pathname.slice(base.length))
      : undefined;
    if (!matched) {
      this.violations.push(`${req.method} ${url.pathname}: no such operation in the spec`);
      return this.send(res, undefined, { status: 404, body: { error: 'Not found' } }, 'error');
    }
    const { op, pathParams } = matched;
    this.calls.push(op.operationId);

    const fault = this.takeFault(op.operationId);
    if (fault?.kind === 'down') return void req.socket.destroy();
    if (fault?.kind === 'slow') {
      await new Promise((r) => setTimeout(r, fault.delayMs));
      if (res.destroyed || req.socket.destroyed) return;
    }

    const problems = this.validator.checkRequest(op, {
      pathParams,
      query: url.searchParams,
      headers: req.headers,
      contentType: String(req.headers['content-type'] ?? ''),
      rawBody,
    });
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${op.operationId} request: ${p}`));
      // The validator's own refusal, like Koha's 400 for a request its spec rejects.
      return this.send(
        res,
        op,
        { status: 400, body: { error: 'request does not match the spec', errors: problems } },
        'none',
      );
    }

    if (op.operationId !== 'tokenOAuth' && !this.authorised(req.headers.authorization))
      return this.send(res, op, { status: 401, body: { error: 'Authentication failure.' } }, 'error');
    if (fault?.kind === 'unauthorised')
      return this.send(res, op, { status: 401, body: { error: 'Authentication failure.' } }, 'error');
    if (fault?.kind === 'server-error')
      return this.send(res, op, {
        status: 500,
        body: { error: 'Something went wrong', error_code: 'internal_server_error' },
      });
    if (fault?.kind === 'rate-limited')
      // Koha itself has no rate limit; the proxy in front of it answers 429 before any operation runs.
      return this.send(
        res,
        op,
        { status: 429, body: { error: 'Too many requests' }, headers: { 'retry-after': fault.retryAfter } },
        'error',
      );

    const answer = this.answerFor(op, pathParams, url, rawBody);
    if (fault?.kind === 'malformed') {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      return void res.end('{"patron_id": 1, "surname": '); // cut short, on purpose (exempt from validation)
    }
    return this.send(res, op, answer);
  }

  private answerFor(op: SpecOperation, pathParams: Record<string, string>, url: URL, rawBody: string): Answer {
    if (op.operationId === 'tokenOAuth') return this.token(new URLSearchParams(rawBody));
    const body: unknown = rawBody ? JSON.parse(rawBody) : undefined; // checked against the spec already
    const answer = answerOperation(this.data, {
      operationId: op.operationId,
      pathParams,
      query: url.searchParams,
      body,
      url,
    });
    if (answer) return answer;
    this.violations.push(`${op.operationId}: not simulated`);
    return { status: 500, body: { error: 'not simulated', error_code: 'internal_server_error' } };
  }

  private authorised(header: string | undefined): boolean {
    if (!header) return false;
    const [scheme, value = ''] = header.split(' ', 2);
    if (scheme === 'Bearer') {
      const expires = this.tokens.get(value);
      return expires !== undefined && this.now() < expires;
    }
    if (scheme === 'Basic') {
      const [user = '', password = ''] = Buffer.from(value, 'base64').toString('utf8').split(':', 2);
      return (this.options.basicUsers ?? []).some((u) => safeEqual(u.user, user) && safeEqual(u.password, password));
    }
    return false;
  }

  /**
   * Sends an answer after checking it: against the operation's documented responses (`operation`),
   * against Koha's error shape for answers given before any operation runs (`error`), or not at all
   * for the validator's own refusal (`none`).
   */
  private send(
    res: ServerResponse,
    op: SpecOperation | undefined,
    answer: Answer,
    check: 'operation' | 'error' | 'none' = 'operation',
  ): void {
    const body = answer.body as Json | undefined;
    const problems =
      check === 'none'
        ? []
        : check === 'error' || !op
          ? this.validator.checkError(body)
          : this.validator.checkResponse(op, answer.status, body);
    if (problems.length > 0) {
      this.violations.push(...problems.map((p) => `${op?.operationId ?? '?'} answer ${answer.status}: ${p}`));
      answer = { status: 500, body: { error: 'simulator answer does not match the spec' } };
    }
    const headers: Record<string, string> = { ...answer.headers };
    if (answer.body === undefined) {
      res.writeHead(answer.status, headers);
      return void res.end();
    }
    res.writeHead(answer.status, { ...headers, 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private token(form: URLSearchParams): Answer {
    const client = (this.options.clients ?? []).find(
      (c) => safeEqual(c.id, form.get('client_id') ?? '') && safeEqual(c.secret, form.get('client_secret') ?? ''),
    );
    if (form.get('grant_type') !== 'client_credentials')
      return { status: 400, body: { error: 'Unimplemented grant type' } };
    if (!client) return { status: 403, body: { error: 'unauthorized_client' } };
    const ttl = this.options.tokenTtlSeconds ?? 3600;
    const token = randomBytes(24).toString('hex');
    this.tokens.set(token, this.now() + ttl * 1000);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: ttl } };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startKohaSimulator(options: KohaSimulatorOptions = {}): Promise<KohaSimulator> {
  return new KohaSimulator(options).start();
}
