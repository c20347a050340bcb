import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DEMO_DATASET, OFFICER } from './runtime.ts';

/** Court-order test helpers: the staff, a demo dataset where roles overlap, PDFs, and API events. */
export const COUNSEL = 'counsel@library.example';
/** Circulation and privacy officer in the demo data; here also counsel, so the uploader is also an approver's role holder. */
export const OWEN = 'owen.gallagher@library.example';
export const DIRECTOR = 'director@library.example';

/**
 * The demo dataset with overlapping roles, so separation of duties is tested where it matters:
 * Owen (privacy officer) is also counsel, and the privacy officer Dana is also a director.
 */
export async function overlappingRolesDataset(): Promise<{ path: string; remove: () => Promise<void> }> {
  const data = JSON.parse(await readFile(DEMO_DATASET, 'utf8')) as { staff: { email: string; roles: string[] }[] };
  for (const s of data.staff) {
    if (s.email === OWEN) s.roles = [...s.roles, 'counsel'];
    if (s.email === OFFICER) s.roles = [...s.roles, 'director'];
  }
  const dir = await mkdtemp(join(tmpdir(), 'privacy-desk-dataset-'));
  const path = join(dir, 'dataset.json');
  await writeFile(path, JSON.stringify(data));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A small but real PDF (header, one empty page, trailer). */
export function pdf(extra = ''): Buffer {
  return Buffer.from(
    `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >> endobj\n% ${extra}\ntrailer << /Root 1 0 R >>\n%%EOF\n`,
    'latin1',
  );
}

export const ORDER = {
  court: 'Superior Court, Judicial District of Stamford-Norwalk',
  caseNumber: 'FST-CV-26-6012345-S',
  orderType: 'subpoena',
  issuedOn: '2026-11-20',
  categories: ['library-records', 'payments'],
  from: '2026-06-01',
  to: '2026-10-31',
  nondisclosure: false,
};

/** Claims as API Gateway's JWT authorizer passes a Cognito ID token's: strings, groups flattened. */
export const awsClaims = (email: string, groups: string[]) => ({
  sub: `sub-${email}`,
  email,
  email_verified: 'true',
  'cognito:groups': `[${groups.join(' ')}]`,
  token_use: 'id',
  iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example',
  exp: '4102444800',
});

/** An API Gateway (HTTP API, payload 2.0) event for the court-order routes, as AWS delivers it. */
export function apiEvent(
  method: 'GET' | 'POST',
  path: string,
  claims: Record<string, string> | undefined,
  body?: unknown,
): APIGatewayProxyEventV2 {
  const orderId = /^\/api\/court-orders\/([^/]+)/.exec(path)?.[1];
  const route = orderId ? path.replace(orderId, '{orderId}') : path;
  return {
    version: '2.0',
    routeKey: `${method} ${route}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    ...(orderId ? { pathParameters: { orderId } } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'privacy.library.example',
      domainPrefix: 'privacy',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
      requestId: 'req',
      routeKey: `${method} ${route}`,
      stage: '$default',
      time: '01/Dec/2026:10:00:00 +0000',
      timeEpoch: 0,
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

export const bodyOf = <T = Record<string, unknown>>(res: APIGatewayProxyStructuredResultV2): T =>
  JSON.parse(String(res.body)) as T;
