import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createHandler as createCourtOrdersApi } from '../../functions/handlers/api-court-orders.ts';
import { createHandler as createStaffApi } from '../../functions/handlers/api-staff.ts';
import { depsFromEnv } from '../../functions/lib/deps.ts';
import { ORIGIN_VERIFY_HEADER } from '../../functions/lib/origin-header.ts';
import { lambdaContext } from '../../local/lambda-context.ts';
import { apiEvent } from '../support/court-orders.ts';

/**
 * R1, R12: a signed-in route has the staff JWT authorizer, so API Gateway does not check the
 * CloudFront header there; the function does, or anyone with a stolen token could call the
 * execute-api endpoint around the WAF (rate rules, bot control). Built as AWS builds it (depsFromEnv).
 */
const SECRET = 'a'.repeat(24) + 'B'.repeat(24);
const awsEnv = (extra: Record<string, string> = {}) => ({
  REQUESTS_TABLE: 'requests',
  RECORDS_TABLE: 'records',
  MAIL_FROM: 'privacy@library.example',
  BASE_URL: 'https://privacy.library.example',
  // Nothing may reach DynamoDB in these tests: a closed port would fail loudly.
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  ...extra,
});
const withOrigin = (event: APIGatewayProxyEventV2, value: string): APIGatewayProxyEventV2 => ({
  ...event,
  headers: { ...event.headers, [ORIGIN_VERIFY_HEADER]: value },
});
const statusOf = async (
  handler: (e: APIGatewayProxyEventV2, c: ReturnType<typeof lambdaContext>) => Promise<unknown>,
  event: APIGatewayProxyEventV2,
) => (await handler(event, lambdaContext('api'))) as { statusCode: number; body: string };

describe('signed-in routes answer only requests that came through CloudFront (R1, R12)', () => {
  const staffApi = createStaffApi(depsFromEnv(awsEnv({ ORIGIN_VERIFY_SECRET: SECRET })));
  const ordersApi = createCourtOrdersApi(depsFromEnv(awsEnv({ ORIGIN_VERIFY_SECRET: SECRET })));
  // No group claims: a request that passes the origin check is then refused for its sign-in (401/403).
  const staffList = apiEvent('GET', '/api/staff/requests', undefined);
  const orderCreate = apiEvent('POST', '/api/court-orders', undefined, {});

  it('R12: without the header, or with a wrong one, 403 before the sign-in is even read', async () => {
    for (const [api, event] of [
      [staffApi, staffList],
      [ordersApi, orderCreate],
    ] as const) {
      const missing = await statusOf(api, event);
      expect(missing.statusCode).toBe(403);
      expect(missing.body).not.toContain(SECRET);
      expect((await statusOf(api, withOrigin(event, SECRET.slice(1) + 'x'))).statusCode).toBe(403);
      expect((await statusOf(api, withOrigin(event, ''))).statusCode).toBe(403);
    }
  });

  it('R12: with the header, the request goes on to the sign-in check', async () => {
    expect((await statusOf(staffApi, withOrigin(staffList, SECRET))).statusCode).toBe(401);
    expect((await statusOf(ordersApi, withOrigin(orderCreate, SECRET))).statusCode).toBe(401);
  });

  it('a function without the secret (the local runtime, no CloudFront) does not ask for the header', async () => {
    const local = createStaffApi(depsFromEnv(awsEnv()));
    expect((await statusOf(local, staffList)).statusCode).toBe(401);
  });

  it('a short secret is refused at cold start rather than letting a guessable header through', () => {
    expect(() => depsFromEnv(awsEnv({ ORIGIN_VERIFY_SECRET: 'short' }))).toThrow();
  });
});
