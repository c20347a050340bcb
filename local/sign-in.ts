import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { STAFF_ROLES, type StaffRole } from '../functions/domain/staff.ts';
import { GROUPS_CLAIM } from '../functions/lib/auth.ts';
import type { LocalDocumentStore } from './document-store.ts';
import type { LibraryRecords } from '../functions/connectors/records-table/library-records.ts';

/**
 * The local runtime's stand-in for the Cognito user pool and API Gateway's JWT authorizer
 * (CONTRACT.md, "Counsel and staff (signed in)"):
 *
 * - `POST /_local/token { email, groups }` issues an HS256 JWT shaped like a Cognito ID token
 *   (`sub`, `email`, `cognito:groups`, `token_use: id`), valid one hour, for a staff member of the
 *   loaded dataset who holds every group asked for. This route exists only here.
 * - `verify` does what the authorizer does before a signed-in route's handler runs: a missing,
 *   malformed, forged or expired token is a 401; a valid one becomes the event's
 *   `requestContext.authorizer.jwt.claims`, flattened as API Gateway flattens them.
 * - `POST /_local/upload` accepts the same multipart form as an S3 presigned POST.
 *
 * The signing secret is generated once per data folder (in memory for tests).
 */
export const LOCAL_ISSUER = 'privacy-desk-local';
export const LOCAL_AUDIENCE = 'privacy-desk';
export const TOKEN_TTL_SECONDS = 3600;

export type AuthorizerClaims = Record<string, string>;

const tokenBody = z.strictObject({
  email: z.email().max(254),
  groups: z.array(z.enum(STAFF_ROLES)).min(1).max(STAFF_ROLES.length),
});

const payloadSchema = z.object({
  iss: z.literal(LOCAL_ISSUER),
  aud: z.literal(LOCAL_AUDIENCE),
  token_use: z.literal('id'),
  sub: z.string().min(1).max(128),
  email: z.email(),
  [GROUPS_CLAIM]: z.array(z.enum(STAFF_ROLES)),
  iat: z.number().int(),
  exp: z.number().int(),
});

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The data folder's secret (created on first start, kept 0600), or a fresh one in memory. */
export async function loadLocalSecret(dataDir: string | undefined): Promise<Buffer> {
  if (!dataDir) return randomBytes(32);
  const path = join(dataDir, 'local-secret');
  try {
    const text = (await readFile(path, 'utf8')).trim();
    if (/^[0-9a-f]{64}$/.test(text)) return Buffer.from(text, 'hex');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secret = randomBytes(32);
  await writeFile(path, secret.toString('hex'), { mode: 0o600 });
  return secret;
}

/** One key per use, derived from the data folder's secret. */
export const deriveKey = (secret: Buffer, use: 'jwt' | 'documents' | 'upload-policy' | 'erasure-memory'): Buffer =>
  Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `privacy-desk ${use}`, 32));

export class LocalTokens {
  private readonly key: Buffer;
  constructor(
    secret: Buffer,
    private readonly clock: () => Date,
    private readonly ttlSeconds = TOKEN_TTL_SECONDS,
  ) {
    this.key = deriveKey(secret, 'jwt');
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }

