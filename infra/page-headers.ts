/**
 * The security headers of the web pages, one definition for CloudFront (infra/constructs/site.ts)
 * and the local runtime (local/http-server.ts), so `npm start` serves pages as AWS does. No CDK
 * imports here: the local runtime reads it too.
 */
export function pageCsp(connect: readonly string[]): string {
  const extra = connect.length ? ` ${connect.join(' ')}` : '';
  return [
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self'${extra}`,
    `form-action 'self'${extra}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/**
 * What CloudFront's page response-headers policy adds, as plain headers. HSTS is left to the
 * HTTPS origin: over the local runtime's plain HTTP a browser ignores it.
 */
export const pageSecurityHeaders = (connect: readonly string[] = []): Record<string, string> => ({
  'content-security-policy': pageCsp(connect),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});
