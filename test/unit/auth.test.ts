import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  authProblem,
  ForbiddenError,
  GROUPS_CLAIM,
  parseGroups,
  principalOf,
  requireGroup,
  UnauthenticatedError,
} from '../../functions/lib/auth.ts';
import type { HttpEvent } from '../../functions/lib/http.ts';
import { LocalTokens, TOKEN_TTL_SECONDS } from '../../local/sign-in.ts';

/**
 * R12 sign-in: handlers read the claims API Gateway's JWT authorizer passes (Cognito in AWS), and
 * the local runtime's token check passes the same shape. 401 without a usable sign-in, 403
 * without the group; a forged, tampered or expired token never gets as far as a handler.
 */
const event = (claims?: Record<string, unknown>): HttpEvent =>
  ({
    version: '2.0',
    routeKey: 'POST /api/court-orders',
    rawPath: '/api/court-orders',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      http: {
        method: 'POST',
        path: '/api/court-orders',
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'test',
      },
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
  }) as unknown as HttpEvent;

/** As API Gateway delivers a Cognito ID token's claims: every value a string, groups flattened. */
const cognitoClaims = (groups: string, email = 'Counsel@Library.Example') => ({
  sub: '7d9e2b1c-0000-4000-8000-000000000001',
  email,
  email_verified: 'true',
  [GROUPS_CLAIM]: groups,
  token_use: 'id',
  iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example',
  exp: '1900000000',
});

describe('parseGroups (the cognito:groups claim in every shape it arrives in)', () => {
  it.each([
    ['[counsel privacy-officer]', ['counsel', 'privacy-officer']],
    ['[counsel]', ['counsel']],
    ['counsel', ['counsel']],
    ['["counsel","director"]', ['counsel', 'director']],
    ['counsel,director', ['counsel', 'director']],
    [
      ['counsel', 'circulation'],
      ['counsel', 'circulation'],
    ],
  ])('%j → %j', (claim, groups) => {
    expect(parseGroups(claim)).toEqual(groups);
  });

  it.each([
    [''],
    ['[]'],
    ['[admin root]'],
    ['["counsel"'],
    [42],
    [null],
    [undefined],
    [{ counsel: true }],
    ['[Counsel]'],
    ['<script>counsel</script>'],
  ])('R12 grants no staff role from %j', (claim) => {
    expect(parseGroups(claim)).toEqual([]);
  });

  it('drops unknown names and duplicates but keeps the staff roles', () => {
    expect(parseGroups('[admin counsel counsel us-east-1_pool_Google]')).toEqual(['counsel']);
  });
});

describe('principalOf / requireGroup', () => {
  it('R12 reads the signed-in counsel from API Gateway JWT authorizer claims (email lower-cased)', () => {
    expect(requireGroup(event(cognitoClaims('[counsel privacy-officer]')), 'counsel')).toEqual({
      sub: '7d9e2b1c-0000-4000-8000-000000000001',
      email: 'counsel@library.example',
      groups: ['counsel', 'privacy-officer'],
    });
  });

  it('401: no authorizer claims at all (a route deployed without the authorizer fails closed)', () => {
    expect(() => principalOf(event())).toThrow(UnauthenticatedError);
  });

  it.each([
    ['no email (an access token)', { sub: 'x', [GROUPS_CLAIM]: '[counsel]' }],
    ['an email that is not one', { sub: 'x', email: 'counsel', [GROUPS_CLAIM]: '[counsel]' }],
    ['no sub', { email: 'counsel@library.example', [GROUPS_CLAIM]: '[counsel]' }],
    ['a non-string email', { sub: 'x', email: ['counsel@library.example'], [GROUPS_CLAIM]: '[counsel]' }],
    // R12: an address the user pool has not verified names nobody.
    ['an unverified email (R12)', { ...cognitoClaims('[counsel]'), email_verified: 'false' }],
    ['no email_verified claim (R12)', { sub: 'x', email: 'counsel@library.example', [GROUPS_CLAIM]: '[counsel]' }],
  ])('401: %s', (_what, claims) => {
    expect(() => requireGroup(event(claims), 'counsel')).toThrow(UnauthenticatedError);
  });

  it.each([['[director]'], ['[privacy-officer circulation]'], [''], ['[]']])(
    '403: a valid sign-in with groups %j is not counsel',
    (groups) => {
      expect(() => requireGroup(event(cognitoClaims(groups)), 'counsel')).toThrow(ForbiddenError);
    },
  );

  it('maps the two failures to problem responses, and nothing else', async () => {
    const unauth = authProblem(new UnauthenticatedError('x'));
    expect(unauth?.statusCode).toBe(401);
    expect(unauth?.headers?.['www-authenticate']).toBe('Bearer');
    expect(unauth?.headers?.['content-type']).toBe('application/problem+json');
    expect(JSON.parse(String(unauth?.body))).toMatchObject({ status: 401, title: 'Sign-in required' });
    const forbidden = authProblem(new ForbiddenError('x'));
    expect(forbidden?.statusCode).toBe(403);
    expect(authProblem(new Error('other'))).toBeUndefined();
  });
});