  issue(email: string, groups: readonly StaffRole[]): { token: string; expiresAt: string } {
    const iat = Math.floor(this.clock().getTime() / 1000);
    const exp = iat + this.ttlSeconds;
    const normalised = email.trim().toLowerCase();
    const payload = {
      iss: LOCAL_ISSUER,
      aud: LOCAL_AUDIENCE,
      token_use: 'id',
      // A stable id per person, as Cognito's `sub` is.
      sub: `local-${createHash('sha256').update(normalised).digest('hex').slice(0, 32)}`,
      email: normalised,
      [GROUPS_CLAIM]: [...groups],
      iat,
      exp,
    };
    const head = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}`;
    return { token: `${head}.${this.sign(head)}`, expiresAt: new Date(exp * 1000).toISOString() };
  }

  /**
   * The authorizer's check of an `Authorization` header. Returns the claims as API Gateway passes
   * them to a handler (every value a string; an array as `"[a b]"`), or undefined for a 401.
   */
  verify(authorization: string | undefined): AuthorizerClaims | undefined {
    const m = /^Bearer ([^\s]+)$/i.exec(authorization?.trim() ?? '');
    if (!m) return undefined;
    const parts = (m[1] as string).split('.');
    if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return undefined;
    const [h, p, s] = parts as [string, string, string];
    let header: unknown;
    let payload: unknown;
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    // Only HS256: a token saying `alg: none` (or anything else) is refused, never trusted.
    const hd = header as { alg?: unknown; typ?: unknown } | null;
    if (!hd || hd.alg !== 'HS256' || hd.typ !== 'JWT') return undefined;
    const given = Buffer.from(s, 'utf8');
    const expected = Buffer.from(this.sign(`${h}.${p}`), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = payloadSchema.safeParse(payload);
    if (!claims.success) return undefined;
    const now = Math.floor(this.clock().getTime() / 1000);
    if (now >= claims.data.exp || claims.data.iat > now + 60) return undefined;
    const c = claims.data;
    return {
      iss: c.iss,
      aud: c.aud,
      token_use: c.token_use,
      sub: c.sub,
      email: c.email,
      // Only the library's own staff list issues local tokens: their addresses count as verified.
      email_verified: 'true',
      [GROUPS_CLAIM]: `[${c[GROUPS_CLAIM].join(' ')}]`,
      iat: String(c.iat),
      exp: String(c.exp),
    };
  }
}

const sendProblem = (
  res: ServerResponse,
  status: number,
  title: string,
  detail: string,
  errors?: { path: string; message: string }[],
) => {
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(JSON.stringify({ type: 'about:blank', status, title, detail, ...(errors ? { errors } : {}) }));
};

/** The local-only routes: the token issuer and the upload target. Answers true when it handled the request. */
export function localSignInRoutes(o: { tokens: LocalTokens; records: LibraryRecords; documents: LocalDocumentStore }) {
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    if (path === '/_local/token') {
      if (method !== 'POST') {
        sendProblem(res, 405, 'Method not allowed', 'This address does not accept that method.');
        return true;
      }
      // JSON only: a cross-site form can post text/plain or a form body without a preflight, never JSON.
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        sendProblem(res, 415, 'Unsupported media type', 'Send the request as application/json.');
        return true;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        sendProblem(res, 400, 'Invalid input', 'the body is not valid JSON');
        return true;
      }
      const parsed = tokenBody.safeParse(raw);
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({
          path: i.path.join('.') || '(body)',
          message: i.code === 'unrecognized_keys' ? 'unknown field' : i.message,
        }));
        sendProblem(res, 400, 'Invalid input', 'the request is invalid', errors);
        return true;
      }
      // As a user pool would: only a staff member of the dataset, and only groups they hold.
      for (const group of new Set(parsed.data.groups)) {
        if (!(await o.records.staffMember(group, parsed.data.email))) {
          sendProblem(res, 403, 'Forbidden', 'No staff member of the library holds these roles under this email.');
          return true;
        }
      }
      const issued = o.tokens.issue(parsed.data.email, [...new Set(parsed.data.groups)]);
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ token: issued.token, tokenType: 'Bearer', expiresAt: issued.expiresAt }));
      return true;
    }
    if (path === '/_local/upload') {
      if (method !== 'POST') {
        sendProblem(res, 405, 'Method not allowed', 'This address does not accept that method.');
        return true;
      }
      const type = req.headers['content-type'] ?? '';
      if (!/^multipart\/form-data;/i.test(type)) {
        sendProblem(res, 400, 'Invalid input', 'send multipart/form-data');
        return true;
      }
      let form: FormData;
      try {
        form = await new Response(body, { headers: { 'content-type': type } }).formData();
      } catch {
        sendProblem(res, 400, 'Invalid input', 'the form could not be read');
        return true;
      }
      const fields: Record<string, string> = {};
      let file: Buffer | undefined;
      for (const [name, value] of form) {
        if (typeof value === 'string') fields[name] = value;
        else if (name === 'file') file = Buffer.from(await value.arrayBuffer());
      }
      const result = await o.documents.acceptUpload(fields, file);
      if (result.ok) {
        // S3's answer to a POST upload without success_action_status.
        res.writeHead(204, { 'cache-control': 'no-store' });
        res.end();
      } else {
        const titles = { 400: 'Invalid input', 403: 'Forbidden', 413: 'Payload too large' } as const;
        sendProblem(res, result.status, titles[result.status], result.reason);
      }
      return true;
    }
    return false;
  };
}
