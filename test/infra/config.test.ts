import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RemovalPolicy } from 'aws-cdk-lib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZodError } from 'zod';
import {
  createMetrics,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  OVERDUE_REQUESTS_METRIC,
} from '../../functions/lib/observability.ts';
import { FUNCTIONS, HTTP_ROUTES, type FunctionName, type HttpRoute } from '../../workflows/index.ts';
import { buildApp } from '../../infra/build-app.ts';
import { configSchema } from '../../infra/config.ts';
import { HttpApi, LOCAL_ONLY_PREFIX } from '../../infra/constructs/http-api.ts';
import { apiPathPatterns, patternCovers } from '../../infra/constructs/site.ts';
import { pageCsp } from '../../infra/page-headers.ts';
import { createOriginVerifier, ORIGIN_VERIFY_HEADER } from '../../infra/functions/origin-verify.ts';

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';

describe('configuration (CDK context)', () => {
  it.each([
    { stage: 'staging' },
    { mailFrom: 'not-an-email' },
    { account: '12' },
    { region: 'Europe' },
    { mailIdentity: 'maybe' },
    { domainName: 'privacy.library.org' }, // without its certificate
    { certificateArn: CERT }, // without a domain
    { domainName: 'privacy.library.org', certificateArn: CERT.replace('us-east-1', 'eu-west-1') }, // CloudFront takes us-east-1 certificates only
    { authDomainPrefix: 'my-cognito-login' },
    { baseUrl: 'https://privacy.library.example' }, // retired: the site origin is derived
  ])('rejects %o before building anything', (context) => {
    let error: unknown;
    try {
      buildApp({ context, processEnv: {} });
    } catch (e) {
      error = e;
    }
    expect(
      error instanceof ZodError || (error instanceof Error && /no longer read/.test(error.message)),
      String(error),
    ).toBe(true);
  });

  it('defaults to dev, creates the SES identity, and accepts a complete prod setting', () => {
    expect(configSchema.parse({})).toMatchObject({ stage: 'dev', mailIdentity: 'create' });
    expect(
      configSchema.parse({
        stage: 'prod',
        domainName: 'privacy.library.org',
        certificateArn: CERT,
        alarmEmail: 'it@library.org',
      }).stage,
    ).toBe('prod');
  });
});

describe('origin verification (the API authorizer behind CloudFront)', () => {
  const secret = 'a'.repeat(48);
  const verify = createOriginVerifier(secret);

  it('authorises the request that carries the secret CloudFront adds', async () => {
    expect(await verify({ headers: { [ORIGIN_VERIFY_HEADER]: secret } })).toEqual({ isAuthorized: true });
  });

  it.each([
    {},
    { headers: {} },
    { headers: { [ORIGIN_VERIFY_HEADER]: '' } },
    { headers: { [ORIGIN_VERIFY_HEADER]: `${secret}x` } },
    { headers: { 'x-other': secret } },
  ])('refuses %o', async (event) => {
    expect(await verify(event)).toEqual({ isAuthorized: false });
  });

  // The comparison is written out rather than node:crypto's (cold start, issue 15): every near miss
  // a guess could make must still be refused.
  const mixed = `${'a'.repeat(24)}${'B'.repeat(23)}7`;
  const verifyMixed = createOriginVerifier(mixed);
  it.each([
    ['one character short', mixed.slice(0, -1)],
    ['the first character wrong', `b${mixed.slice(1)}`],
    ['the last character wrong', `${mixed.slice(0, -1)}8`],
    ['the last character a NUL', `${mixed.slice(0, -1)}\u0000`],
    ['a NUL appended', `${mixed}\u0000`],
    ['in other case', mixed.toLowerCase()],
    ['with a character outside ASCII', `${mixed.slice(0, -1)}\u0137`],
    ['an astral character in place of the last two', `${mixed.slice(0, -2)}\u{1F600}`],
    ['10,000 characters starting with the secret', mixed.padEnd(10_000, '7')],
    ['its first half', mixed.slice(0, 24)],
  ])('refuses a near miss: %s', async (_, value) => {
    expect(await verifyMixed({ headers: { [ORIGIN_VERIFY_HEADER]: value } })).toEqual({ isAuthorized: false });
  });

  it('authorises the exact value among its near misses', async () => {
    expect(await verifyMixed({ headers: { [ORIGIN_VERIFY_HEADER]: mixed } })).toEqual({ isAuthorized: true });
  });

  it('authorises nothing when the secret is missing or short', async () => {
    expect(await createOriginVerifier(undefined)({ headers: { [ORIGIN_VERIFY_HEADER]: '' } })).toEqual({
      isAuthorized: false,
    });
    expect(await createOriginVerifier('short')({ headers: { [ORIGIN_VERIFY_HEADER]: 'short' } })).toEqual({
      isAuthorized: false,
    });
  });
});