describe('LocalTokens: the local stand-in for the user pool and the JWT authorizer', () => {
  const start = Date.parse('2026-12-01T12:00:00Z');
  const make = (offsetMs = { v: 0 }, secret = randomBytes(32)) => ({
    tokens: new LocalTokens(secret, () => new Date(start + offsetMs.v)),
    offsetMs,
    secret,
  });

  it('R12 a token it issued passes, and becomes the same claims a handler reads in AWS', () => {
    const { tokens } = make();
    const { token, expiresAt } = tokens.issue('Counsel@Library.Example', ['counsel']);
    expect(expiresAt).toBe(new Date(start + TOKEN_TTL_SECONDS * 1000).toISOString());
    const claims = tokens.verify(`Bearer ${token}`);
    expect(claims).toMatchObject({ email: 'counsel@library.example', [GROUPS_CLAIM]: '[counsel]', token_use: 'id' });
    // Strings only, as API Gateway passes them.
    for (const v of Object.values(claims ?? {})) expect(typeof v).toBe('string');
    expect(requireGroup(event(claims), 'counsel').email).toBe('counsel@library.example');
    expect(() => requireGroup(event(claims), 'director')).toThrow(ForbiddenError);
  });

  it('the same person always gets the same sub, a different person another', () => {
    const { tokens } = make();
    const sub = (email: string) => tokens.verify(`Bearer ${tokens.issue(email, ['counsel']).token}`)?.sub;
    expect(sub('counsel@library.example')).toBe(sub('COUNSEL@library.example'));
    expect(sub('counsel@library.example')).not.toBe(sub('director@library.example'));
  });

  it('R12 an expired token is refused (exp is exclusive); one a second before expiry passes', () => {
    const { tokens, offsetMs } = make();
    const { token } = tokens.issue('counsel@library.example', ['counsel']);
    offsetMs.v = (TOKEN_TTL_SECONDS - 1) * 1000;
    expect(tokens.verify(`Bearer ${token}`)).toBeDefined();
    offsetMs.v = TOKEN_TTL_SECONDS * 1000;
    expect(tokens.verify(`Bearer ${token}`)).toBeUndefined();
  });

  it('a token issued in the future (beyond a minute of clock skew) is refused', () => {
    const offset = { v: 10 * 60_000 };
    const { tokens: ahead, secret } = make(offset);
    const { token } = ahead.issue('counsel@library.example', ['counsel']);
    const { tokens: now } = make({ v: 0 }, secret);
    expect(now.verify(`Bearer ${token}`)).toBeUndefined();
  });

  it('R12 a token signed with another secret (another data folder) is refused', () => {
    const { token } = make().tokens.issue('counsel@library.example', ['counsel']);
    expect(make().tokens.verify(`Bearer ${token}`)).toBeUndefined();
  });

  it('R12 a tampered payload (a director adding counsel) is refused', () => {
    const { tokens } = make();
    const [h, p, s] = tokens.issue('director@library.example', ['director']).token.split('.') as [
      string,
      string,
      string,
    ];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
    payload[GROUPS_CLAIM] = ['director', 'counsel'];
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(tokens.verify(`Bearer ${forged}`)).toBeUndefined();
  });

  it('R12 an unsigned token (`alg: none`) and a token with another algorithm are refused', () => {
    const { tokens } = make();
    const [, p, s] = tokens.issue('counsel@library.example', ['counsel']).token.split('.') as [string, string, string];
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const rs = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
    expect(tokens.verify(`Bearer ${none}.${p}.`)).toBeUndefined();
    expect(tokens.verify(`Bearer ${none}.${p}.${s}`)).toBeUndefined();
    expect(tokens.verify(`Bearer ${rs}.${p}.${s}`)).toBeUndefined();
  });

  it.each([
    [undefined],
    [''],
    ['Bearer'],
    ['Bearer '],
    ['Basic Y291bnNlbDpwYXNz'],
    ['Bearer a.b'],
    ['Bearer a.b.c.d'],
    ['Bearer !!!.???.###'],
    ['Bearer e30.e30.e30'],
    [`Bearer ${'A'.repeat(5000)}.${'B'.repeat(10)}.${'C'.repeat(10)}`],
  ])('401 for a malformed Authorization header %#', (header) => {
    expect(make().tokens.verify(header)).toBeUndefined();
  });

  it('accepts the scheme in any case, as RFC 7235 says, and nothing around the token', () => {
    const { tokens } = make();
    const { token } = tokens.issue('counsel@library.example', ['counsel']);
    expect(tokens.verify(`bearer ${token}`)).toBeDefined();
    expect(tokens.verify(`Bearer ${token} extra`)).toBeUndefined();
  });
});
