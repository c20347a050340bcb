import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import * as z from '../domain/zod.ts';
import { STAFF_ROLES, type StaffRole } from '../domain/staff.ts';
import type { HttpEvent, HttpResult } from './http.ts';
import { problem } from './http.ts';

/**
 * Who is signed in, read from the claims the JWT authorizer puts on the event: API Gateway's
 * Cognito authorizer in AWS, the local runtime's token check here (local/sign-in.ts), in the same
 * place and shape (`requestContext.authorizer.jwt.claims`), so a handler never knows which one ran.
 * The authorizer has already refused a missing, forged or expired token (401); the handler checks
 * the group (403) and reads the person's email.
 */
export const GROUPS_CLAIM = 'cognito:groups';

export interface Principal {
  /** The identity provider's stable subject id. */
  sub: string;
  /** Lower-cased; staff are named by email in decisions and the audit trail (R1, R17). */
  email: string;
  groups: StaffRole[];
}

/** No (usable) sign-in: 401. */
export class UnauthenticatedError extends Error {
  override name = 'UnauthenticatedError';
}

/** Signed in, but without the group the route needs: 403. */
export class ForbiddenError extends Error {
  override name = 'ForbiddenError';
}

type ClaimValue = string | number | boolean | string[] | undefined;

/**
 * Groups arrive as API Gateway flattens an array claim, `"[counsel privacy-officer]"`, or as a
 * JSON array (text or value), or as one bare name. Names that are not staff roles are dropped.
 */
export function parseGroups(value: unknown): StaffRole[] {
  let names: unknown[] = [];
  if (Array.isArray(value)) names = value;
  else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[') && text.includes('"')) {
      try {
        const parsed: unknown = JSON.parse(text);
        names = Array.isArray(parsed) ? parsed : [];
      } catch {
        names = [];
      }
    } else
      names = text
        .replace(/^\[/, '')
        .replace(/\]$/, '')
        .split(/[\s,]+/);
  }
  const roles = new Set<StaffRole>();
  for (const n of names)
    if (typeof n === 'string' && (STAFF_ROLES as readonly string[]).includes(n)) roles.add(n as StaffRole);
  return [...roles];
}

const emailSchema = z.lazy(() => z.email());

/** The claims the authorizer verified, or undefined when there are none (no authorizer ran). */
export function claimsOf(event: HttpEvent): Record<string, ClaimValue> | undefined {
  // The HTTP API event type says nothing of the JWT authorizer; a route without one has no `authorizer` at all.
  const { authorizer } = (event as Partial<APIGatewayProxyEventV2WithJWTAuthorizer>).requestContext ?? {};
  const claims: Record<string, ClaimValue> | undefined = authorizer?.jwt?.claims;
  return claims;
}

export function principalOf(event: HttpEvent): Principal {
  const claims = claimsOf(event);
  if (!claims) throw new UnauthenticatedError('no verified sign-in');
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
  // An access token carries no email: the signed-in routes need the ID token.
  if (!sub || !emailSchema.safeParse(email).success) throw new UnauthenticatedError('the token names no person');
  // R12: staff are named by email, so an address the pool has not verified names nobody.
  if (claims.email_verified !== true && claims.email_verified !== 'true')
    throw new UnauthenticatedError('the token names an unverified email');
  return { sub, email, groups: parseGroups(claims[GROUPS_CLAIM]) };
}

/** The signed-in person, who must hold `group` (a staff role, a Cognito group in AWS). */
export function requireGroup(event: HttpEvent, group: StaffRole): Principal {
  const principal = principalOf(event);
  if (!principal.groups.includes(group)) throw new ForbiddenError('missing group');
  return principal;
}

/** 401 and 403 as problem responses (RFC 9457); anything else is not an auth failure. */
export function authProblem(e: unknown): HttpResult | undefined {
  if (e instanceof UnauthenticatedError) {
    const res = problem(401, 'Sign-in required', 'Send a valid, unexpired bearer token from the library sign-in.');
    return { ...res, headers: { ...res.headers, 'www-authenticate': 'Bearer' } };
  }
  if (e instanceof ForbiddenError) return problem(403, 'Forbidden', 'Your account does not have the role this needs.');
  return undefined;
}