describe('routes', () => {
  it('no HTTP_ROUTES path exists only locally (/_local…)', () => {
    expect(HTTP_ROUTES.map((r) => r.path).filter((p) => p.startsWith(LOCAL_ONLY_PREFIX))).toEqual([]);
  });

  it('CloudFront sends every route to the API and nothing else', () => {
    const patterns = apiPathPatterns();
    for (const route of HTTP_ROUTES)
      expect(
        patterns.some((p) => patternCovers(p, route.path)),
        route.path,
      ).toBe(true);
    for (const page of ['/', '/index.html', '/request.html', '/counsel.html', '/styles.css'])
      expect(
        patterns.some((p) => patternCovers(p, page)),
        page,
      ).toBe(false);
    expect(apiPathPatterns([{ method: 'GET', path: '/health', fn: 'api-requests' }])).toEqual(['/health']);
  });

  it('builds a CSP from the site, sign-in and upload origins only', () => {
    const csp = pageCsp(['https://login.example', 'https://bucket.example']);
    expect(csp).toContain("connect-src 'self' https://login.example https://bucket.example");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('*');
  });

  describe('HttpApi with given routes', () => {
    const build = (routes: HttpRoute[]) => {
      const stack = new Stack(new App(), 'Routes', { env: { region: 'us-east-1' } });
      const stub = (id: string) =>
        new lambda.Function(stack, id, {
          runtime: lambda.Runtime.NODEJS_24_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler=async()=>({})'),
        });
      const functions = Object.fromEntries(FUNCTIONS.map((fn) => [fn, stub(`fn-${fn}`)])) as unknown as Record<
        FunctionName,
        lambda.IFunction
      >;
      new HttpApi(stack, 'Http', {
        stage: 'test',
        functions,
        key: new kms.Key(stack, 'Key'),
        removalPolicy: RemovalPolicy.DESTROY,
        staff: { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example', audience: ['client'] },
        originVerifier: stub('verifier'),
        routes,
      });
      return Template.fromStack(stack);
    };

    it('puts the JWT authorizer on a route with groups and the origin check on every other', () => {
      const template = build([
        { method: 'POST', path: '/api/court-orders', fn: 'api-requests', groups: ['counsel'] },
        { method: 'GET', path: '/act/{token}', fn: 'act' },
      ]);
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (r) => r.Properties as { RouteKey: string; AuthorizationType: string },
      );
      expect(routes.find((r) => r.RouteKey === 'POST /api/court-orders')!.AuthorizationType).toBe('JWT');
      expect(routes.find((r) => r.RouteKey === 'GET /act/{token}')!.AuthorizationType).toBe('CUSTOM');
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        JwtConfiguration: {
          Audience: ['client'],
          Issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example',
        },
      });
    });

    it('refuses to deploy a local-only route', () => {
      expect(() => build([{ method: 'POST', path: '/_local/token', fn: 'api-requests' }])).toThrow(/local-only/);
    });
  });
});

describe('metrics contract (functions/lib/observability.ts ↔ the OverdueRequests alarm)', () => {
  afterEach(() => vi.restoreAllMocks());

  const captured = () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    return lines;
  };

  it('emits OverdueRequests as one EMF line: namespace PrivacyDesk, dimension service, a count, nothing else (R5)', () => {
    const lines = captured();
    createMetrics({ enabled: true }).overdueRequests(3);
    const emf = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => '_aws' in l)!;
    expect(emf).toBeDefined();
    const { CloudWatchMetrics } = emf._aws as {
      CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
    };
    expect(CloudWatchMetrics[0]).toEqual({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['service']],
      Metrics: [{ Name: OVERDUE_REQUESTS_METRIC, Unit: 'Count' }],
    });
    expect(emf.service).toBe(METRICS_SERVICE);
    expect(emf[OVERDUE_REQUESTS_METRIC]).toBe(3);
    expect(Object.keys(emf).sort()).toEqual(['_aws', 'service', OVERDUE_REQUESTS_METRIC].sort());
  });

  it('prints nothing outside Lambda unless asked', () => {
    const lines = captured();
    createMetrics().overdueRequests(1);
    expect(lines).toEqual([]);
  });
});
